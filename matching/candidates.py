"""Candidate partners on large communities: the best of a sampled pool per member.

The pool draws from inverted indices that predict a high score — people who answer one of my needs and need
one of my offers, then people who answer a need, who need an offer, who share an interest or a city — plus a
few random members; each pool is scored exactly and the best `keep` edges survive.
"""

from __future__ import annotations

import random
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from scipy import sparse

from matching.rules import Rules
from matching.vectors import Floats, Ints, PairWeights, distinct, ranges

Adjacency = list[dict[int, float]]  # neighbour -> weight, symmetric


def candidate_pairs(
    rules: Rules, weights: PairWeights, members: list[int], rng: random.Random, pool: int, keep: int
) -> tuple[Ints, Ints, Floats]:
    """Each member's sampled pool, weighed in one vectorised pass; its best `keep` pairs survive."""
    n = rules.n
    firsts, seconds = Pools(weights, members, rng).sample(pool)
    keys = distinct(firsts * n + seconds)  # sorted: grouped by the first member, duplicates gone
    firsts, seconds = keys // n, keys % n
    values = weights.pairs(firsts, seconds)
    allowed = ~np.isnan(values)
    firsts, seconds, values = firsts[allowed], seconds[allowed], values[allowed]
    best = best_of_groups(firsts, values, keep, n)
    return firsts[best], seconds[best], values[best]


def best_of_groups(groups: Ints, values: Floats, keep: int, n: int) -> Ints:
    """Positions of the `keep` largest values of each group (groups sorted, each below n), group by group, the
    largest first, ties in the given order: what np.lexsort((-values, groups)) cut to `keep` per group gives,
    but sorting each group apart in one padded table (small rows sort fast; one long lexsort does not)."""
    counts = np.bincount(groups, minlength=n)
    if not len(groups):
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    table = np.full((n, int(counts.max())), np.inf)
    table[groups, np.arange(len(groups)) - starts[groups]] = -values
    slots = np.argsort(table, axis=1, kind="stable")[:, :keep]
    found = slots < counts[:, None]
    return (starts[:, None] + slots)[found]


def adjacency(n: int, firsts: Ints, seconds: Ints, values: Floats) -> Adjacency:
    """Symmetric adjacency dicts from pairs given in either direction (or both)."""
    rows = np.concatenate([firsts, seconds])
    order = np.argsort(rows, kind="stable")
    cols = np.concatenate([seconds, firsts])[order].tolist()
    weights = np.concatenate([values, values])[order].tolist()
    bounds = np.searchsorted(rows[order], np.arange(n + 1)).tolist()
    return [dict(zip(cols[lo:hi], weights[lo:hi], strict=True)) for lo, hi in pairwise(bounds)]


class _Index:
    """An inverted index: for each key, the members holding it, in one random order shared by all indices."""

    def __init__(self, keys: Ints, members: Ints, rank: Ints) -> None:
        order = np.lexsort((rank[members], keys))
        keys, self.members = keys[order], members[order]
        self.keys = distinct(keys)
        self.starts = np.searchsorted(keys, self.keys)
        self.sizes = np.diff(np.append(self.starts, len(keys)))

    def find(self, keys: Ints) -> tuple[Ints, Ints]:
        """Start and size of each key's bucket (size 0 for a key nobody holds)."""
        if not len(self.keys):
            return np.zeros(len(keys), np.int64), np.zeros(len(keys), np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found = self.keys[at] == keys
        return np.where(found, self.starts[at], 0), np.where(found, self.sizes[at], 0)


class Pools:
    """Vectorised candidate pools from inverted indices that predict a high score. Per member, in tiers
    that share the pool: (1) people who answer one of my needs and need something my offer answers (half the
    pool), (2) people who answer one of my needs, or need what my offer answers (half of what is left),
    (3) people who offer a word I need, need a word I offer, share an interest or my city, then a few random
    members. Each bucket gives a window at a random offset; buckets of one tier share its budget."""

    def __init__(self, weights: PairWeights, members: list[int], rng: random.Random) -> None:
        self.random = np.random.default_rng(rng.getrandbits(63))
        self.members = np.array(members, dtype=np.int64)
        n = weights.n
        active = np.zeros(n, dtype=bool)
        active[self.members] = True
        rank = self.random.permutation(n).astype(np.int64)
        h = weights.help
        phrases = h.needs.shape[1]
        self.phrases = phrases
        self.needs, self.answers = _pairs_of(h.needs, active), _pairs_of(h.answers, active)
        self.need_stems, self.offer_stems = _pairs_of(h.need_stems, active), _pairs_of(h.offer_stems, active)
        tag_rows = np.array([i for i in members for _ in weights.tags[i]], dtype=np.int64)
        tag_cols = np.array([t for i in members for t in weights.tags[i]], dtype=np.int64)
        self.tags = (tag_rows, tag_cols)
        local = self.members[(weights.city[self.members] >= 0) & weights.in_person[self.members]]
        self.city = (local, weights.city[local])
        # Who answers p and needs q, keyed p * phrases + q: every (answered, needed) pair of each member.
        both = _combinations(self.answers, self.needs, n)
        self.mutual = _Index(both[1] * phrases + both[2], both[0], rank)
        self.answering = _Index(self.answers[1], self.answers[0], rank)
        self.needing = _Index(self.needs[1], self.needs[0], rank)
        self.offering_stem = _Index(self.offer_stems[1], self.offer_stems[0], rank)
        self.needing_stem = _Index(self.need_stems[1], self.need_stems[0], rank)
        self.interested = _Index(self.tags[1], self.tags[0], rank)
        self.local = _Index(self.city[1], self.city[0], rank)
        self.n = n

    def sample(self, pool: int) -> tuple[Ints, Ints]:
        """(member, candidate) pairs, about `pool` per member (duplicates possible)."""
        n = self.n
        randoms = max(2, pool // 8)
        drawn = np.zeros(n, dtype=np.int64)
        out: list[tuple[Ints, Ints]] = []
        mine = _combinations(self.needs, self.answers, n)  # my need p, q my offer answers: key p * phrases + q
        tiers = [
            [(self.mutual, mine[0], mine[1] * self.phrases + mine[2])],
            [(self.answering, *self.needs), (self.needing, *self.answers)],
            [
                (self.offering_stem, *self.need_stems),
                (self.needing_stem, *self.offer_stems),
                (self.interested, *self.tags),
                (self.local, *self.city),
            ],
        ]
        for tier, share in zip(tiers, (2, 2, 1), strict=True):
            owners = np.concatenate([owner for _, owner, _ in tier])
            starts_sizes = [index.find(keys) for index, _, keys in tier]
            starts = np.concatenate([st for st, _ in starts_sizes])
            sizes = np.concatenate([sz for _, sz in starts_sizes])
            buckets = np.concatenate([np.full(len(o), k) for k, (_, o, _) in enumerate(tier)])
            nonempty = sizes > 0
            owners, starts, sizes, buckets = owners[nonempty], starts[nonempty], sizes[nonempty], buckets[nonempty]
            budget = (pool // 2 if share == 2 and not out else (pool - randoms - drawn) // share)
            budget = np.broadcast_to(budget, (n,))
            count = np.bincount(owners, minlength=n)
            per = np.maximum(1, budget[owners] // np.maximum(1, count[owners]))
            per = np.where(budget[owners] > 0, per, 0)
            take = np.minimum(per, sizes)
            offsets = (self.random.random(len(sizes)) * sizes).astype(np.int64)
            within = ranges(np.zeros(len(take), np.int64), take)
            entry = np.repeat(np.arange(len(take)), take)
            members_of = [index.members for index, _, _ in tier]
            picked = np.empty(len(entry), dtype=np.int64)
            for k, found in enumerate(members_of):
                rows = buckets[entry] == k
                e = entry[rows]
                picked[rows] = found[starts[e] + (offsets[e] + within[rows]) % sizes[e]]
            out.append((owners[entry], picked))
            drawn += np.bincount(owners, weights=take, minlength=n).astype(np.int64)
        out.append((np.repeat(self.members, randoms), self.random.choice(self.members, len(self.members) * randoms)))
        firsts = np.concatenate([o for o, _ in out])
        seconds = np.concatenate([c for _, c in out])
        keep = firsts != seconds
        return firsts[keep], seconds[keep]


def _pairs_of(matrix: sparse.csr_matrix, active: npt.NDArray[np.bool_]) -> tuple[Ints, Ints]:
    """(row, column) of every distinct nonzero entry in an active row."""
    coo = matrix.tocoo()
    keep = active[coo.row] & (coo.data != 0)
    return coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64)


def _combinations(first: tuple[Ints, Ints], second: tuple[Ints, Ints], n: int) -> tuple[Ints, Ints, Ints]:
    """For each member, every (column of first, column of second) it holds: (member, a, b)."""
    rows_a, cols_a = first
    rows_b, cols_b = second
    order_b = np.argsort(rows_b, kind="stable")
    rows_b, cols_b = rows_b[order_b], cols_b[order_b]
    start_b = np.searchsorted(rows_b, np.arange(n))
    count_b = np.bincount(rows_b, minlength=n)
    times = count_b[rows_a]
    members = np.repeat(rows_a, times)
    a = np.repeat(cols_a, times)
    b = cols_b[ranges(start_b[rows_a], times)]
    return members, a, b
