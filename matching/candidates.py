"""Candidate partners: all pairs for small communities, sampled buckets of likely good partners otherwise."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

from matching.rules import Rules

ALL_PAIRS_UP_TO = 400  # members; below this every allowed pair is a candidate (exact repeat avoidance)

Adjacency = list[dict[int, float]]  # neighbour -> weight, symmetric


def candidate_graph(rules: Rules, members: list[int], rng: random.Random, pool: int) -> Adjacency:
    adj: Adjacency = [{} for _ in range(rules.n)]
    if len(members) <= ALL_PAIRS_UP_TO:
        for pos, i in enumerate(members):
            for j in members[pos + 1 :]:
                _add(rules, adj, i, j)
        return adj
    buckets = _Buckets(rules, members, rng)
    for i in members:
        for j in buckets.sample(i, pool):
            if j != i and j not in adj[i]:
                _add(rules, adj, i, j)
    return adj


def _add(rules: Rules, adj: Adjacency, i: int, j: int) -> None:
    if rules.allowed(i, j):
        w = rules.weight(i, j)
        adj[i][j] = w
        adj[j][i] = w


class _Buckets:
    """Inverted indices (need word → who offers it, offer word → who needs it, interest, city), each
    shuffled once; a member draws a window from each of its buckets plus a few random members."""

    def __init__(self, rules: Rules, members: list[int], rng: random.Random) -> None:
        self.members = members
        self.rng = rng
        self.rules = rules
        offering: dict[str, list[int]] = defaultdict(list)
        needing: dict[str, list[int]] = defaultdict(list)
        interested: dict[str, list[int]] = defaultdict(list)
        local: dict[str, list[int]] = defaultdict(list)
        for i in members:
            p = rules.profiles[i]
            for s in p.offer_stems:
                offering[s].append(i)
            for s in p.need_stems:
                needing[s].append(i)
            for t in p.interests:
                interested[t].append(i)
            if p.city is not None and p.in_person:
                local[p.city].append(i)
        for index in (offering, needing, interested, local):
            for bucket in index.values():
                rng.shuffle(bucket)
        self.offering, self.needing, self.interested, self.local = offering, needing, interested, local

    def sample(self, i: int, pool: int) -> Iterable[int]:
        p = self.rules.profiles[i]
        buckets = [self.offering[s] for s in p.need_stems if s in self.offering]
        buckets += [self.needing[s] for s in p.offer_stems if s in self.needing]
        buckets += [self.interested[t] for t in p.interests]
        if p.city is not None and p.in_person:
            buckets.append(self.local[p.city])
        randoms = max(2, pool // 6)
        per_bucket = max(1, (pool - randoms) // max(1, len(buckets)))
        out: list[int] = []
        for bucket in buckets:
            size = len(bucket)
            start = self.rng.randrange(size)
            out.extend(bucket[start : start + per_bucket])
            if start + per_bucket > size:
                out.extend(bucket[: start + per_bucket - size])
        n = len(self.members)
        out.extend(self.members[self.rng.randrange(n)] for _ in range(randoms))
        return out
