"""Weekly pairs (plus one trio when the count is odd): the public entry point `match_pairs`."""

from __future__ import annotations

import gc
import random
import time
from functools import cache

import numpy as np

from matching.assignment import assignment_matching
from matching.augment import augment_all
from matching.candidates import Adjacency, adjacency, candidate_pairs
from matching.improve import VISITS_PER_MEMBER, WeightOf, improve
from matching.model import Instance, PairResult, Unmatched
from matching.outcome import round_result
from matching.rules import Rules
from matching.schedule import best_factor, recognise
from matching.score import DEFAULT_WEIGHTS, REPEAT, Weights
from matching.vectors import Floats, Ints, PairWeights, best_in_rows

POOL = 64  # sampled and scored candidates per member on large communities …
KEEP = 16  # … of which the best are kept
HUGE = 30_000  # members; above this the pools shrink and the improvement is skipped (time target)
ASSIGNMENT_UP_TO = 20_000  # members; above this a greedy start replaces the assignment relaxation (time)
VISITS_LARGE = 1  # improvement visits per member between ASSIGNMENT_UP_TO and HUGE; none above HUGE, where
# one visit each cost 10 s for +0.09 % of the score (100,000 members)
POOL_HUGE = 40
KEEP_HUGE = 12
EXACT_KEEP = 24  # best partners kept per member where every pair is weighed (with topics 16 lost up to 0.4 %) …
ALL_PAIRS_UP_TO = 400  # … and below this every allowed pair (augmenting-path searches stay exact)
SEARCH_LIMIT = 400  # vertices in one augmenting-path search tree (above ALL_PAIRS_UP_TO members)
TRIO_SCAN = 4000  # matched pairs tried as the trio's base per leftover candidate (large communities)
SCHEDULE_BUDGET = 60_000  # pair scores spent choosing among open round-robin factors
CHAIN_DEPTH = 6
TRIO_LEFTOVERS = 64  # members tried as the trio's extra person when the first choice means a repeat
CHAIN_STEPS = 300  # chain steps explored per visit of a member (communities up to DENSE_UP_TO)
CHAIN_STEPS_LARGE = 40
DENSE_UP_TO = 2_500  # members; up to this every pair is weighed (one matrix), and improvement uses exact weights


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
    pair_weights: PairWeights | None = None
    if pairs is None:
        strategy = "optimise"
        pair_weights = PairWeights(rules)
        pairs, trio = _optimise(rules, pair_weights, eligible, rng)

    groups: list[tuple[int, ...]] = [tuple(p) for p in pairs]
    if trio is not None:
        groups = [g for g in groups if not set(g) <= set(trio)] + [trio]
    matched = {i for g in groups for i in g}
    unmatched = [isolated[i] for i in sorted(isolated)] + [
        Unmatched(rules.ids[i], "no_free_partner", "every compatible partner is taken by someone with fewer options")
        for i in eligible
        if i not in matched
    ]
    return round_result(rules, pair_weights, groups, unmatched, strategy, started)


def _continue_schedule(
    rules: Rules, instance: Instance, eligible: list[int], rng: random.Random
) -> list[tuple[int, int]] | None:
    """A repeat-free round-robin factor if the history follows a schedule over exactly these members."""
    vertices = len(eligible)
    if vertices < 4 or vertices % 2:
        return None
    n = rules.n
    is_eligible = np.zeros(n, dtype=bool)
    is_eligible[eligible] = True

    @cache
    def keys_of(r: int) -> Ints:
        keys = rules.round_keys(r)
        return keys if vertices == n else keys[is_eligible[keys // n] & is_eligible[keys % n]]

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

    return best_factor(labels, n, candidates, rules.last_met.keys, value, SCHEDULE_BUDGET)


def _optimise(
    rules: Rules, weights: PairWeights, eligible: list[int], rng: random.Random
) -> tuple[list[tuple[int, int]], tuple[int, int, int] | None]:
    """Maximum cardinality first, then fewest (and oldest) repeats, then score: candidate pairs (every pair
    weighed up to DENSE_UP_TO members, sampled pools above), the assignment relaxation over them split into
    pairs (a greedy start above ASSIGNMENT_UP_TO), augmenting paths for whoever is left free, then improving chains."""
    order = list(eligible)
    rng.shuffle(order)
    weight_of: WeightOf
    if len(eligible) <= DENSE_UP_TO:
        firsts, seconds, values, weight_of = _all_pairs(weights, order)
    else:
        pool, keep = (POOL_HUGE, KEEP_HUGE) if len(eligible) > HUGE else (POOL, KEEP)
        firsts, seconds, values = candidate_pairs(rules, weights, eligible, rng, pool, keep)
        weight_of = _candidates_only
    if len(eligible) <= ASSIGNMENT_UP_TO:
        mate, unsettled = assignment_matching(rules.n, firsts, seconds, values)
    else:
        mate, unsettled = _greedy_matching(rules.n, firsts, seconds, values), order
    adj = adjacency(rules.n, firsts, seconds, values)
    del firsts, seconds, values
    for a in order:  # fresh pairs first: repeats are dropped, then re-added only where no fresh pair can be
        b = mate[a]
        if b != -1 and adj[a][b] < 0:
            mate[a] = mate[b] = -1
    start = list(mate)
    complete = len(eligible) <= ALL_PAIRS_UP_TO  # adj holds every allowed pair: searches stay exact
    limit = None if complete else SEARCH_LIMIT
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
            _fill(rules, weights, mate, [i for i in order if mate[i] == -1], adj)

    # Only some members need a look: those the assignment left unsettled or augmenting moved, and whoever
    # could take a member still free (with its partner): the 2-cycles are otherwise locally optimal.
    near_free = [w for u in order if mate[u] == -1 for v in adj[u] for w in (v, mate[v]) if w != -1]
    look = list(dict.fromkeys([*unsettled, *(v for v in order if mate[v] != start[v]), *near_free]))
    steps = CHAIN_STEPS if len(eligible) <= DENSE_UP_TO else CHAIN_STEPS_LARGE
    visits = VISITS_PER_MEMBER if len(eligible) <= ASSIGNMENT_UP_TO else VISITS_LARGE if len(eligible) <= HUGE else 0
    if visits:
        improve(adj, mate, weight_of, look, CHAIN_DEPTH, steps, visits)

    free = [i for i in order if mate[i] == -1]
    trio = _best_trio(rules, free[0], mate, adj) if len(eligible) % 2 and free else None
    pairs = [(i, mate[i]) for i in order if mate[i] > i]
    return pairs, trio


def _greedy_matching(n: int, firsts: Ints, seconds: Ints, values: Floats) -> list[int]:
    """Heaviest candidate pairs first (ties in the given order, which the caller randomised)."""
    mate = [-1] * n
    order = np.argsort(-values, kind="stable")
    for i, j in zip(firsts[order].tolist(), seconds[order].tolist(), strict=True):
        if mate[i] == -1 and mate[j] == -1 and i != j:
            mate[i] = j
            mate[j] = i
    return mate


def _candidates_only(a: int, b: int) -> float | None:
    return None


def _all_pairs(weights: PairWeights, order: list[int]) -> tuple[Ints, Ints, Floats, WeightOf]:
    """Every pair weighed at once; as candidates each member's EXACT_KEEP best partners (every allowed one
    up to ALL_PAIRS_UP_TO members), and exact weights of any pair for the improvement."""
    positions = np.array(order, dtype=np.int64)
    matrix = weights.matrix(positions, positions)
    m = len(order)
    keep = m - 1 if m <= ALL_PAIRS_UP_TO else EXACT_KEEP
    np.nan_to_num(matrix, copy=False, nan=-np.inf)  # forbidden pairs last in every row, no copy made
    best = best_in_rows(matrix, keep)
    firsts = np.repeat(np.arange(m), keep)
    seconds = best.ravel()
    values = matrix[firsts, seconds]
    allowed = values != -np.inf
    position = {v: p for p, v in enumerate(order)}
    item = matrix.item

    def weight_of(a: int, b: int) -> float | None:
        p = position.get(a)
        q = position.get(b)
        if p is None or q is None:
            return None
        w: float = item(p, q)
        return None if w == -np.inf else w

    return positions[firsts[allowed]], positions[seconds[allowed]], values[allowed], weight_of


def _fill(rules: Rules, weights: PairWeights, mate: list[int], free: list[int], adj: Adjacency) -> None:
    """Members the bounded searches over candidate edges left free, paired through any allowed pair: first
    with each other (best weight), then by a length-3 alternating path u – a = b – v that lets u take a and
    b take v. The allowed graph is almost complete, so this restores maximum cardinality in practice; who
    still stays free is reported as unmatched. New edges join `adj` so that improvement can undo them."""
    free = [u for u in free if mate[u] == -1]
    while len(free) >= 2:
        u = free.pop(0)
        options = _weights_from(weights, u, free)
        if options:
            w, v = max(options)
            mate[u], mate[v] = v, u
            adj[u][v] = adj[v][u] = w
            free.remove(v)
            continue
        if not _three_path(rules, weights, mate, u, free, adj):
            continue  # u stays free; the others may still pair among themselves
        free = [x for x in free if mate[x] == -1]


def _weights_from(weights: PairWeights, u: int, others: list[int]) -> list[tuple[float, int]]:
    """(weight, v) for every allowed partner v of u among `others`."""
    found = weights.pairs(np.full(len(others), u, dtype=np.int64), np.array(others, dtype=np.int64)).tolist()
    return [(w, v) for w, v in zip(found, others, strict=True) if w == w]  # NaN: forbidden


def _three_path(
    rules: Rules, weights: PairWeights, mate: list[int], u: int, free: list[int], adj: Adjacency
) -> bool:
    partners = sorted(((w, a) for w, a in _weights_from(weights, u, list(range(rules.n))) if mate[a] != -1),
                      reverse=True)
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
            if b > a and a not in changed and b not in changed and rules.allowed_all((a, b, y)):
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
