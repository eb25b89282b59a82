"""Balanced partition of people into groups with the smallest total pair cost: the search behind meetup groups
(`matching/groups.py`) and small-group rounds (`matching/rounds.py`), which differ only in their costs.

A pair inside a group costs `Costs.pair[p, q]` (whole numbers, so the bookkeeping below is exact); a part of it,
`Costs.conflict`, is what must go first (blocks, pairs who cannot meet, repeats): it picks whom to move.
Groups: k = max(1, round(n / size)), sizes differing by at most one.

Few people (at most `EXACT_UP_TO` balanced partitions: everyone up to ten people, some splits of eleven or
twelve): every balanced partition is weighed and the cheapest kept, so small meetups and small-group rounds get
the optimum for their costs (the search below can wander a plateau of equal partitions there and miss it).

Search (more people): a greedy construction (most conflicted first, into the cheapest group with room) followed by
tabu search over swaps of two people in different groups (and moves between a big and a small group when the sizes are
uneven). Every person keeps their cost towards every group (`cost[g, p]`), so a swap's delta is a few lookups
and applying it one vector update; each step weighs every swap of the chosen person at once with numpy. The
person to move is the most conflicted of a few drawn at random, the tabu tenure is short, and the search
restarts from the best partition with a random kick when it stops improving. It stops at `Costs.bound`, after
`stall` steps without a better partition (default `default_stall(n)`), or at the deadline; the result
is deterministic per seed unless the deadline is what stops it.

Costs are dense n × n matrices, so more than `CHUNK` people are split, in the caller's order, into chunks of
whole groups that are searched one after another (people of two chunks never share a group).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.int32]

TOURNAMENT = 12  # p is the most conflicted of this many conflicted people drawn at random
EXACT_UP_TO = 5_000  # balanced partitions: up to this many, all are weighed (9 people in 4 groups: 1,260)
TENURE = 0.02  # tabu tenure: 2 + a random number of steps below max(2, TENURE * n)
PATIENCE = 400  # tabu steps without a new best before the search restarts from the best with a kick
STALL_WORK = 200_000  # the search stops after max(1000, STALL_WORK // (n + STEP_COST)) steps without a new best
STEP_COST = 100  # a step's fixed cost (numpy calls) in people: a step on n people costs about n + STEP_COST
CHUNK = 3_000  # people searched at once (pair and conflict costs as int32: 72 MB)
WIDE_UP_TO = 1_000  # people; up to this the costs are kept as int64 (16 MB), saving a conversion per update


@dataclass(frozen=True)
class Costs:
    pair: Matrix  # [p, q]: cost of p and q sharing a group; symmetric, zero diagonal
    conflict: Matrix  # the part of `pair` to remove first (≥ 0)
    priority: Ints  # the greedy start places people with more conflict first, then higher priority
    bound: int | None = None  # no partition costs less: the search stops when it gets there


CostsOf = Callable[[Ints], Costs]  # the costs among the given people (positions, sorted)


def default_stall(n: int) -> int:
    """Steps without a better partition before the search stops: about the same work for any n."""
    return max(1000, STALL_WORK // (n + STEP_COST))


def group_count(n: int, size: int) -> int:
    return max(1, round(n / size))


def partition(
    n: int, size: int, costs_of: CostsOf, order: Ints, seed: int, deadline: float, stall: int | None = None
) -> list[list[int]]:
    """Groups of positions 0..n-1 with balanced sizes and the smallest total cost the search finds."""
    if n == 0:
        return []
    k = group_count(n, size)
    small, bigs = divmod(n, k)
    sizes = [small + 1] * bigs + [small] * (k - bigs)
    chunks: list[list[int]] = [[]]
    filled = 0
    for s in sizes:
        if chunks[-1] and filled + s > CHUNK:
            chunks.append([])
            filled = 0
        chunks[-1].append(s)
        filled += s
    if partition_count(sizes) <= EXACT_UP_TO:
        members = np.sort(order)
        best = cheapest(costs_of(members).pair, sizes)
        return [members[np.flatnonzero(best == g)].tolist() for g in range(k)]
    rng = random.Random(seed)
    out: list[list[int]] = []
    start = 0
    for number, chunk in enumerate(chunks):
        members = np.sort(order[start : start + sum(chunk)])
        start += sum(chunk)
        share = (deadline - time.perf_counter()) / (len(chunks) - number)
        search = Search(costs_of(members), len(chunk), rng)
        search.construct()
        m = len(members)
        best = search.search(time.perf_counter() + share, stall if stall is not None else default_stall(m))
        for g in range(len(chunk)):
            out.append(members[np.flatnonzero(best == g)].tolist())
    return out


def partition_count(sizes: list[int]) -> int:
    """How many ways n people split into unlabelled groups of these sizes."""
    count = math.factorial(sum(sizes))
    for s in sizes:
        count //= math.factorial(s)
    for same in Counter(sizes).values():
        count //= math.factorial(same)
    return count


def balanced_assignments(sizes: list[int]) -> Ints:
    """Every partition into groups of these sizes (some of one size, the rest one larger), once each: rows of
    group numbers per person, groups numbered in the order their first member appears."""
    n, k, small = sum(sizes), len(sizes), min(sizes)
    bigs = sizes.count(small + 1)
    rows: list[list[int]] = []
    group: list[int] = []
    filled = [0] * k

    def place(p: int, opened: int, full_bigs: int) -> None:
        if p == n:
            rows.append(group[:])
            return
        for g in range(min(opened + 1, k)):
            if filled[g] == small + 1 or (filled[g] == small and full_bigs == bigs):
                continue  # every group fits exactly, so no partial assignment is a dead end
            filled[g] += 1
            group.append(g)
            place(p + 1, max(opened, g + 1), full_bigs + (filled[g] == small + 1))
            group.pop()
            filled[g] -= 1

    place(0, 0, 0)
    return np.array(rows, dtype=np.int64).reshape(len(rows), n)


def cheapest(pair: Matrix, sizes: list[int]) -> Ints:
    """The cheapest partition into groups of these sizes, by weighing every one (the first of equals)."""
    rows = balanced_assignments(sizes)
    first, second = np.triu_indices(len(pair), 1)
    together = rows[:, first] == rows[:, second]
    totals: Ints = together.astype(np.int64) @ pair[first, second].astype(np.int64)
    best: Ints = rows[int(np.argmin(totals))]
    return best


class Search:
    """Tabu search state; people are 0..n-1, groups 0..k-1, sizes balanced. Pair costs and their conflict part
    are kept side by side (`weights[p, 0]` and `weights[p, 1]`), so that one update moves both."""

    def __init__(self, costs: Costs, k: int, rng: random.Random) -> None:
        self.n = n = len(costs.pair)
        wide = np.int64 if n <= WIDE_UP_TO else np.int32
        self.weights = np.stack([costs.pair, costs.conflict], axis=1).astype(wide)  # [p, part, q]
        self.pair = self.weights[:, 0]
        self.load_of = costs.conflict.sum(axis=1, dtype=np.int64)  # how conflicted each person is overall
        self.priority = costs.priority
        self.bound = costs.bound
        self.k = k
        self.small, self.bigs = divmod(n, k)
        self.rng = rng
        self.load(np.full(n, -1, dtype=np.int64))

    def load(self, assignment: Ints) -> None:
        """Start over from an assignment (-1: not placed yet)."""
        n, k = self.n, self.k
        self.group = assignment.copy()
        self.sizes = np.bincount(assignment[assignment >= 0], minlength=k).astype(np.int64)
        self.sums = np.zeros((k, 2, n), dtype=np.int64)  # [g, part, p]: p's pair costs with the people of g
        for g in np.unique(assignment[assignment >= 0]).tolist():
            self.sums[g] = self.weights[(assignment == g).nonzero()[0]].sum(axis=0, dtype=np.int64)
        self.cost = self.sums[:, 0]
        placed = (assignment >= 0).nonzero()[0]
        self.own = np.zeros((2, n), dtype=np.int64)  # [part, p]: p's pair costs inside its own group
        self.own[:, placed] = self.sums[assignment[placed], :, placed].T

    def move(self, p: int, old: int, new: int) -> None:
        """Move p from group old (-1: unplaced) to group new, keeping every sum up to date."""
        row = self.weights[p]
        if old >= 0:
            self.sums[old] -= row
            np.subtract(self.own, row, out=self.own, where=self.group == old)
            self.sizes[old] -= 1
        self.sums[new] += row
        np.add(self.own, row, out=self.own, where=self.group == new)
        self.own[:, p] = self.sums[new, :, p]
        self.sizes[new] += 1
        self.group[p] = new

    def total(self) -> int:
        return int(self.own[0].sum()) // 2

    def construct(self) -> None:
        n, rng = self.n, self.rng
        load = self.load_of.tolist()
        priority = self.priority.tolist()
        order = sorted(range(n), key=lambda p: (-load[p], -priority[p], rng.random()))
        bigs_left = self.bigs
        for p in order:
            cap = self.small + 1 if bigs_left > 0 else self.small
            room = (self.sizes < cap).nonzero()[0]
            row = self.cost[room, p]
            cheapest = room[row == row.min()]
            cheapest = cheapest[self.sizes[cheapest] == self.sizes[cheapest].min()]
            g = int(cheapest[rng.randrange(len(cheapest))]) if len(cheapest) > 1 else int(cheapest[0])
            self.move(p, -1, g)
            if self.sizes[g] == self.small + 1:
                bigs_left -= 1

    def _pick(self) -> int:
        """The most conflicted of TOURNAMENT conflicted people drawn at random (anyone if nobody is)."""
        rng = self.rng
        own = self.own[1]
        conflicted: list[int] = (own > 0).nonzero()[0].tolist()
        if not conflicted:
            return rng.randrange(self.n)
        p = conflicted[rng.randrange(len(conflicted))]
        for _ in range(TOURNAMENT - 1):
            o = conflicted[rng.randrange(len(conflicted))]
            if own[o] > own[p]:
                p = o
        return p

    def search(self, deadline: float, stall: int) -> Ints:
        """The best assignment found (group per person)."""
        n, k, rng = self.n, self.k, self.rng
        current = self.total()
        best_cost, best = current, self.group.copy()
        if k == 1 or (self.bound is not None and current <= self.bound):
            return best
        # p may not go back to group g before step tabu[g, p] (and the same as tabu_of[p, g], for reading by p)
        tabu = np.zeros((k, n), dtype=np.int64)
        tabu_of = np.zeros((n, k), dtype=np.int64)
        uneven = self.bigs > 0
        big = self.small + 1
        it = last_best = last_kick = kicks = 0
        while True:
            it += 1
            if it - last_best > stall or (it & 31 == 0 and time.perf_counter() > deadline):
                break
            p = self._pick()
            group, cost = self.group, self.cost
            g1 = int(group[p])
            row_p = cost[:, p]
            aspiration = best_cost - current  # a tabu move is allowed if it beats the best
            # swaps of p with every q: p leaves g1 for q's group, q comes to g1
            pair_p = self.pair[p]
            d = row_p[group] - row_p[g1] + cost[g1] - self.own[0] - pair_p - pair_p  # int64
            ok = (group != g1) & (((tabu_of[p][group] <= it) & (tabu[g1] <= it)) | (d < aspiration))
            swaps = ok.nonzero()[0]
            values = d[swaps]
            moves = np.zeros(0, dtype=np.int64)
            if uneven and self.sizes[g1] == big:  # p alone to a small group
                moves = (self.sizes != big).nonzero()[0]
                moved = row_p[moves] - row_p[g1]
                keep = (tabu_of[p][moves] <= it) | (moved < aspiration)
                moves, moved = moves[keep], moved[keep]
                values = np.concatenate([values, moved])
            if not len(values):
                continue
            best_delta = int(values.min())
            choices = (values == best_delta).nonzero()[0]
            c = int(choices[rng.randrange(len(choices))]) if len(choices) > 1 else int(choices[0])
            tenure = 2 + rng.randrange(max(2, int(n * TENURE)))
            tabu[g1, p] = tabu_of[p, g1] = it + tenure
            if c < len(swaps):
                q = int(swaps[c])
                g2 = int(group[q])
                self.move(p, g1, g2)
                tabu[g2, q] = tabu_of[q, g2] = it + tenure
                self.move(q, g2, g1)
            else:
                self.move(p, g1, int(moves[c - len(swaps)]))
            current += best_delta
            if current < best_cost:
                best_cost, best = current, self.group.copy()
                last_best = last_kick = it
                if self.bound is not None and best_cost <= self.bound:
                    break
            elif it - last_kick > PATIENCE:
                # restart from the best partition, kicked by a few random swaps (more after each failed kick)
                kicks += 1
                last_kick = it
                self.load(best)
                for _ in range(1 + kicks % max(2, n // 8)):
                    x, y = rng.randrange(n), rng.randrange(n)
                    gx, gy = int(self.group[x]), int(self.group[y])
                    if gx != gy:
                        self.move(x, gx, gy)
                        self.move(y, gy, gx)
                current = self.total()
                tabu[:] = 0
                tabu_of[:] = 0
        return best
