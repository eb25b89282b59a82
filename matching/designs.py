"""Repeat-free schedules (social golfers): w rounds of g groups of s people in which no two people meet twice,
computed from known constructions, never copied from tables.

* **Affine planes** AG(2, q), q a prime power: q² people, q + 1 rounds of q groups of q (the lines of one slope
  are a round), over GF(q) built here (prime fields, or polynomials modulo an irreducible one found by search).
* **1-rotational / cyclic designs**: people are ``Z_m × {levels}`` plus a few fixed points ``∞``; a *base round*
  (a partition of everyone into groups) is developed by adding ``t`` to every finite point, t = 0..m-1, which
  gives m rounds; b base rounds give b·m rounds. A pair's orbit under the translations is its *difference*
  (level i, level j, y − x; one orbit per ±d inside a level; fixed point with a level), so the developed rounds
  are repeat-free exactly when every orbit is used at most once by the base rounds and no difference d = −d
  (m even, d = m/2) is used. The base rounds are found by a small depth-first search with restarts (a fixed
  node budget, deterministic). This is how Kirkman triple systems KTS(2q+1), nearly Kirkman systems NKTS(2m+2),
  resolvable (v, 4, 1) designs and others are usually built; here the search finds the base round itself.

`schedule(g, s)` gives the affine plane when g = s is a prime power, otherwise tries cyclic structures (m, levels,
fixed points, base rounds) from the most rounds down: a quick look at each until one works, then the rest of a
fixed step budget on those that would give more rounds. Results are kept per process.
`check_schedule` verifies a schedule: every round a partition of 0..g·s-1 into g groups of s, every pair at most
once. Nothing here knows about members: `matching/groups.py` maps people to points.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from itertools import combinations

import numpy as np
import numpy.typing as npt

__all__ = [
    "Schedule",
    "affine_plane",
    "cheapest_fresh_round",
    "check_schedule",
    "cyclic_schedule",
    "gf",
    "schedule",
    "upper_bound",
]

Schedule = tuple[tuple[tuple[int, ...], ...], ...]  # rounds → groups → sorted points

MAX_POINTS = 64  # schedules are sought for at most this many people (the search is meant for small groups)
ATTEMPT = 3_000  # search steps before a restart in a new random order (the search time is heavy-tailed)
QUICK = 6_000  # search steps for a first look at one cyclic structure (2 attempts)
NODES = 90_000  # search steps for a second look at one cyclic structure (30 attempts)
BUDGET = 300_000  # search steps in all for one (g, s): 2-8 s on a busy 2-CPU box when nothing is found; kept
MAX_BASES = 3  # base rounds per structure


# ---------------------------------------------------------------------------------------------------- fields


def _prime_power(q: int) -> tuple[int, int] | None:
    """(p, k) with q = p^k, p prime, or None."""
    if q < 2:
        return None
    p = next(d for d in range(2, q + 1) if q % d == 0)
    k, r = 0, q
    while r % p == 0:
        r //= p
        k += 1
    return (p, k) if r == 1 else None


def _poly_mod(a: list[int], f: list[int], p: int) -> list[int]:
    """a modulo the monic f over GF(p) (coefficients lowest first)."""
    a = a[:]
    while len(a) >= len(f):
        lead = a[-1] % p
        shift = len(a) - len(f)
        for i, c in enumerate(f):
            a[shift + i] = (a[shift + i] - lead * c) % p
        a.pop()
    return a


def _irreducible(p: int, k: int) -> list[int]:
    """The first monic irreducible polynomial of degree k over GF(p) (no factor of degree ≤ k / 2)."""
    for code in range(p**k):
        f = [(code // p**i) % p for i in range(k)] + [1]
        if all(
            any(_poly_mod(f, [(c // p**i) % p for i in range(d)] + [1], p))
            for d in range(1, k // 2 + 1)
            for c in range(p**d)
        ):
            return f
    raise AssertionError("an irreducible polynomial always exists")


def gf(q: int) -> tuple[list[list[int]], list[list[int]]]:
    """Addition and multiplication tables of GF(q) on 0..q-1 (element = its coefficients in base p)."""
    pk = _prime_power(q)
    if pk is None:
        raise ValueError(f"{q} is not a prime power")
    p, k = pk
    digits = [[(x // p**i) % p for i in range(k)] for x in range(q)]

    def number(c: list[int]) -> int:
        return sum((v % p) * p**i for i, v in enumerate(c))

    f = _irreducible(p, k) if k > 1 else [0, 1]
    add = [[number([a + b for a, b in zip(digits[x], digits[y], strict=True)]) for y in range(q)] for x in range(q)]
    mul = []
    for x in range(q):
        row = []
        for y in range(q):
            prod = [0] * (2 * k - 1)
            for i, a in enumerate(digits[x]):
                for j, b in enumerate(digits[y]):
                    prod[i + j] += a * b
            row.append(number(_poly_mod(prod, f, p) if k > 1 else prod))
        mul.append(row)
    return add, mul


def affine_plane(q: int) -> Schedule:
    """The q + 1 parallel classes of AG(2, q): point (x, y) is x·q + y; slope m: lines y = m·x + c; then x = c."""
    add, mul = gf(q)
    rounds = []
    for m in range(q):
        rounds.append(tuple(sorted(tuple(sorted(x * q + add[mul[m][x]][c] for x in range(q))) for c in range(q))))
    rounds.append(tuple(tuple(c * q + y for y in range(q)) for c in range(q)))
    return tuple(rounds)


# ---------------------------------------------------------------------------------------------------- cyclic


class _Cyclic:
    """Depth-first search for base rounds on Z_m × levels + fixed points (see the module's docstring): each group
    starts with the free point that has the fewest possible partners left, and a branch is cut as soon as a free
    point has fewer than s - 1 of them."""

    def __init__(self, m: int, levels: int, fixed: int, size: int, bases: int, rng: random.Random) -> None:
        self.m, self.levels, self.fixed, self.size, self.bases = m, levels, fixed, size, bases
        self.n = n = m * levels + fixed
        self.rng = rng
        ids: dict[tuple[int, int, int], int] = {}
        self.orbit = [[-1] * n for _ in range(n)]  # orbit number of each pair, -1: may never be developed
        for a, b in combinations(range(n), 2):
            key = self._orbit(a, b)
            if key is not None:
                self.orbit[a][b] = self.orbit[b][a] = ids.setdefault(key, len(ids))
        self.used = [False] * len(ids)
        self.nodes = 0
        self.deadline = math.inf
        self.late = False  # the deadline stopped it
        self.rounds: list[list[tuple[int, ...]]] = []

    def _orbit(self, a: int, b: int) -> tuple[int, int, int] | None:
        """The orbit of the pair {a, b} (a < b), or None if the pair may never be developed (two fixed points,
        or a difference equal to its own negative)."""
        m, finite = self.m, self.m * self.levels
        if a >= finite:
            return None
        if b >= finite:
            return (-1, b - finite, a // m)  # fixed point b meets level a // m
        (i, x), (j, y) = divmod(a, m), divmod(b, m)
        d = (y - x) % m
        if i == j:
            if d == 0 or 2 * d == m:
                return None
            return (i, i, min(d, m - d))
        return (i, j, d)

    def run(self, budget: int, deadline: float = math.inf) -> bool:
        self.nodes, self.deadline = budget, deadline
        return self._round(0, list(range(self.n)), [])

    def _partners(self, p: int, free: list[int]) -> list[int]:
        row, used = self.orbit[p], self.used
        return [q for q in free if q != p and row[q] >= 0 and not used[row[q]]]

    def _round(self, base: int, free: list[int], blocks: list[tuple[int, ...]]) -> bool:
        if not free:
            self.rounds.append(blocks)
            if base + 1 == self.bases or self._round(base + 1, list(range(self.n)), []):
                return True
            self.rounds.pop()
            return False
        self.nodes -= 1
        if self.nodes & 255 == 0 and time.perf_counter() > self.deadline:
            self.nodes, self.late = -1, True
        if self.nodes < 0:
            return False
        first, partners = -1, list[int]()
        for p in free:
            options = self._partners(p, free)
            if len(options) < self.size - 1:
                return False
            if first < 0 or len(options) < len(partners):
                first, partners = p, options
        self.rng.shuffle(partners)
        rest = [p for p in free if p != first]
        return self._block(base, rest, blocks, [first], [], partners)

    def _block(
        self, base: int, free: list[int], blocks: list[tuple[int, ...]], block: list[int], orbits: list[int],
        candidates: list[int],
    ) -> bool:
        if len(block) == self.size:
            for o in orbits:
                self.used[o] = True
            if self._round(base, free, [*blocks, tuple(sorted(block))]):
                return True
            for o in orbits:
                self.used[o] = False
            return False
        for index, c in enumerate(candidates):
            if len(block) + len(candidates) - index < self.size:
                break
            row = self.orbit[c]
            new = [row[b] for b in block]
            if -1 in new or len(set(new)) < len(new) or any(self.used[o] or o in orbits for o in new):
                continue
            self.nodes -= 1
            if self.nodes & 255 == 0 and time.perf_counter() > self.deadline:
                self.nodes, self.late = -1, True
                return False
            block.append(c)
            if self._block(base, [p for p in free if p != c], blocks, block, orbits + new, candidates[index + 1 :]):
                return True
            block.pop()
            if self.nodes < 0:
                return False
        return False

    def develop(self) -> Schedule:
        m, finite = self.m, self.m * self.levels
        rounds = []
        for t in range(m):
            for blocks in self.rounds:
                rounds.append(tuple(sorted(
                    tuple(sorted(p if p >= finite else (p // m) * m + (p % m + t) % m for p in block))
                    for block in blocks
                )))
        return tuple(rounds)


def upper_bound(g: int, s: int) -> int:
    """No schedule has more rounds: everyone meets s - 1 new people a round, out of g·s - 1."""
    return (g * s - 1) // (s - 1) if g > 1 else 1


def _structures(g: int, s: int) -> list[tuple[int, int, int, int, int]]:
    """(rounds, m, levels, fixed, bases) with m·levels + fixed = g·s that pass the counting test (enough orbits
    for the pairs the base rounds need): most rounds first (at most `upper_bound`), then fewest base rounds, then
    most spare orbits."""
    n, top = g * s, upper_bound(g, s)
    out = []
    for m in range(3, n + 1):
        for bases in range(1, MAX_BASES + 1):
            if (bases - 1) * m >= top:
                break
            for levels in range(1, n // m + 1):
                fixed = n - m * levels
                if fixed > g or (fixed and bases * (s - 1) > levels):
                    continue  # fixed points sit in different groups and meet each level once
                pure = levels * ((m - 1) // 2)
                mixed = levels * (levels - 1) // 2 * m
                spare = pure + mixed - bases * (g * s * (s - 1) // 2 - fixed * (s - 1))
                if spare >= 0:
                    out.append((-min(top, bases * m), bases, -spare, m, levels, fixed))
    out.sort()
    return [(-rounds, m, levels, fixed, bases) for rounds, bases, _, m, levels, fixed in out]


def cyclic_schedule(m: int, levels: int, fixed: int, size: int, bases: int, seed: int = 0,
                    nodes: int = NODES, deadline: float = math.inf) -> Schedule | None:
    """The developed rounds of one cyclic structure (see the module's docstring), or None if the search found no
    base rounds within `nodes` steps (restarting with a new order every `ATTEMPT` steps; it stops early when an
    attempt has tried every possibility) or by the deadline (`time.perf_counter()`; then `Late` is raised)."""
    rng = random.Random(seed * 7919 + m * 131 + levels * 17 + fixed)
    for _ in range(max(1, nodes // ATTEMPT)):
        search = _Cyclic(m, levels, fixed, size, bases, rng)
        if search.run(min(nodes, ATTEMPT), deadline):
            return search.develop()
        if search.late:
            raise Late
        if search.nodes >= 0:
            return None  # the whole space was searched: there is none
    return None


class Late(Exception):
    """The deadline stopped a schedule's search before its step budget did."""


_found: dict[tuple[int, int, int], Schedule | None] = {}  # (g, s, nodes) → what the search gave
_late: dict[tuple[int, int, int], float] = {}  # (g, s, nodes) → the most seconds a search had when it ran out


def schedule(g: int, s: int, nodes: int = BUDGET, deadline: float = math.inf) -> Schedule | None:
    """The longest repeat-free schedule of g groups of s people (points 0..g·s-1) that the constructions here give
    within `nodes` search steps in all (None if none, or g·s > MAX_POINTS): deterministic, and kept for the next
    call. If the deadline (`time.perf_counter()`) comes first, None, and the search is tried again only by a call
    that gives it more than twice as much time."""
    if g < 2 or s < 2 or g * s > MAX_POINTS:
        return None
    if g == s and _prime_power(s) is not None:
        return affine_plane(s)  # s + 1 rounds: the upper bound
    key = (g, s, nodes)
    if key not in _found:
        given = deadline - time.perf_counter()
        if given <= 2 * _late.get(key, 0.0):
            return None  # it ran out of time before, with more than half as much
        try:
            _found[key] = _cyclic_search(g, s, nodes, deadline)
        except Late:
            _late[key] = given
            return None
    return _found[key]


def _cyclic_search(g: int, s: int, nodes: int, deadline: float) -> Schedule | None:
    """A quick look at every structure (most rounds first) until one gives a schedule, then the rest of the budget
    on the structures that would give more rounds."""
    structures = _structures(g, s)
    left, best = nodes, None
    for rounds, m, levels, fixed, bases in structures:
        spend = min(left, QUICK)
        if spend <= 0:
            return None
        found = cyclic_schedule(m, levels, fixed, s, bases, nodes=spend, deadline=deadline)
        left -= spend  # an early stop still counts its whole share: the budget bounds the time, not the work
        if found is not None:
            best = found[:rounds]
            break
    for rounds, m, levels, fixed, bases in structures:
        spend = min(left, NODES)
        if spend <= 0 or (best is not None and rounds <= len(best)):
            break
        found = cyclic_schedule(m, levels, fixed, s, bases, seed=1, nodes=spend, deadline=deadline)
        left -= spend
        if found is not None:
            return found[:rounds]
    return best


def check_schedule(rounds: Schedule, g: int, s: int) -> None:
    """Raise AssertionError unless every round splits 0..g·s-1 into g groups of s and no pair meets twice."""
    seen: set[tuple[int, int]] = set()
    for number, groups in enumerate(rounds):
        assert len(groups) == g and all(len(group) == s for group in groups), f"round {number}: wrong sizes"
        assert sorted(p for group in groups for p in group) == list(range(g * s)), f"round {number}: not a partition"
        for group in groups:
            for pair in combinations(sorted(group), 2):
                assert pair not in seen, f"round {number}: {pair} meets again"
                seen.add(pair)


def cheapest_fresh_round(rounds: Schedule, conflict: npt.NDArray[np.int32], pair: npt.NDArray[np.int32],
                         ok: Callable[[tuple[int, ...]], bool] = lambda group: True) -> list[list[int]] | None:
    """The round of `rounds` whose groups hold no pair with a conflict (conflict[p, q] == 0 inside every group) and
    pass `ok`, the cheapest by `pair` (the earliest on ties), or None if every round has a conflict."""
    best: list[list[int]] | None = None
    best_cost = 0
    for groups in rounds:
        if any(int(conflict[np.ix_(g, g)].sum()) for g in groups) or not all(ok(g) for g in groups):
            continue
        cost = sum(int(pair[np.ix_(g, g)].sum()) for g in groups)
        if best is None or cost < best_cost:
            best, best_cost = [list(g) for g in groups], cost
    return best
