"""Numpy helpers of the fast path: the same answers as the plain numpy operations they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.candidates import best_of_groups
from matching.vectors import best_in_rows


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 30),
    cols=st.integers(1, 400),
    keep=st.integers(0, 40),
    levels=st.integers(1, 50),
    forbidden=st.floats(0.0, 1.0),
)
def test_best_in_rows_keeps_the_largest_entries_of_each_row(
    seed: int, rows: int, cols: int, keep: int, levels: int, forbidden: float
) -> None:
    """Whatever the ties (few distinct values) and -inf entries (forbidden pairs, whole rows of them), each row
    keeps `keep` distinct columns whose values are the row's `keep` largest."""
    keep = min(keep, cols - 1) if cols > 1 else 0
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, levels, size=(rows, cols)).astype(np.float64) / 4
    matrix[rng.random((rows, cols)) < forbidden] = -np.inf
    matrix[rng.random(rows) < forbidden / 4] = -np.inf
    best = best_in_rows(matrix, keep)
    assert best.shape == (rows, keep)
    for row, chosen in zip(matrix, best, strict=True):
        assert len(set(chosen.tolist())) == keep
        assert sorted(row[chosen].tolist()) == sorted(row.tolist())[cols - keep :]


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), size=st.integers(0, 300), keep=st.integers(0, 12),
       levels=st.integers(1, 20))
def test_best_of_groups_is_the_lexsort_cut(seed: int, n: int, size: int, keep: int, levels: int) -> None:
    """The same positions, in the same order (ties included), as sorting by group then value and cutting."""
    rng = np.random.default_rng(seed)
    groups = np.sort(rng.integers(0, n, size))
    values = rng.integers(0, levels, size).astype(np.float64) / 2
    order = np.lexsort((-values, groups))
    rank = np.arange(size) - np.searchsorted(groups[order], groups[order])
    assert best_of_groups(groups, values, keep, n).tolist() == order[rank < keep].tolist()
