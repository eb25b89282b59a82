"""Group formation for sessions and small-group rounds: split everyone into balanced groups with as few
pairs who have already met as possible, interests mixed (or, on request, grouped together).

The problem is a balanced graph partition with pair weights: a pair inside a group costs

* ``BLOCK`` if one of them blocked the other (avoided whenever possible),
* ``REPEAT + RECENT // age`` if they met before (every pair inside a past meeting; the latest meeting counts,
  so a recent one weighs a little more),
* ``±1`` per interest tag they share: +1 mixes topics (it is the sum over tags of the squared tag counts per
  group, up to a constant, so each topic spreads evenly and no group is a clique of one topic); −1 with
  ``by_interest`` groups people with shared interests together.

The weights are lexicographic in practice: repeats dominate interests. Search: a greedy construction (most
constrained first, into the cheapest group with room) followed by tabu search over swaps of two people in
different groups (and moves between a big and a small group when the sizes are uneven). Every person keeps
their cost towards every group (``cost[p][g]``), so a swap's delta is O(1) and applying it is O(degree).
The person to move is the most conflicted of a few drawn at random, the tabu tenure is short, and the search
restarts from the best partition with a random kick when it stops improving. It stops at the lower bound, after
``stall`` iterations without a better partition (default ``max(1000, STALL_WORK // n)``: a fraction of a second
up to a few hundred people), or at ``time_limit``; the result is deterministic per seed unless the time limit is
what stops it.

Lower bound on repeats (reported as ``GroupResult.lower_bound``): the groups of one past round are disjoint,
and the people of a past group of m spread over k new groups leave at least the pairs of an even split
(pigeonhole); the bound is the best such round.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from matching.model import InputError, Instance

REPEAT = 10_000
RECENT = 2_000  # a pair that met in the previous round costs REPEAT + RECENT, two rounds ago + RECENT / 2, …
BLOCK = 1_000_000_000
TOURNAMENT = 12  # p is the most conflicted of this many conflicted people drawn at random
TENURE = 0.02  # tabu tenure: 2 + a random number of iterations below max(2, TENURE * n)
PATIENCE = 400  # tabu iterations without a new best before the search restarts from the best with a kick
STALL_WORK = 200_000  # the search stops after max(1000, STALL_WORK // n) iterations without a new best


@dataclass(frozen=True)
class Group:
    members: tuple[int, ...]  # sorted ids
    repeats: int  # pairs inside that have already met (history)
    shared_interests: tuple[str, ...]  # tags held by at least two members, most common first


@dataclass(frozen=True)
class GroupResult:
    groups: tuple[Group, ...]
    repeats: int  # total repeated pairs
    seconds: float
    lower_bound: int = 0  # no partition into these group sizes has fewer repeats
    blocked: int = 0  # blocked pairs that had to share a group (0 unless unavoidable)


def group_count(n: int, size: int) -> int:
    return max(1, round(n / size))


def repeat_lower_bound(instance: Instance, size: int) -> int:
    """Pigeonhole bound on repeated pairs: for each past round, its disjoint groups (restricted to the people of
    this instance) each spread over k new groups as evenly as possible; the best round wins."""
    present = {m.id for m in instance.members}
    k = group_count(len(present), size)
    by_round: dict[int, list[set[int]]] = {}
    for meeting in instance.history:
        inside = {i for i in meeting.members if i in present}
        if len(inside) >= 2:
            by_round.setdefault(meeting.round, []).append(inside)
    best = 0
    for groups in by_round.values():
        used: set[int] = set()
        total = 0
        for inside in sorted(groups, key=len, reverse=True):
            if inside & used:  # overlapping meetings in one round: count only disjoint ones
                continue
            used |= inside
            total += _even_split_pairs(len(inside), k)
        best = max(best, total)
    return best


def _even_split_pairs(m: int, k: int) -> int:
    a, b = divmod(m, k)
    return b * (a + 1) * a // 2 + (k - b) * a * (a - 1) // 2


def _max_split_pairs(m: int, k: int, big: int, small: int, bigs: int) -> int:
    """Most pairs m holders of one tag can form inside k groups (bigs of size big, the rest small)."""
    total = 0
    caps = [big] * bigs + [small] * (k - bigs)
    for cap in caps:
        take = min(cap, m)
        total += take * (take - 1) // 2
        m -= take
        if m == 0:
            break
    return total


class _Search:
    """Tabu search state; people are indices 0..n-1 (members sorted by id), groups 0..k-1."""

    def __init__(self, instance: Instance, size: int, seed: int, by_interest: bool) -> None:
        members = sorted(instance.members, key=lambda m: m.id)
        self.ids = [m.id for m in members]
        self.n = n = len(members)
        self.k = k = group_count(n, size)
        self.small, self.bigs = divmod(n, k)
        self.rng = random.Random(seed)
        index = {member_id: i for i, member_id in enumerate(self.ids)}

        # Interests: one bit per tag; holders per tag (for the cost updates).
        tags = sorted({t for m in members for t in m.interests})
        tag_index = {t: b for b, t in enumerate(tags)}
        self.tags = tags
        self.member_tags = [sorted({tag_index[t] for t in m.interests}) for m in members]
        self.masks = [sum(1 << b for b in ts) for ts in self.member_tags]
        self.holders: list[list[int]] = [[] for _ in tags]
        for p, ts in enumerate(self.member_tags):
            for b in ts:
                self.holders[b].append(p)
        self.a = -1 if by_interest else 1

        # History and blocks: sparse pair weights.
        last: dict[tuple[int, int], int] = {}
        for meeting in instance.history:
            inside = sorted({index[i] for i in meeting.members if i in index})
            for i, j in combinations(inside, 2):
                if last.get((i, j), meeting.round - 1) < meeting.round:
                    last[(i, j)] = meeting.round
        now = instance.round if instance.round > 0 else max(last.values(), default=0) + 1
        self.met: set[tuple[int, int]] = set(last)
        self.rep: list[dict[int, int]] = [{} for _ in range(n)]
        for (i, j), r in last.items():
            w = REPEAT + RECENT // max(1, now - r)
            self.rep[i][j] = self.rep[j][i] = w
        self.blocked_pairs: set[tuple[int, int]] = set()
        for x, y in instance.blocked:
            ix, iy = index.get(x), index.get(y)
            if ix is None or iy is None or ix == iy:
                continue
            i, j = min(ix, iy), max(ix, iy)
            if (i, j) in self.blocked_pairs:
                continue
            self.blocked_pairs.add((i, j))
            self.rep[i][j] = self.rep[j][i] = self.rep[i].get(j, 0) + BLOCK

        # Lower bound of the total cost (the search stops when it gets there).
        bound = 0
        rounds: dict[int, int] = {}
        for meeting in instance.history:
            rounds.setdefault(meeting.round, 0)
        for r in rounds:
            # pairs of round r met at round r or later: each weighs at least this round's weight
            rounds[r] = REPEAT + RECENT // max(1, now - r)
        self.repeat_bound = repeat_lower_bound(instance, size)
        if self.repeat_bound:
            bound = max(
                _round_bound(instance, size, r) * w for r, w in rounds.items()
            )
        holders = [len(h) for h in self.holders]
        if self.a > 0:
            bound += sum(_even_split_pairs(m, k) for m in holders)
        else:
            bound -= sum(_max_split_pairs(m, k, self.small + 1, self.small, self.bigs) for m in holders)
        self.bound = bound

        self.group = [-1] * n
        self.sizes = [0] * k
        self.cost = [[0] * k for _ in range(n)]  # cost[p][g]: sum of weights between p and the people of g
        self.conflict = [[0] * k for _ in range(n)]  # the same for history/block weights only

    # -- incremental bookkeeping -------------------------------------------------------------------------

    def _move(self, p: int, old: int, new: int) -> None:
        """Move p from group old (-1: unplaced) to group new, keeping cost and conflict up to date."""
        cost, conflict = self.cost, self.conflict
        for r, w in self.rep[p].items():
            if old >= 0:
                cost[r][old] -= w
                conflict[r][old] -= w
            cost[r][new] += w
            conflict[r][new] += w
        a = self.a
        ts = self.member_tags[p]
        if ts:
            for b in ts:
                for r in self.holders[b]:
                    row = cost[r]
                    if old >= 0:
                        row[old] -= a
                    row[new] += a
            own = a * len(ts)  # p shares its own tags with itself: take that back out
            if old >= 0:
                cost[p][old] += own
            cost[p][new] -= own
        if old >= 0:
            self.sizes[old] -= 1
        self.sizes[new] += 1
        self.group[p] = new

    def total(self) -> int:
        return sum(self.cost[p][self.group[p]] for p in range(self.n)) // 2

    def pair_weight(self, p: int, q: int) -> int:
        return self.rep[p].get(q, 0) + self.a * (self.masks[p] & self.masks[q]).bit_count()

    def load(self, assignment: list[int]) -> None:
        n, k = self.n, self.k
        self.group = [-1] * n
        self.sizes = [0] * k
        self.cost = [[0] * k for _ in range(n)]
        self.conflict = [[0] * k for _ in range(n)]
        for p in range(n):
            self._move(p, -1, assignment[p])

    # -- construction ------------------------------------------------------------------------------------

    def construct(self) -> None:
        n, k, rng = self.n, self.k, self.rng
        keys = [(-sum(self.rep[p].values()), -len(self.member_tags[p]), rng.random()) for p in range(n)]
        order = sorted(range(n), key=keys.__getitem__)
        bigs_left = self.bigs
        for p in order:
            row = self.cost[p]
            cap = self.small + 1 if bigs_left > 0 else self.small
            best: list[int] = []
            best_key: tuple[int, int] | None = None
            for g in range(k):
                if self.sizes[g] >= cap:
                    continue
                key = (row[g], self.sizes[g])
                if best_key is None or key < best_key:
                    best_key, best = key, [g]
                elif key == best_key:
                    best.append(g)
            g = best[rng.randrange(len(best))] if len(best) > 1 else best[0]
            self._move(p, -1, g)
            if self.sizes[g] == self.small + 1:
                bigs_left -= 1

    # -- tabu search -------------------------------------------------------------------------------------

    def search(self, deadline: float, stall: int) -> list[int]:
        n, k, rng = self.n, self.k, self.rng
        current = self.total()
        best_cost, best = current, self.group[:]
        if current <= self.bound or k == 1:
            return best
        tabu = [[0] * k for _ in range(n)]
        uneven = self.bigs > 0
        big = self.small + 1
        it = 0
        last_best = 0
        last_kick = 0
        kicks = 0
        while True:
            it += 1
            if it - last_best > stall or (it & 31 == 0 and time.perf_counter() > deadline):
                break
            group, cost = self.group, self.cost
            conflicted = [p for p in range(n) if self.conflict[p][group[p]] > 0]
            if conflicted:
                p = conflicted[rng.randrange(len(conflicted))]
                for _ in range(TOURNAMENT - 1):
                    o = conflicted[rng.randrange(len(conflicted))]
                    if self.conflict[o][group[o]] > self.conflict[p][group[p]]:
                        p = o
            else:
                p = rng.randrange(n)
            g1 = group[p]
            row_p = cost[p]
            base = -row_p[g1]
            tabu_p = tabu[p]
            rep_p = self.rep[p]
            mask_p = self.masks[p]
            a2 = 2 * self.a
            aspiration = best_cost - current  # a tabu move is allowed if it beats the best
            best_delta: int | None = None
            moves: list[tuple[int, int]] = []  # (q or -1 - g for a move, g2)
            for q in range(n):
                g2 = group[q]
                if g2 == g1:
                    continue
                row_q = cost[q]
                d = row_p[g2] + base + row_q[g1] - row_q[g2]
                if q in rep_p:
                    d -= 2 * rep_p[q]
                if mask_p:
                    d -= a2 * (mask_p & self.masks[q]).bit_count()
                if best_delta is not None and d > best_delta:
                    continue
                if (tabu_p[g2] > it or tabu[q][g1] > it) and d >= aspiration:
                    continue
                if best_delta is None or d < best_delta:
                    best_delta, moves = d, [(q, g2)]
                else:
                    moves.append((q, g2))
            if uneven and self.sizes[g1] == big:
                for g2 in range(k):
                    if g2 == g1 or self.sizes[g2] == big:
                        continue
                    d = row_p[g2] + base
                    if best_delta is not None and d > best_delta:
                        continue
                    if tabu_p[g2] > it and d >= aspiration:
                        continue
                    if best_delta is None or d < best_delta:
                        best_delta, moves = d, [(-1 - g2, g2)]
                    else:
                        moves.append((-1 - g2, g2))
            if best_delta is None:
                continue
            q, g2 = moves[rng.randrange(len(moves))] if len(moves) > 1 else moves[0]
            tenure = 2 + rng.randrange(max(2, int(n * TENURE)))
            tabu_p[g1] = it + tenure
            self._move(p, g1, g2)
            if q >= 0:
                tabu[q][g2] = it + tenure
                self._move(q, g2, g1)
            current += best_delta
            if current < best_cost:
                best_cost, best = current, self.group[:]
                last_best = last_kick = it
                if best_cost <= self.bound:
                    break
            elif it - last_kick > PATIENCE:
                # restart from the best partition, kicked by a few random swaps (more after each failed kick)
                kicks += 1
                last_kick = it
                self.load(best)
                for _ in range(1 + kicks % max(2, n // 8)):
                    x, y = rng.randrange(n), rng.randrange(n)
                    gx, gy = self.group[x], self.group[y]
                    if gx != gy:
                        self._move(x, gx, gy)
                        self._move(y, gy, gx)
                current = self.total()
                tabu = [[0] * k for _ in range(n)]
        return best


def _round_bound(instance: Instance, size: int, r: int) -> int:
    only = Instance(instance.members, tuple(m for m in instance.history if m.round == r))
    return repeat_lower_bound(only, size)


def form_groups(
    instance: Instance,
    size: int,
    *,
    seed: int = 0,
    by_interest: bool = False,
    time_limit: float = 2.0,
    stall: int | None = None,
) -> GroupResult:
    """Split instance.members into k = max(1, round(n / size)) groups whose sizes differ by at most one, with
    as few repeated pairs as possible (blocked pairs apart whenever possible), interests mixed or, with
    by_interest, grouped. The search stops at the lower bound, after `stall` iterations without a better partition
    (default max(1000, STALL_WORK // n); each iteration costs O(n)) or at time_limit: deterministic per seed
    unless time_limit is what stops it."""
    start = time.perf_counter()
    if size < 2:
        raise InputError(f"group size must be at least 2, got {size}")
    if not instance.members:
        return GroupResult((), 0, time.perf_counter() - start)
    state = _Search(instance, size, seed, by_interest)
    state.construct()
    if stall is None:
        stall = max(1000, STALL_WORK // len(instance.members))
    best = state.search(start + max(0.0, time_limit), stall)
    groups = _describe(state, best)
    blocked = sum(
        1 for i, j in state.blocked_pairs if best[i] == best[j]
    )
    return GroupResult(
        groups=groups,
        repeats=sum(g.repeats for g in groups),
        seconds=time.perf_counter() - start,
        lower_bound=state.repeat_bound,
        blocked=blocked,
    )


def _describe(state: _Search, assignment: list[int]) -> tuple[Group, ...]:
    members: list[list[int]] = [[] for _ in range(state.k)]
    for p, g in enumerate(assignment):
        members[g].append(p)
    groups = []
    for inside in members:
        repeats = sum(1 for i, j in combinations(inside, 2) if (i, j) in state.met)
        counts = Counter(state.tags[b] for p in inside for b in state.member_tags[p])
        shared = tuple(t for t, c in sorted(counts.items(), key=lambda tc: (-tc[1], tc[0])) if c >= 2)
        groups.append(Group(tuple(state.ids[p] for p in inside), repeats, shared))
    groups.sort(key=lambda g: g.members)
    return tuple(groups)


def groups_cli_result(instance: Instance, size: int, seed: int, by_interest: bool) -> dict[str, Any]:
    """JSON-ready output of `python -m matching groups`."""
    result = form_groups(instance, size, seed=seed, by_interest=by_interest)
    return {
        "groups": [
            {"members": list(g.members), "repeats": g.repeats, "shared_interests": list(g.shared_interests)}
            for g in result.groups
        ],
        "stats": {
            "repeats": result.repeats,
            "lower_bound": result.lower_bound,
            "blocked": result.blocked,
            "seconds": result.seconds,
        },
    }
