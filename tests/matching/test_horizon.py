"""Plan ahead: a stable even community gets n−1 consecutive repeat-free rounds (the round-robin limit)."""

from __future__ import annotations

import random

import pytest

from matching import Instance, Meeting, match_pairs
from matching.simulate import everyone_can_meet, generate_members


def repeat_free_rounds(n: int, seed: int) -> int:
    # Format "any" everywhere: an offline-only pair in two cities is forbidden, and K_n minus any pair has
    # fewer than n−1 disjoint perfect matchings.
    members = tuple(everyone_can_meet(m) for m in generate_members(n, random.Random(seed)))
    history: list[Meeting] = []
    for r in range(1, n + 1):
        result = match_pairs(Instance(members, tuple(history), round=r), seed=seed + r)
        if result.stats.repeats or result.unmatched or len(result.matches) != n // 2:
            return r - 1
        history.extend(Meeting(m.members, r) for m in result.matches)
    return n


@pytest.mark.parametrize("n", range(4, 31, 2))
def test_round_robin_limit(n: int) -> None:
    assert repeat_free_rounds(n, seed=n) == n - 1


def test_after_the_limit_repeats_start_with_the_oldest_pairs() -> None:
    n = 8
    members = tuple(everyone_can_meet(m) for m in generate_members(n, random.Random(3)))
    history: list[Meeting] = []
    for r in range(1, n):
        result = match_pairs(Instance(members, tuple(history), round=r))
        history.extend(Meeting(m.members, r) for m in result.matches)
    result = match_pairs(Instance(members, tuple(history), round=n))
    first_round = {frozenset(m.members) for m in history if m.round == 1}
    assert {frozenset(m.members) for m in result.matches} == first_round
