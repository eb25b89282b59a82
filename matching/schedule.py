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

from collections.abc import Callable, Iterator, Sequence
from itertools import repeat

import numpy as np
import numpy.typing as npt

Pair = tuple[int, int]
Ints = npt.NDArray[np.int64]


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


def factor_pairs(labels_n: int, r: int) -> Iterator[Pair]:
    """`factor` lazily, so that a factor ruled out by its first met pair costs only what was looked at."""
    m = labels_n - 1
    centre = r * (labels_n // 2) % m
    yield centre, m
    for x in range(m):
        y = (r - x) % m
        if x < y and x != centre:
            yield x, y


def factors_of(la: Ints, lb: Ints, m: int) -> Ints:
    """The factor of each pair of labels (la[k], lb[k]) among the n−1 = m factors (label m is the centre)."""
    result: Ints = np.where(la == m, 2 * lb % m, np.where(lb == m, 2 * la % m, (la + lb) % m))
    return result


def labelling(first_round: Sequence[Pair]) -> dict[int, int]:
    big = 1 + max((max(p) for p in first_round), default=0)
    keys = sorted(min(p) * big + max(p) for p in first_round)  # ints sort much faster than tuples
    n = 2 * len(keys)
    labels: dict[int, int] = {}
    for k, (a, b) in enumerate(map(divmod, keys, repeat(big))):
        labels[a] = k
        labels[b] = n - 1 if k == 0 else n - 1 - k
    return labels


def labels_of(keys: Ints, n: int, vertices: int) -> Ints | None:
    """`labelling` of a round given as pair keys i * n + j (i < j) over positions 0..n−1, as an array of
    labels by position (-1: not in the round); None unless the round is a perfect matching of `vertices`
    members. Pair k of the sorted keys gets labels (k, n−1−k)."""
    half = len(keys)
    if 2 * half != vertices:
        return None
    ordered = np.sort(keys)
    labels = np.full(n, -1, dtype=np.int64)
    labels[ordered // n] = np.arange(half)
    labels[ordered % n] = np.arange(vertices - 1, vertices - 1 - half, -1)
    return labels if np.count_nonzero(labels >= 0) == vertices else None


def factor_of_keys(keys: Ints, labels: Ints, n: int, vertices: int) -> int | None:
    """The factor every pair of a round lies in, or None when the round is not a single factor."""
    m = vertices - 1
    la, lb = labels[keys // n], labels[keys % n]
    if not len(keys) or np.any(la < 0) or np.any(lb < 0):
        return None
    factors = factors_of(la, lb, m)
    return int(factors[0]) if np.all(factors == factors[0]) else None


def recognise(rounds: Sequence[int], keys_of: Callable[[int], Ints], n: int, vertices: int) -> (
    tuple[dict[int, int], set[int]] | None
):
    """The labelling of the schedule the history follows, if any, and the factors its rounds played.

    `rounds` are the round numbers in ascending order, `keys_of(r)` the pairs that met in round r among the
    `vertices` eligible members. Only rounds after the first perfect matching of all of them matter: the
    earliest perfect round whose successors are all factors of its labelling wins, so the labelling does not
    drift while the membership stays the same. Each candidate costs one sort (numpy).
    """
    for pos, r in enumerate(rounds):
        labels = labels_of(keys_of(r), n, vertices)
        if labels is None:
            continue
        played = {0}
        for later in rounds[pos + 1 :]:
            keys = keys_of(later)
            if not len(keys):
                continue
            f = factor_of_keys(keys, labels, n, vertices)
            if f is None:
                break
            played.add(f)
        else:
            members = np.flatnonzero(labels >= 0)
            return dict(zip(members.tolist(), labels[members].tolist(), strict=True)), played
    return None


def best_factor(
    labels: dict[int, int],
    n: int,
    candidates: Sequence[int],
    met: Ints,
    pair_value: Callable[[int, int], float | None],
    budget: int,
) -> list[Pair] | None:
    """The open factor (none of its pairs among the `met` keys i * n + j, i < j) with the highest total
    value, scoring factors until `budget` pairs are scored. Which factors are closed is computed at once from
    the met pairs (each lies in exactly one factor), so ruling factors out costs no search.

    `pair_value` returns None for a pair the hard rules forbid, which rules the whole factor out.
    """
    vertices = len(labels)
    m = vertices - 1
    label_of = np.full(n, -1, dtype=np.int64)
    label_of[list(labels)] = list(labels.values())
    la, lb = label_of[met // n], label_of[met % n]
    inside = (la >= 0) & (lb >= 0)
    la, lb = la[inside], lb[inside]
    closed = set(factors_of(la, lb, m).tolist())
    member_at = [0] * vertices
    for v, label in labels.items():
        member_at[label] = v
    best: list[Pair] | None = None
    best_value = float("-inf")
    scored = 0
    for r in candidates:
        if r in closed:
            continue
        pairs = [(member_at[x], member_at[y]) for x, y in factor_pairs(vertices, r)]
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
