"""Weekly pairs (plus one trio when the count is odd): the public entry point `match_pairs`."""

from __future__ import annotations

import gc
import random
import time
from itertools import combinations

from matching.augment import augment_all
from matching.candidates import ALL_PAIRS_UP_TO, Adjacency, candidate_graph
from matching.improve import VISITS_PER_MEMBER, improve
from matching.model import Instance, Match, PairResult, PairStats, Unmatched
from matching.rules import REPEAT, Rules
from matching.schedule import best_factor, recognise
from matching.score import DEFAULT_WEIGHTS, Weights, explain

POOL = 64  # sampled and scored candidates per member on large communities …
KEEP = 16  # … of which the best are kept
HUGE = 30_000  # members; above this the pools and the improvement work per member shrink (time target)
POOL_HUGE = 40
KEEP_HUGE = 12
VISITS_HUGE = 3
EXACT_KEEP = 16  # exact best partners kept per member where all pairs are scored (see candidates.py)
SEARCH_LIMIT = 400  # vertices in one augmenting-path search tree (above ALL_PAIRS_UP_TO members)
TRIO_SCAN = 4000  # matched pairs tried as the trio's base per leftover candidate (large communities)
SCHEDULE_BUDGET = 60_000  # pair scores spent choosing among open round-robin factors
SCHEDULE_CHECKS = 100_000  # pairs looked up while searching for a round-robin factor nobody has met in
CHAIN_DEPTH = 6
TRIO_LEFTOVERS = 64  # members tried as the trio's extra person when the first choice means a repeat
CHAIN_STEPS = 3000  # chain steps explored per visit of a member (communities up to EXACT_SWAPS_UP_TO)
CHAIN_STEPS_LARGE = 40
EXACT_SWAPS_UP_TO = 2_000  # members; above this 2-opt only looks at candidate edges


def match_pairs(instance: Instance, seed: int = 0, weights: Weights = DEFAULT_WEIGHTS) -> PairResult:
    """The round's matches. The cyclic garbage collector is paused meanwhile: the engine builds millions of
    small acyclic objects (tuples, dicts) on large communities, and each full collection would walk them all."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _match_pairs(instance, seed, weights)
    finally:
        if was_enabled:
            gc.enable()


def _match_pairs(instance: Instance, seed: int, weights: Weights) -> PairResult:
    started = time.perf_counter()
    rng = random.Random(seed)
    rules = Rules(instance, weights)
    isolated = rules.isolated()
    eligible = [i for i in range(rules.n) if i not in isolated]

    strategy = "schedule"
    pairs = _continue_schedule(rules, instance, eligible, rng)
    trio: tuple[int, int, int] | None = None
    if pairs is None:
        strategy = "optimise"
        pairs, trio = _optimise(rules, eligible, rng)

    groups: list[tuple[int, ...]] = [tuple(p) for p in pairs]
    if trio is not None:
        groups = [g for g in groups if not set(g) <= set(trio)] + [trio]
    matched = {i for g in groups for i in g}
    unmatched = [isolated[i] for i in sorted(isolated)] + [
        Unmatched(rules.ids[i], "no_free_partner", "every compatible partner is taken by someone with fewer options")
        for i in eligible
        if i not in matched
    ]
    matches = sorted((_match(rules, g) for g in groups), key=lambda m: m.members)
    repeats = sum(1 for g in groups for a, b in combinations(g, 2) if rules.met(a, b))
    stats = PairStats(
        repeats=repeats,
        score=round(sum(m.score for m in matches), 6),
        seconds=round(time.perf_counter() - started, 6),
        strategy=strategy,
    )
    return PairResult(tuple(matches), tuple(sorted(unmatched, key=lambda u: u.id)), stats)


def _match(rules: Rules, group: tuple[int, ...]) -> Match:
    group = tuple(sorted(group))
    profiles = tuple(rules.profiles[i] for i in group)
    return Match(
        members=tuple(rules.ids[i] for i in group),
        repeat=any(rules.met(a, b) for a, b in combinations(group, 2)),
        score=round(sum(rules.score(a, b) for a, b in combinations(group, 2)), 6),
        reasons=explain(profiles),
    )


def _continue_schedule(
    rules: Rules, instance: Instance, eligible: list[int], rng: random.Random
) -> list[tuple[int, int]] | None:
    """A repeat-free round-robin factor if the history follows a schedule over exactly these members."""
    vertices = len(eligible)
    if vertices < 4 or vertices % 2:
        return None
    n = rules.n
    keys_of = rules.round_keys
    if vertices != n:
        is_eligible = [False] * n
        for i in eligible:
            is_eligible[i] = True
        cache: dict[int, list[int]] = {}

        def keys_of(r: int) -> list[int]:
            found = cache.get(r)
            if found is None:
                found = cache[r] = [
                    k for k in rules.round_keys(r) if is_eligible[k // n] and is_eligible[k % n]
                ]
            return found

    recognised = recognise(rules.history_rounds(), keys_of, n, vertices)
    if recognised is None:
        return None
    labels, played = recognised
    candidates = [r for r in range(vertices - 1) if r not in played]
    own = random.Random()  # a copy: looking for a factor leaves the optimiser's random stream as it was
    own.setstate(rng.getstate())
    own.shuffle(candidates)

    def value(a: int, b: int) -> float | None:
        return rules.score(a, b) if rules.allowed(a, b) else None

    return best_factor(labels, n, candidates, rules.last_met, value, SCHEDULE_BUDGET, SCHEDULE_CHECKS)


def _optimise(
    rules: Rules, eligible: list[int], rng: random.Random
) -> tuple[list[tuple[int, int]], tuple[int, int, int] | None]:
    """Maximum cardinality first, then fewest (and oldest) repeats, then score: greedy, augment, 2-opt."""
    huge = len(eligible) > HUGE
    pool, keep = (POOL_HUGE, KEEP_HUGE) if huge else (POOL, KEEP)
    adj = candidate_graph(rules, eligible, rng, pool, keep, EXACT_KEEP)
    mate = [-1] * rules.n
    order = list(eligible)
    rng.shuffle(order)
    complete = len(eligible) <= ALL_PAIRS_UP_TO  # adj holds every allowed pair: searches stay exact
    limit = None if complete else SEARCH_LIMIT

    fresh_edges = [(w, i, j) for i in order for j, w in adj[i].items() if i < j and w >= 0]
    _greedy(fresh_edges, mate, rng)
    del fresh_edges
    fresh_adj = [[j for j, w in adj[i].items() if w >= 0] for i in range(rules.n)]
    augment_all(fresh_adj, mate, order, limit)
    del fresh_adj

    free = [i for i in order if mate[i] == -1]
    if free:
        free_set = set(free)
        repeat_edges = [(w, i, j) for i in free for j, w in adj[i].items() if i < j and j in free_set]
        _greedy(repeat_edges, mate, rng)
        full_adj = [list(adj[i]) for i in range(rules.n)]
        augment_all(full_adj, mate, order, limit)
        del full_adj
        if not complete:
            _fill(rules, mate, [i for i in order if mate[i] == -1], adj)

    weight_of = rules.weight_or_none

    def candidates_only(a: int, b: int) -> float | None:
        return None

    exact = len(eligible) <= EXACT_SWAPS_UP_TO
    steps = CHAIN_STEPS if exact else CHAIN_STEPS_LARGE
    visits = VISITS_HUGE if huge else VISITS_PER_MEMBER
    improve(adj, mate, weight_of if exact else candidates_only, order, CHAIN_DEPTH, steps, visits)

    free = [i for i in order if mate[i] == -1]
    trio = _best_trio(rules, free[0], mate, adj) if len(eligible) % 2 and free else None
    pairs = [(i, mate[i]) for i in order if mate[i] > i]
    return pairs, trio


def _fill(rules: Rules, mate: list[int], free: list[int], adj: Adjacency) -> None:
    """Members the bounded searches over candidate edges left free, paired through any allowed pair: first
    with each other (best weight), then by a length-3 alternating path u – a = b – v that lets u take a and
    b take v. The allowed graph is almost complete, so this restores maximum cardinality in practice; who
    still stays free is reported as unmatched. New edges join `adj` so that improvement can undo them."""
    free = [u for u in free if mate[u] == -1]
    while len(free) >= 2:
        u = free.pop(0)
        options = rules.weights_from(u, free)
        if options:
            w, v = max(options)
            mate[u], mate[v] = v, u
            adj[u][v] = adj[v][u] = w
            free.remove(v)
            continue
        if not _three_path(rules, mate, u, free, adj):
            continue  # u stays free; the others may still pair among themselves
        free = [x for x in free if mate[x] == -1]


def _three_path(rules: Rules, mate: list[int], u: int, free: list[int], adj: Adjacency) -> bool:
    partners = sorted(((w, a) for w, a in rules.weights_from(u, range(rules.n)) if mate[a] != -1), reverse=True)
    for v in free:
        for w_ua, a in partners:
            b = mate[a]
            if b == v or not rules.allowed(b, v):
                continue
            w_bv = rules.weight(b, v)
            mate[u], mate[a], mate[b], mate[v] = a, u, v, b
            adj[u][a] = adj[a][u] = w_ua
            adj[b][v] = adj[v][b] = w_bv
            return True
    return False


def _greedy(edges: list[tuple[float, int, int]], mate: list[int], rng: random.Random) -> None:
    rng.shuffle(edges)  # seeded tie-breaking among equal weights
    edges.sort(key=lambda e: e[0], reverse=True)
    for _, i, j in edges:
        if mate[i] == -1 and mate[j] == -1:
            mate[i] = j
            mate[j] = i


def _best_trio(rules: Rules, x: int, mate: list[int], adj: Adjacency) -> tuple[int, int, int] | None:
    """The pair that absorbs the leftover member, with as few added repeats as possible (then the oldest,
    then the best score). If x itself only fits with a repeat, other members are tried as the leftover:
    those an alternating path of fresh pairs can free (x takes v, v's partner u becomes the leftover, …)."""
    came_from: dict[int, tuple[int, int] | None] = {x: None}
    frontier = [x]
    best: tuple[float, int, tuple[int, int, int]] | None = None
    while frontier:
        y = frontier.pop(0)
        path = _path_pairs(y, came_from)
        changed = {v for pair in path for v in pair}
        for a in _trio_bases(rules, y, mate, adj):
            b = mate[a]
            if b > a and a not in changed and b not in changed and rules.allowed(y, a) and rules.allowed(y, b):
                w = rules.weight(y, a) + rules.weight(y, b)
                if best is None or w > best[0]:
                    best = (w, y, (a, b, y))
        if best is not None and best[0] > -REPEAT / 2:
            break  # a repeat-free trio: no need to free anyone else
        if len(came_from) > TRIO_LEFTOVERS:
            break
        for v, w in adj[y].items():
            u = mate[v]
            if w >= 0 and u != -1 and u not in came_from and v not in changed:
                came_from[u] = (y, v)
                frontier.append(u)
    if best is None:
        return None
    _, y, trio = best
    for a, b in _path_pairs(y, came_from):
        mate[a], mate[b] = b, a
    mate[y] = -1
    return trio


def _trio_bases(rules: Rules, y: int, mate: list[int], adj: Adjacency) -> list[int]:
    """Members whose pair may take y in: everyone on smaller communities; on large ones y's candidates,
    their partners, and an even spread of the others (deterministic)."""
    if rules.n <= TRIO_SCAN:
        return list(range(rules.n))
    out = [a for v in adj[y] for a in (v, mate[v]) if a != -1]
    step = rules.n // TRIO_SCAN
    out.extend(range(y % step, rules.n, step))
    return out


def _path_pairs(y: int, came_from: dict[int, tuple[int, int] | None]) -> list[tuple[int, int]]:
    """The pairs that change when y becomes the leftover: each (previous leftover, the partner it takes)."""
    pairs: list[tuple[int, int]] = []
    step = came_from[y]
    while step is not None:
        prev, v = step
        pairs.append((prev, v))
        step = came_from[prev]
    return pairs
