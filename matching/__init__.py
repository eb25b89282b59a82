"""Pure matching engine of the coffee bot: typed data in, matches with their reasons out."""

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
    Unmatched,
)
from matching.pairs import match_pairs
from matching.score import DEFAULT_WEIGHTS, Weights

__all__ = [
    "DEFAULT_WEIGHTS",
    "Help",
    "InputError",
    "Instance",
    "Match",
    "Meeting",
    "Member",
    "PairResult",
    "PairStats",
    "Reasons",
    "Unmatched",
    "Weights",
    "match_pairs",
]
