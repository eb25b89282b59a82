"""Candidate partners: all pairs for small communities, otherwise the best of a sampled pool per member.

The pool draws from inverted indices that predict a high score — people who answer one of my needs and need
one of my offers, then people who answer a need, who need an offer, who share an interest or a city — plus a
few random members; each pool is scored exactly and the best `keep` edges survive.
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from collections.abc import Iterable

from matching.rules import Rules

ALL_PAIRS_UP_TO = 400  # members; below this every allowed pair is a candidate (exact repeat avoidance)
EXACT_TOP_UP_TO = 2_500  # members; below this each member keeps its exact best partners (all pairs scored)

Adjacency = list[dict[int, float]]  # neighbour -> weight, symmetric


def candidate_graph(
    rules: Rules, members: list[int], rng: random.Random, pool: int, keep: int, exact_keep: int
) -> Adjacency:
    adj: Adjacency = [{} for _ in range(rules.n)]
    if len(members) <= ALL_PAIRS_UP_TO:
        for pos, i in enumerate(members):
            for w, j in rules.weights_from(i, members[pos + 1 :]):
                adj[i][j] = adj[j][i] = w
        return adj
    if len(members) <= EXACT_TOP_UP_TO:
        # Every pair scored once; each member keeps its exact top `exact_keep`, the graph is their union.
        rows: list[list[tuple[float, int]]] = [[] for _ in range(rules.n)]
        for pos, i in enumerate(members):
            row_i = rows[i]
            for w, j in rules.weights_from(i, members[pos + 1 :]):
                row_i.append((w, j))
                rows[j].append((w, i))
        for i in members:
            for w, j in heapq.nlargest(exact_keep, rows[i]):
                adj[i][j] = adj[j][i] = w
            rows[i] = []
        return adj
    buckets = _Buckets(rules, members, rng)
    for i in members:
        scored = rules.weights_from(i, set(buckets.sample(i, pool)))
        scored.sort(reverse=True)  # the same as heapq.nlargest, faster on short lists
        adj_i = adj[i]
        for w, j in scored[:keep]:
            adj_i[j] = adj[j][i] = w
    return adj


class _Buckets:
    """Shuffled inverted indices. A need phrase P is answered by whoever offers all of its words; the
    richest bucket, (P, Q), holds people who answer my need P and need Q, which my offers answer."""

    def __init__(self, rules: Rules, members: list[int], rng: random.Random) -> None:
        self.members = members
        self.rng = rng
        self.random = rng.random
        self.rules = rules
        offering: dict[str, set[int]] = defaultdict(set)
        self.needers: dict[frozenset[str], list[int]] = defaultdict(list)
        self.needs_with: dict[str, dict[frozenset[str], None]] = defaultdict(dict)  # word -> need phrases with it
        self.offering: dict[str, list[int]] = defaultdict(list)
        self.needing: dict[str, list[int]] = defaultdict(list)
        self.interested: dict[str, list[int]] = defaultdict(list)
        self.local: dict[str, list[int]] = defaultdict(list)
        for i in members:
            p = rules.profiles[i]
            for s in p.offer_stems:
                offering[s].add(i)
                self.offering[s].append(i)
            for need in p.needs:
                self.needers[need.stems].append(i)
                for s in need.stems:
                    self.needs_with[s][need.stems] = None
            for s in p.need_stems:
                self.needing[s].append(i)
            for t in p.interests:
                self.interested[t].append(i)
            if p.city is not None and p.in_person:
                self.local[p.city].append(i)
        self.offering_sets = offering
        rank = list(range(rules.n))  # one random order of everyone, applied to every bucket (C-level sorts)
        rng.shuffle(rank)
        by_rank = rank.__getitem__
        for index in (self.needers, self.offering, self.needing, self.interested, self.local):
            for bucket in index.values():
                bucket.sort(key=by_rank)
        self.answering: dict[frozenset[str], set[int]] = {}
        self.mutual: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}

    def _answering(self, need: frozenset[str]) -> set[int]:
        found = self.answering.get(need)
        if found is None:
            sets = sorted((self.offering_sets.get(s, set()) for s in need), key=len)
            found = self.answering[need] = set.intersection(*sets) if sets else set()
        return found

    def _mutual(self, need: frozenset[str], answered: frozenset[str]) -> list[int]:
        key = (need, answered)
        found = self.mutual.get(key)
        if found is None:
            answering = self._answering(need)
            found = self.mutual[key] = [j for j in self.needers[answered] if j in answering]
        return found

    def sample(self, i: int, pool: int) -> Iterable[int]:
        p = self.rules.profiles[i]
        # Orders below never depend on string hashing, so that a seed gives the same pools in every process.
        needs = list(dict.fromkeys(n.stems for n in p.needs))
        offers = sorted(p.offer_stems)
        answered = list(
            dict.fromkeys(q for s in offers for q in self.needs_with.get(s, ()) if q <= p.offer_stems)
        )
        mutual = [self._mutual(n, q) for n in needs for q in answered]
        direct = [sorted(self._answering(n)) for n in needs] if len(self.members) <= 5000 else []
        direct += [self.needers[q] for q in answered]
        rest = [self.offering[s] for s in sorted(p.need_stems) if s in self.offering]
        rest += [self.needing[s] for s in offers if s in self.needing]
        rest += [self.interested[t] for t in sorted(p.interests)]
        if p.city is not None and p.in_person:
            rest.append(self.local[p.city])
        randoms = max(2, pool // 8)
        out: list[int] = []
        self._draw(mutual, pool // 2, out)
        self._draw(direct, (pool - randoms - len(out)) // 2, out)
        self._draw(rest, pool - randoms - len(out), out)
        n = len(self.members)
        members, random_ = self.members, self.rng.random
        out.extend(members[int(random_() * n)] for _ in range(randoms))
        return out

    def _draw(self, buckets: list[list[int]], budget: int, out: list[int]) -> None:
        """A window of each bucket, at a random offset, sharing `budget` draws between the buckets."""
        buckets = [b for b in buckets if b]
        if not buckets or budget <= 0:
            return
        per_bucket = max(1, budget // len(buckets))
        for bucket in buckets:
            size = len(bucket)
            start = int(self.random() * size)
            out.extend(bucket[start : start + per_bucket])
            if start + per_bucket > size:
                out.extend(bucket[: min(start, start + per_bucket - size)])
