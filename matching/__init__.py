"""Pure matching engine of the coffee bot: typed data in, matches with their reasons out."""

from matching.groups import Group, GroupResult, form_groups, repeat_lower_bound
from matching.model import (
    Help,
    InputError,
    Instance,
    Match,
    Meeting,
    Member,
    PairResult,
    PairStats,
    Reasons,
    TopicHelp,
    Unmatched,
)
from matching.pairs import match_pairs
from matching.rounds import match_round
from matching.score import DEFAULT_WEIGHTS, Weights, may_meet

__all__ = [
    "DEFAULT_WEIGHTS",
    "Group",
    "GroupResult",
    "Help",
    "InputError",
    "Instance",
    "Match",
    "Meeting",
    "Member",
    "PairResult",
    "PairStats",
    "Reasons",
    "TopicHelp",
    "Unmatched",
    "Weights",
    "form_groups",
    "match_pairs",
    "match_round",
    "may_meet",
    "repeat_lower_bound",
]
