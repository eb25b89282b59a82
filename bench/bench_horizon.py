"""Repeat-free horizon of a stable community next to the round-robin limit n−1, and the same for an exact
per-round solver (rustworkx maximum matching on not-yet-met pairs, re-solved each round) for comparison.

Usage: .venv/bin/python bench/bench_horizon.py [--sizes 10 20 50 100 200] [--all-even-up-to 200]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matching import Instance, Meeting, Member, match_pairs
from matching.simulate import everyone_can_meet, generate_members


def community(n: int, seed: int) -> tuple[Member, ...]:
    return tuple(everyone_can_meet(m) for m in generate_members(n, random.Random(seed)))


def engine_horizon(n: int, seed: int) -> int:
    members = community(n, seed)
    history: list[Meeting] = []
    for r in range(1, n + 1):
        result = match_pairs(Instance(members, tuple(history), round=r), seed=seed + r)
        if result.stats.repeats or result.unmatched:
            return r - 1
        history.extend(Meeting(m.members, r) for m in result.matches)
    return n


def exact_per_round_horizon(n: int, seed: int) -> int:
    import rustworkx as rx

    rng = random.Random(seed)
    met: set[tuple[int, int]] = set()
    for r in range(1, n + 1):
        graph = rx.PyGraph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from(
            [(a, b, rng.randint(1, 1000)) for a, b in combinations(range(n), 2) if (a, b) not in met]
        )
        matching = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda w: w)
        if len(matching) < n // 2:
            return r - 1
        met.update((min(a, b), max(a, b)) for a, b in matching)
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[10, 20, 50, 100, 200])
    parser.add_argument("--all-even-up-to", type=int, default=0, help="also check every even n from 4")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{'n':>4} {'limit n-1':>9} {'engine':>6} {'exact per-round':>15} {'engine s':>8}")
    for n in args.sizes:
        started = time.perf_counter()
        mine = engine_horizon(n, args.seed)
        seconds = time.perf_counter() - started
        print(f"{n:>4} {n - 1:>9} {mine:>6} {exact_per_round_horizon(n, args.seed):>15} {seconds:>8.1f}", flush=True)
    if args.all_even_up_to:
        short = [(n, h) for n in range(4, args.all_even_up_to + 1, 2) if (h := engine_horizon(n, n)) != n - 1]
        print(f"every even n 4..{args.all_even_up_to}: " + ("all reach n-1" if not short else f"short: {short}"))


if __name__ == "__main__":
    main()
