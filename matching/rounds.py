"""A community's round, as pairs or as small groups, under one set of rules and one score.

Pairs are `match_pairs`. Small groups (3–8 people) are a balanced partition (`matching/partition.py`) whose
pair costs are the pairs' own weights (`Rules.weight`: score minus repeat cost, from `matching/score.py`) in
whole hundredths, and `CONFLICT` for two people who may not meet (a block, online-only with in-person-only,
in-person-only in two cities, no language in common). The search removes conflicts first, then repeats, then
raises the score. A conflict the balanced sizes cannot avoid — or a group whose members share languages two by
two but no single one — is then repaired (`separate`): a member moves to the smallest group they can meet
entirely, or starts a new one; whoever ends up alone is left out (`no_free_partner`).
Every group gets its score (the sum of its pairs' scores) and its reasons from the same scorer as a pair.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np

from matching.model import Instance, PairResult, Unmatched
from matching.outcome import round_result
from matching.pairs import match_pairs
from matching.partition import Costs, Ints, partition
from matching.rules import Rules
from matching.score import DEFAULT_WEIGHTS, Profile, Weights
from matching.vectors import PairWeights

SCALE = 100  # group costs are whole hundredths of a pair weight
CONFLICT = 1_000_000_000  # two people who may not meet in one group (far above any repeat: 150,000)
ROUND_TIME_LIMIT = 10.0  # seconds; the stall rule ends the search well before on communities up to thousands


def match_round(
    instance: Instance,
    group_size: int = 2,
    seed: int = 0,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    time_limit: float = ROUND_TIME_LIMIT,
) -> PairResult:
    """The round's matches: pairs (one trio for an odd count) when group_size ≤ 2, otherwise groups of
    group_size (k = max(1, round(n / group_size)) groups whose sizes differ by at most one, apart from the
    repairs described above). Deterministic per seed unless the time limit is what stops the group search."""
    if group_size <= 2:
        return match_pairs(instance, seed, weights)
    started = time.perf_counter()
    rules = Rules(instance, weights)
    isolated = rules.isolated()
    eligible = np.array([i for i in range(rules.n) if i not in isolated], dtype=np.int64)
    pair_weights = PairWeights(rules)

    def costs_of(members: Ints) -> Costs:
        matrix = pair_weights.matrix(eligible[members], eligible[members])  # NaN: may not meet (and p with p)
        pair = np.where(np.isnan(matrix), CONFLICT, -np.rint(matrix * SCALE)).astype(np.int32)
        del matrix
        np.fill_diagonal(pair, 0)
        return Costs(pair, np.maximum(pair, 0), np.zeros(len(members), dtype=np.int64))

    found = partition(len(eligible), group_size, costs_of, by_place(rules, eligible, seed), seed,
                      started + time_limit)
    groups, alone = separate(rules, [eligible[g].tolist() for g in found])
    unmatched = [isolated[i] for i in sorted(isolated)] + [
        Unmatched(rules.ids[i], "no_free_partner", "no group this round has only people they can meet")
        for i in alone
    ]
    return round_result(rules, pair_weights, [tuple(g) for g in groups], unmatched, "groups", started)


def by_place(rules: Rules, eligible: Ints, seed: int) -> Ints:
    """Positions in `eligible` ordered by languages, then online-only, either, in-person-only (by city), in a
    random order within each: above `partition.CHUNK` people, the chunks then hold people who can meet."""
    rank = {"online": 0, "any": 1, "offline": 2}

    def key(p: Profile) -> tuple[tuple[str, ...], int, str]:
        return tuple(sorted(p.languages)), rank[p.member.format], p.city or ""

    place = {k: number for number, k in enumerate(sorted({key(p) for p in rules.profiles}))}
    kind = [place[key(rules.profiles[i])] for i in eligible.tolist()]
    shuffled = np.random.default_rng(seed).permutation(len(eligible))
    return np.lexsort((shuffled, np.array(kind, dtype=np.int64)))


def separate(rules: Rules, groups: list[list[int]]) -> tuple[list[list[int]], list[int]]:
    """Groups in which everyone may meet everyone (`Rules.allowed_all`), and who is left alone. Only needed
    when the balanced sizes made the search keep a conflict: the most conflicted member leaves (or, in a group
    without a common language, someone who does not speak its most spoken one), until no conflict is left; then
    each one who left (and anyone left alone) joins the smallest group they can meet entirely (best weight on a
    tie), or starts a new one."""
    groups = [list(g) for g in groups]
    moved: list[int] = []
    while True:
        worst: tuple[int, int, int] | None = None
        for g, inside in enumerate(groups):
            for p in inside:
                bad = sum(1 for q in inside if q != p and not rules.allowed(p, q))
                if bad and (worst is None or bad > worst[0]):
                    worst = (bad, g, p)
        if worst is None:
            mute = next((g for g, inside in enumerate(groups) if not rules.allowed_all(inside)), None)
            if mute is None:
                break
            worst = (0, mute, _odd_one_out(rules, groups[mute]))
        _, g, p = worst
        groups[g].remove(p)
        moved.append(p)
    moved += [inside.pop() for inside in groups if len(inside) == 1]
    if not moved:
        return groups, []
    groups = [inside for inside in groups if inside]
    for p in moved:
        options = [
            (len(inside), -sum(rules.weight(p, q) for q in inside), g)
            for g, inside in enumerate(groups)
            if rules.allowed_all([*inside, p])
        ]
        if options:
            groups[min(options)[2]].append(p)
        else:
            groups.append([p])
    return [inside for inside in groups if len(inside) > 1], sorted(g[0] for g in groups if len(g) == 1)


def _odd_one_out(rules: Rules, group: list[int]) -> int:
    """In a group whose members share no language: the first who lists languages but not the most listed one."""
    spoken = Counter(x for p in group for x in rules.profiles[p].languages)
    top = min(spoken, key=lambda x: (-spoken[x], x))
    return next(p for p in group if rules.profiles[p].languages and top not in rules.profiles[p].languages)
