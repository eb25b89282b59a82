"""Weekly pairs (plus one trio when the count is odd): the public entry point `match_pairs`."""

from __future__ import annotations

import random
import time
from itertools import combinations

from matching.augment import augment_all
from matching.candidates import candidate_graph
from matching.improve import improve
from matching.model import Instance, Match, PairResult, PairStats, Unmatched
from matching.rules import Rules
from matching.schedule import best_factor, group_rounds, open_factors, recognise
from matching.score import DEFAULT_WEIGHTS, Weights, explain

POOL = 64  # sampled and scored candidates per member on large communities …
KEEP = 16  # … of which the best are kept
SCHEDULE_BUDGET = 60_000  # pair scores spent choosing among open round-robin factors
CHAIN_DEPTH = 6
CHAIN_STEPS = 3000  # chain steps explored per visit of a member (communities up to EXACT_SWAPS_UP_TO)
CHAIN_STEPS_LARGE = 40
EXACT_SWAPS_UP_TO = 2_000  # members; above this 2-opt only looks at candidate edges


def match_pairs(instance: Instance, seed: int = 0, weights: Weights = DEFAULT_WEIGHTS) -> PairResult:
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
    if len(eligible) < 4 or len(eligible) % 2:
        return None
    inside = set(eligible)
    meetings = [
        (m.round, [rules.index[i] for i in m.members if i in rules.index and rules.index[i] in inside])
        for m in instance.history
    ]
    rounds = group_rounds([(r, members) for r, members in meetings if len(members) >= 2])
    labels = recognise(rounds, len(eligible)) if rounds else None
    if labels is None:
        return None
    met_pairs = [p for pairs in rounds.values() for p in pairs]
    candidates = open_factors(labels, met_pairs)
    rng.shuffle(candidates)

    def value(a: int, b: int) -> float | None:
        return rules.score(a, b) if rules.allowed(a, b) else None

    return best_factor(labels, candidates, value, SCHEDULE_BUDGET)


def _optimise(
    rules: Rules, eligible: list[int], rng: random.Random
) -> tuple[list[tuple[int, int]], tuple[int, int, int] | None]:
    """Maximum cardinality first, then fewest (and oldest) repeats, then score: greedy, augment, 2-opt."""
    adj = candidate_graph(rules, eligible, rng, POOL, KEEP)
    mate = [-1] * rules.n
    order = list(eligible)
    rng.shuffle(order)

    fresh_edges = [(w, i, j) for i in order for j, w in adj[i].items() if i < j and w >= 0]
    _greedy(fresh_edges, mate, rng)
    fresh_adj = [[j for j, w in adj[i].items() if w >= 0] for i in range(rules.n)]
    augment_all(fresh_adj, mate, order)

    free = [i for i in order if mate[i] == -1]
    if free:
        free_set = set(free)
        repeat_edges = [(w, i, j) for i in free for j, w in adj[i].items() if i < j and j in free_set]
        _greedy(repeat_edges, mate, rng)
        full_adj = [list(adj[i]) for i in range(rules.n)]
        augment_all(full_adj, mate, order)

    def weight_of(a: int, b: int) -> float | None:
        return rules.weight(a, b) if rules.allowed(a, b) else None

    def candidates_only(a: int, b: int) -> float | None:
        return None

    exact = len(eligible) <= EXACT_SWAPS_UP_TO
    steps = CHAIN_STEPS if exact else CHAIN_STEPS_LARGE
    improve(adj, mate, weight_of if exact else candidates_only, order, CHAIN_DEPTH, steps)

    pairs = [(i, mate[i]) for i in order if mate[i] > i]
    free = [i for i in order if mate[i] == -1]
    trio = _best_trio(rules, free, pairs) if len(eligible) % 2 else None
    return pairs, trio


def _greedy(edges: list[tuple[float, int, int]], mate: list[int], rng: random.Random) -> None:
    rng.shuffle(edges)  # seeded tie-breaking among equal weights
    edges.sort(key=lambda e: e[0], reverse=True)
    for _, i, j in edges:
        if mate[i] == -1 and mate[j] == -1:
            mate[i] = j
            mate[j] = i


def _best_trio(rules: Rules, free: list[int], pairs: list[tuple[int, int]]) -> tuple[int, int, int] | None:
    """The pair that absorbs a leftover member: fewest added repeats (oldest first), then best score."""
    best: tuple[int, int, int] | None = None
    best_weight = float("-inf")
    for x in free:
        for a, b in pairs:
            if rules.allowed(x, a) and rules.allowed(x, b):
                w = rules.weight(x, a) + rules.weight(x, b)
                if w > best_weight:
                    best, best_weight = (a, b, x), w
    return best

