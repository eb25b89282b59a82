"""A near-optimal starting matching from candidate pairs: the assignment relaxation, split into pairs.

A perfect matching is a permutation made of 2-cycles, so the best permutation (an assignment problem, which
scipy solves exactly in C) weighs at least twice the best matching. Its 2-cycles are pairs; a longer even
cycle splits into two perfect matchings of its members, one at least as good as the cycle; an odd cycle
leaves one member out, chosen so that the rest weighs most. Every member may also be assigned to itself at a
cost above any pair, which means "left out", so an assignment always exists. On weights like ours the
permutation is almost all 2-cycles, so the split loses well under a percent, which the caller's improvement
then works on.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching.vectors import Floats, Ints

LEFT_OUT = -1e9  # the weight of a member assigned to itself, below any pair
COST_SCALE = 10.0


def assignment_matching(m: int, firsts: Ints, seconds: Ints, values: Floats) -> tuple[list[int], list[int]]:
    """`mate` over positions 0..m-1 (-1: left out) from candidate pairs (firsts[k], seconds[k]) of weight
    values[k], given in either direction or both; and the positions that were not in a 2-cycle, where the
    split may have lost weight."""
    if m < 2 or not len(values):
        return [-1] * m, list(range(m))
    keys = np.concatenate([firsts * m + seconds, seconds * m + firsts, np.arange(m) * (m + 1)])
    weights = np.concatenate([values, values, np.full(m, LEFT_OUT)])
    order = np.argsort(keys, kind="stable")
    keys, weights = keys[order], weights[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    keys, weights = keys[first], weights[first]
    rows, cols = keys // m, keys % m
    top = float(values.max())
    costs = np.where(rows == cols, 4.0 * (top - float(values.min()) + 1.0), top + 1.0 - weights)  # all > 0
    # Whole numbers (in tenths): with fractional costs scipy's LAPJVsp can loop forever on rounding errors
    # (seen on an 11-member instance); whole numbers keep its arithmetic exact, and coarse ones make it faster
    # (10,000 members: 0.4 s in tenths, 0.77 s in thousandths, the same split weight). The improvement that
    # follows works on the exact weights.
    costs = np.round(costs * COST_SCALE)
    _, successor = min_weight_full_bipartite_matching(sparse.csr_matrix((costs, (rows, cols)), shape=(m, m)))
    nxt = successor.tolist()
    arc = weights[np.searchsorted(keys, np.arange(m) * m + successor)].tolist()  # weight of x -> nxt[x]
    mate = [-1] * m
    unsettled: list[int] = []
    seen = [False] * m
    for start in range(m):
        if seen[start]:
            continue
        cycle = []
        x = start
        while not seen[x]:
            seen[x] = True
            cycle.append(x)
            x = nxt[x]
        if len(cycle) == 2:
            a, b = cycle
            mate[a], mate[b] = b, a
        else:
            unsettled.extend(cycle)
            if len(cycle) > 2:
                for a, b in _split(cycle, arc):
                    mate[a], mate[b] = b, a
    return mate, unsettled


def _split(cycle: list[int], arc: list[float]) -> list[tuple[int, int]]:
    """Alternate pairs around the cycle, from the start where they weigh most."""
    k = len(cycle)
    edge = np.array([arc[x] for x in cycle])  # edge s joins cycle[s] and cycle[s + 1]
    twice = np.concatenate([edge, edge])
    # Start s takes edges s, s + 2, …, s + 2 (k // 2 - 1): a difference of prefix sums along one parity.
    sums = [np.concatenate([[0.0], np.cumsum(twice[parity::2])]) for parity in (0, 1)]
    starts = range(k if k % 2 else 2)
    totals = [sums[s % 2][s // 2 + k // 2] - sums[s % 2][s // 2] for s in starts]
    best = int(np.argmax(totals))
    return [(cycle[(best + 2 * s) % k], cycle[(best + 2 * s + 1) % k]) for s in range(k // 2)]
