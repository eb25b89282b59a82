"""Group formation for meetups (~30-person group events): split everyone who said yes into balanced groups with
as few pairs who have already met as possible, under the pairs' hard rules and score, interests mixed (or, on
request, grouped together). Small-group rounds use the same search with the round's own costs
(`matching/rounds.py`).

A pair inside a group costs (`matching/partition.py` searches for the cheapest balanced partition)

* ``BLOCK`` if they may not meet (`Rules.allowed`: a block, online-only with in-person-only, in-person-only in
  two cities, no language in common) — avoided whenever possible; a mix the balanced sizes force is then
  repaired as in small-group rounds (`rounds.separate`: someone moves to a group they can all meet, or is left
  out, `GroupResult.left_out`), and so is a group whose members share no single language;
* ``REPEAT + RECENT // age`` if they met before (every pair inside a past meeting; the latest meeting counts,
  so a recent one weighs a little more),
* ``±INTEREST`` per interest tag they share: + mixes topics (it is the sum over tags of the squared tag counts
  per group, up to a constant, so each topic spreads evenly and no group is a clique of one topic); − with
  ``by_interest`` groups people with shared interests together;
* minus the pair's score (`score.pair_score` without its interest term, which the admin's choice above
  replaces) in units of 1 / ``SCORE_SCALE``: help topics, free-text give ↔ need, city, daytime, language.

The weights are lexicographic in practice: repeats dominate interests and scores (a pair scores at most about
70 units, and one swap in groups of 30 changes at most 116 pairs: 8,000 < ``REPEAT``).

Repeat-free schedules come first: when everyone splits exactly into k groups of ``size`` (at most
`designs.MAX_POINTS` people) and `matching/designs.py` builds a repeat-free schedule of k groups of ``size``
(people are its points in the order of their ids), the cheapest of its rounds that breaks nothing — no block,
no pair who may not meet, no repeat, a language in every group — is taken as it is (`design_round`). A static
community meeting again and again in these sizes then goes through the whole schedule (15 people in trios: 7
meetups; 16 in fours: 5) where a meetup-by-meetup search runs out of fresh groups sooner; the price is that
interests and scores only choose among the schedule's fresh rounds. When no round fits (someone joined or left,
a block, a language, a past meetup formed otherwise) or the admin asked to group people by interest
(``by_interest``: grouping like-minded people is then the point), the search below forms the groups.

Lower bound on repeats (reported as ``GroupResult.lower_bound``): the groups of one past round are disjoint,
and the people of a past group of m spread over k new groups leave at least the pairs of an even split
(pigeonhole); the bound is the best such round.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

import numpy as np

from matching.designs import MAX_POINTS, cheapest_fresh_round, schedule
from matching.model import InputError, Instance, Reasons
from matching.partition import Costs, Ints, group_count, partition
from matching.rounds import by_place, separate
from matching.rules import Rules
from matching.score import DEFAULT_WEIGHTS, Weights, common_languages, explain
from matching.serialization import why
from matching.vectors import PairWeights, bitmasks, overlap

__all__ = [
    "Group",
    "GroupResult",
    "MeetupCosts",
    "SessionCosts",
    "form_groups",
    "group_count",
    "groups_cli_result",
    "repeat_lower_bound",
]

REPEAT = 10_000
RECENT = 2_000  # a pair that met in the previous round costs REPEAT + RECENT, two rounds ago + RECENT / 2, …
BLOCK = 1_000_000_000
INTEREST = 2  # per shared interest tag, in the units of the score below (the pair score's 1.0 per tag)
SCORE_SCALE = 2  # the pair score in half points


@dataclass(frozen=True)
class Group:
    members: tuple[int, ...]  # sorted ids
    repeats: int  # pairs inside that have already met (history)
    shared_interests: tuple[str, ...]  # tags held by at least two members, most common first
    score: float = 0.0  # the sum of its pairs' scores (`score.pair_score`), as for a round's match
    reasons: Reasons = field(default_factory=Reasons)  # as for a round's match (topics, helps, languages, …)


@dataclass(frozen=True)
class GroupResult:
    groups: tuple[Group, ...]
    repeats: int  # total repeated pairs
    seconds: float
    lower_bound: int = 0  # no balanced partition of everyone has fewer repeats
    blocked: int = 0  # pairs who may not meet that the balanced search left together, before the repair (0 unless
    # the sizes force it)
    left_out: tuple[int, ...] = ()  # ids no group could take: everyone they may meet is in groups they may not join
    from_design: bool = False  # the groups are a round of a repeat-free schedule (`matching/designs.py`)


def repeat_lower_bound(instance: Instance, size: int) -> int:
    """Pigeonhole bound on repeated pairs: for each past round, its disjoint groups (restricted to the people of
    this instance) each spread over k new groups as evenly as possible; the best round wins."""
    present = {m.id for m in instance.members}
    k = group_count(len(present), size)
    by_round: dict[int, list[set[int]]] = {}
    for meeting in instance.history:
        inside = {i for i in meeting.members if i in present}
        if len(inside) >= 2:
            by_round.setdefault(meeting.round, []).append(inside)
    best = 0
    for groups in by_round.values():
        used: set[int] = set()
        total = 0
        for inside in sorted(groups, key=len, reverse=True):
            if inside & used:  # overlapping meetings in one round: count only disjoint ones
                continue
            used |= inside
            total += _even_split_pairs(len(inside), k)
        best = max(best, total)
    return best


def _even_split_pairs(m: int, k: int) -> int:
    a, b = divmod(m, k)
    return b * (a + 1) * a // 2 + (k - b) * a * (a - 1) // 2


def _max_split_pairs(m: int, k: int, big: int, small: int, bigs: int) -> int:
    """Most pairs m holders of one tag can form inside k groups (bigs of size big, the rest small)."""
    total = 0
    caps = [big] * bigs + [small] * (k - bigs)
    for cap in caps:
        take = min(cap, m)
        total += take * (take - 1) // 2
        m -= take
        if m == 0:
            break
    return total


class MeetupCosts:
    """Pair costs of a meetup; people are positions 0..n-1 of the members sorted by id."""

    def __init__(self, instance: Instance, size: int, by_interest: bool, weights: Weights = DEFAULT_WEIGHTS) -> None:
        members = sorted(instance.members, key=lambda m: m.id)
        self.weights = weights
        self.rules = Rules(instance, replace(weights, interest=0.0))  # interests: mixed or grouped, below
        self.pair_weights = PairWeights(self.rules)
        self.ids = [m.id for m in members]
        self.n = n = len(members)
        index = {member_id: i for i, member_id in enumerate(self.ids)}
        self.tags = sorted({t for m in members for t in m.interests})
        tag_index = {t: b for b, t in enumerate(self.tags)}
        self.member_tags = [sorted({tag_index[t] for t in m.interests}) for m in members]
        self.masks = bitmasks(self.member_tags)
        self.a = -INTEREST if by_interest else INTEREST

        # History and blocks: sparse pair weights.
        last: dict[tuple[int, int], int] = {}
        for meeting in instance.history:
            inside = sorted({index[i] for i in meeting.members if i in index})
            for i, j in combinations(inside, 2):
                if last.get((i, j), meeting.round - 1) < meeting.round:
                    last[(i, j)] = meeting.round
        now = instance.round if instance.round > 0 else max(last.values(), default=0) + 1
        self.met: set[tuple[int, int]] = set(last)
        weight = {pair: REPEAT + RECENT // max(1, now - r) for pair, r in last.items()}
        self.first = np.array([i for i, _ in weight], dtype=np.int64)
        self.second = np.array([j for _, j in weight], dtype=np.int64)
        self.weight = np.array(list(weight.values()), dtype=np.int32)

        # Lower bound of the total cost (the search stops when it gets there); the scores' part is added when
        # the costs of everyone are built.
        k = group_count(n, size)
        small, bigs = divmod(n, k)
        self.inside_pairs = bigs * (small + 1) * small // 2 + (k - bigs) * small * (small - 1) // 2
        self.repeat_bound = repeat_lower_bound(instance, size)
        bound = 0
        if self.repeat_bound:
            rounds = {meeting.round for meeting in instance.history}
            # pairs of round r met at round r or later: each weighs at least this round's weight
            bound = max(_round_bound(instance, size, r) * (REPEAT + RECENT // max(1, now - r)) for r in rounds)
        holders = Counter(b for tags in self.member_tags for b in tags).values()  # people per tag
        if self.a > 0:
            bound += self.a * sum(_even_split_pairs(m, k) for m in holders)
        else:
            bound += self.a * sum(_max_split_pairs(m, k, small + 1, small, bigs) for m in holders)
        self.bound = bound

    def __call__(self, members: Ints) -> Costs:
        """Costs among `members` (sorted positions); the bound holds only when they are everyone."""
        m = len(members)
        local = np.full(self.n, -1, dtype=np.int64)
        local[members] = np.arange(m)
        scores = self.pair_weights.matrix(members, members, repeats=False)  # NaN: may not meet (and p with p)
        forbidden = np.isnan(scores)
        score = -np.rint(np.where(forbidden, 0.0, scores) * SCORE_SCALE).astype(np.int32)
        del scores
        conflict = np.where(forbidden, BLOCK, 0).astype(np.int32)
        a, b = local[self.first], local[self.second]
        inside = (a >= 0) & (b >= 0)
        conflict[a[inside], b[inside]] += self.weight[inside]
        conflict[b[inside], a[inside]] += self.weight[inside]
        np.fill_diagonal(conflict, 0)
        pair = conflict + score + self.a * overlap(self.masks, members[:, None], members[None, :]).astype(np.int32)
        np.fill_diagonal(pair, 0)
        priority = np.array([len(self.member_tags[p]) for p in members.tolist()], dtype=np.int64)
        bound = None
        if m == self.n:
            np.fill_diagonal(score, 0)
            bound = self.bound + self.inside_pairs * int(score.min(initial=0))  # no pair scores more than the best
        return Costs(pair, conflict, priority, bound)


    def group_score(self, inside: list[int]) -> float:
        """Σ `pair_score` over the group's pairs with the full weights (interest term included), summed in
        another order than one pair at a time (`vectors.py` states the rounding)."""
        if len(inside) < 2:
            return 0.0
        people = np.array(inside, dtype=np.int64)
        first, second = (people[list(k)] for k in zip(*combinations(range(len(inside)), 2), strict=True))
        w = self.weights
        shared = overlap(self.pair_weights.interests, first, second)
        interest = w.interest * np.minimum(shared, w.max_interests).astype(np.float64)
        return float((self.pair_weights.scores(first, second) + interest).sum())


SessionCosts = MeetupCosts  # the name before meetups were called meetups


def _round_bound(instance: Instance, size: int, r: int) -> int:
    only = Instance(instance.members, tuple(m for m in instance.history if m.round == r))
    return repeat_lower_bound(only, size)


def form_groups(
    instance: Instance,
    size: int,
    *,
    seed: int = 0,
    by_interest: bool = False,
    time_limit: float = 2.0,
    stall: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    one_place: bool = False,
) -> GroupResult:
    """Split instance.members into k = max(1, round(n / size)) groups whose sizes differ by at most one, with
    as few repeated pairs as possible, interests mixed or, with by_interest, grouped, then the best score.
    People who may not meet (`Rules.allowed`) are kept apart whenever the sizes allow; otherwise the groups are
    repaired (sizes may then differ by more, and whoever no group can take is in `left_out`). The search stops at
    the lower bound, after `stall` steps without a better partition (default `partition.default_stall(n)`; each
    step costs O(n)) or at time_limit: deterministic per seed unless time_limit is what stops it. Above `CHUNK`
    people, chunks of whole groups are formed one after another. A round of a repeat-free schedule that breaks
    nothing comes before the search (`design_round`, `GroupResult.from_design`).

    With one_place, everyone meets at the meetup's one place (online, or in person at its venue): how each member
    would meet a partner (format, city) no longer matters, so only blocks and languages keep people apart."""
    start = time.perf_counter()
    if size < 2:
        raise InputError(f"group size must be at least 2, got {size}")
    if one_place:
        instance = replace(instance, members=tuple(replace(m, format="any", city=None) for m in instance.members))
    if not instance.members:
        return GroupResult((), 0, time.perf_counter() - start)
    costs = MeetupCosts(instance, size, by_interest, weights)
    # the schedule's search (once per size and process) may take half the time; the search gets what is left
    found = None if by_interest else design_round(costs, size, start + max(0.0, time_limit) / 2)
    designed = found is not None  # conflict-free and every group with a language: `separate` leaves it as it is
    if found is None:
        order = by_place(costs.rules, np.arange(costs.n), seed)  # only matters above CHUNK people
        found = partition(costs.n, size, costs, order, seed, start + max(0.0, time_limit), stall)
    rules = costs.rules
    apart = sum(1 for g in found for i, j in combinations(g, 2) if not rules.allowed(i, j))
    mute = any(common_languages(tuple(rules.profiles[p] for p in g)) == frozenset() for g in found)
    groups, alone = separate(rules, found) if apart or mute else (found, [])
    groups = [sorted(g) for g in groups]
    return GroupResult(
        groups=_describe(costs, groups),
        repeats=sum(1 for g in groups for pair in combinations(g, 2) if pair in costs.met),
        seconds=time.perf_counter() - start,
        lower_bound=costs.repeat_bound,
        blocked=apart,
        left_out=tuple(costs.ids[p] for p in alone),
        from_design=designed,
    )


def design_round(costs: MeetupCosts, size: int, deadline: float = math.inf) -> list[list[int]] | None:
    """A round of the repeat-free schedule of k groups of `size` (`designs.schedule`; people are points in the
    order of their ids) that breaks no rule: no block, no pair who may not meet, no repeat (no conflict at all),
    every group with a language in common; the cheapest such round by the meetup's costs. None when the sizes
    are not exactly k × size, there are more than `designs.MAX_POINTS` people, no schedule is known (or none was
    found by the deadline), or every round of it breaks something (then the search forms the groups). A community
    that keeps meeting in these sizes thus goes through the whole schedule, round after round, without anyone
    meeting twice."""
    n = costs.n
    k = group_count(n, size)
    if k < 2 or n != k * size or n > MAX_POINTS:
        return None
    rounds = schedule(k, size, deadline=deadline)
    if rounds is None:
        return None
    everyone = costs(np.arange(n, dtype=np.int64))
    profiles = costs.rules.profiles
    return cheapest_fresh_round(rounds, everyone.conflict, everyone.pair,
                                lambda g: common_languages(tuple(profiles[p] for p in g)) != frozenset())


def _describe(costs: MeetupCosts, groups: list[list[int]]) -> tuple[Group, ...]:
    out = []
    rules = costs.rules
    for inside in groups:
        repeats = sum(1 for pair in combinations(inside, 2) if pair in costs.met)
        counts = Counter(costs.tags[b] for p in inside for b in costs.member_tags[p])
        shared = tuple(t for t, c in sorted(counts.items(), key=lambda tc: (-tc[1], tc[0])) if c >= 2)
        score = round(costs.group_score(inside), 6)
        reasons = explain(tuple(rules.profiles[p] for p in inside))
        out.append(Group(tuple(costs.ids[p] for p in inside), repeats, shared, score, reasons))
    out.sort(key=lambda g: g.members)
    return tuple(out)


def groups_cli_result(
    instance: Instance, size: int, seed: int, by_interest: bool, one_place: bool = False
) -> dict[str, Any]:
    """JSON-ready output of `python -m matching groups`."""
    result = form_groups(instance, size, seed=seed, by_interest=by_interest, one_place=one_place)
    return {
        "groups": [
            {"members": list(g.members), "repeats": g.repeats, "shared_interests": list(g.shared_interests),
             "score": g.score, "why": why(g.reasons)}
            for g in result.groups
        ],
        "left_out": list(result.left_out),
        "stats": {
            "repeats": result.repeats,
            "lower_bound": result.lower_bound,
            "blocked": result.blocked,
            "seconds": result.seconds,
        },
    }
