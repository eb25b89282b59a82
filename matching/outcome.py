"""A round's result from the groups an optimiser chose (pairs, a trio or small groups, by member position):
each match with its score (the sum of its pairs' scores) and its reasons, the unmatched, and the totals."""

from __future__ import annotations

import time
from collections.abc import Sequence
from itertools import combinations

import numpy as np

from matching.model import Match, PairResult, PairStats, Unmatched
from matching.rules import Rules
from matching.score import explain
from matching.vectors import PairWeights


def round_result(
    rules: Rules,
    weights: PairWeights | None,
    groups: Sequence[tuple[int, ...]],
    unmatched: Sequence[Unmatched],
    strategy: str,
    started: float,
) -> PairResult:
    groups = [tuple(sorted(g)) for g in groups]
    scores = _scores(rules, weights, groups)
    matches = sorted((_match(rules, g, scores) for g in groups), key=lambda m: m.members)
    stats = PairStats(
        repeats=sum(1 for g in groups for a, b in combinations(g, 2) if rules.met(a, b)),
        score=round(sum(m.score for m in matches), 6),
        seconds=round(time.perf_counter() - started, 6),
        strategy=strategy,
    )
    return PairResult(tuple(matches), tuple(sorted(unmatched, key=lambda u: u.id)), stats)


def _scores(rules: Rules, weights: PairWeights | None, groups: list[tuple[int, ...]]) -> dict[tuple[int, int], float]:
    """Score of every pair inside the groups (vectorised when the arrays are already built)."""
    pairs = [pair for g in groups for pair in combinations(g, 2)]
    if weights is None or not pairs:
        return {(a, b): rules.score(a, b) for a, b in pairs}
    firsts = np.array([a for a, _ in pairs], dtype=np.int64)
    seconds = np.array([b for _, b in pairs], dtype=np.int64)
    return dict(zip(pairs, weights.scores(firsts, seconds).tolist(), strict=True))


def _match(rules: Rules, group: tuple[int, ...], scores: dict[tuple[int, int], float]) -> Match:
    return Match(
        members=tuple(rules.ids[i] for i in group),
        repeat=any(rules.met(a, b) for a, b in combinations(group, 2)),
        score=round(sum(scores[pair] for pair in combinations(group, 2)), 6),
        reasons=explain(tuple(rules.profiles[i] for i in group)),
    )
