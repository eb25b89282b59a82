"""Numpy helpers of the fast path: the same answers as the plain numpy operations they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

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
