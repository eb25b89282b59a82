"""Continuing a round-robin (circle-method) schedule, so a stable community gets n−1 repeat-free rounds.

A per-round optimum paints itself into a corner: after ~n−3 rounds the graph of pairs that have not met yet
stops having a perfect matching. The circle method splits all pairs of n (even) people into n−1 disjoint
perfect matchings ("factors"). The engine stays stateless: the first round of a stable membership is
chosen freely (the best matching), and it defines the labelling — pair k of that matching, sorted by ids,
sits at circle positions (k, n−1−k), which makes it factor 0. Later rounds recognise that first round in
the history, check that every round since is a factor of the same labelling, and play the best factor in
which nobody has met yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import repeat

Pair = tuple[int, int]


def factor(labels_n: int, r: int) -> list[Pair]:
    """Factor r of the circle method on labels 0..n−1 (label n−1 is the fixed centre)."""
    m = labels_n - 1
    centre = r * (labels_n // 2) % m  # the x with 2x ≡ r (mod m); n/2 is the inverse of 2 modulo n−1
    pairs = [(centre, m)]
    for x in range(m):
        y = (r - x) % m
        if x < y and x != centre:
            pairs.append((x, y))
    return pairs


def factor_of(labels_n: int, a: int, b: int) -> int:
    m = labels_n - 1
    if a == m:
        return 2 * b % m
    if b == m:
        return 2 * a % m
    return (a + b) % m


def labelling(first_round: Sequence[Pair]) -> dict[int, int]:
    big = 1 + max((max(p) for p in first_round), default=0)
    keys = sorted(min(p) * big + max(p) for p in first_round)  # ints sort much faster than tuples
    n = 2 * len(keys)
    labels: dict[int, int] = {}
    for k, (a, b) in enumerate(map(divmod, keys, repeat(big))):
        labels[a] = k
        labels[b] = n - 1 if k == 0 else n - 1 - k
    return labels


def recognise(rounds: dict[int, list[Pair]], vertices: int) -> dict[int, int] | None:
    """The labelling of the schedule the history follows, if any.

    `rounds` maps a round number to the pairs that met in it (member positions); only rounds after the
    first perfect matching of all `vertices` matter. The earliest perfect round whose successors are all
    factors of its labelling wins, so the labelling does not drift while the membership stays the same.
    """
    order = sorted(rounds)
    for pos, r in enumerate(order):
        pairs = rounds[r]
        if len(pairs) * 2 != vertices or len({v for p in pairs for v in p}) != vertices:
            continue
        labels = labelling(pairs)
        if all(_single_factor(rounds[later], labels, vertices) for later in order[pos + 1 :]):
            return labels
    return None


def _single_factor(pairs: list[Pair], labels: dict[int, int], n: int) -> bool:
    first = factor_of(n, labels[pairs[0][0]], labels[pairs[0][1]])
    return all(factor_of(n, labels[a], labels[b]) == first for a, b in pairs[1:])


def open_factors(labels: dict[int, int], met_pairs: Sequence[Pair]) -> list[int]:
    """Factors in which no pair has met (in any round, including before the schedule started)."""
    n = len(labels)
    touched: set[int] = set()
    for a, b in met_pairs:
        touched.add(factor_of(n, labels[a], labels[b]))
        if len(touched) == n - 1:
            return []  # every factor has a pair that met: stop early (long histories of big communities)
    return [r for r in range(n - 1) if r not in touched]


def best_factor(
    labels: dict[int, int],
    candidates: Sequence[int],
    pair_value: Callable[[int, int], float | None],
    budget: int,
) -> list[Pair] | None:
    """The open factor with the highest total value, looking at factors until `budget` pairs are scored.

    `pair_value` returns None for a pair the hard rules forbid, which rules the whole factor out.
    """
    n = len(labels)
    member_at = {label: v for v, label in labels.items()}
    best: list[Pair] | None = None
    best_value = float("-inf")
    scored = 0
    for r in candidates:
        pairs = [(member_at[a], member_at[b]) for a, b in factor(n, r)]
        total = 0.0
        for a, b in pairs:
            value = pair_value(a, b)
            if value is None:
                break
            total += value
        else:
            if total > best_value:
                best, best_value = pairs, total
        scored += len(pairs)
        if best is not None and scored >= budget:
            break
    return best


def group_rounds(meetings: Sequence[tuple[int, Sequence[int]]]) -> dict[int, list[Pair]]:
    """Pairs per round from (round, member positions) meetings; trios and groups yield all their pairs."""
    rounds: dict[int, list[Pair]] = defaultdict(list)
    for r, members in meetings:
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                rounds[r].append((a, b))
    return dict(rounds)
