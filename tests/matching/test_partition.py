"""The exact path of `matching.partition`: every balanced partition once, and the cheapest one kept."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from matching.partition import EXACT_UP_TO, balanced_assignments, cheapest, partition_count


def sizes_of(n: int, k: int) -> list[int]:
    small, bigs = divmod(n, k)
    return [small + 1] * bigs + [small] * (k - bigs)


def canonical(row: list[int]) -> tuple[frozenset[int], ...]:
    groups: dict[int, set[int]] = {}
    for person, g in enumerate(row):
        groups.setdefault(g, set()).add(person)
    return tuple(sorted((frozenset(g) for g in groups.values()), key=min))


@pytest.mark.parametrize(("n", "k"), [(1, 1), (4, 2), (7, 3), (9, 4), (10, 3), (12, 6)])
def test_every_balanced_partition_once(n: int, k: int) -> None:
    sizes = sizes_of(n, k)
    rows = balanced_assignments(sizes).tolist()
    assert len(rows) == partition_count(sizes) <= EXACT_UP_TO * 3
    assert len({canonical(r) for r in rows}) == len(rows)
    for row in rows:
        assert sorted(len(g) for g in canonical(row)) == sorted(sizes)


def test_the_cheapest_partition_is_kept() -> None:
    rng = np.random.default_rng(5)
    n, k = 9, 3
    pair = rng.integers(-50, 50, size=(n, n)).astype(np.int32)
    pair = np.triu(pair, 1) + np.triu(pair, 1).T
    best = cheapest(pair, sizes_of(n, k)).tolist()

    def cost(row: list[int]) -> int:
        return sum(int(pair[p, q]) for p, q in combinations(range(n), 2) if row[p] == row[q])

    assert cost(best) == min(cost(r) for r in balanced_assignments(sizes_of(n, k)).tolist())
