"""Per-stage timings of one round (52 rounds of history): Rules, schedule check, candidates, the rest.

Usage: .venv/bin/python bench/stages.py --size 10000 [--seed 1] [--repeat 3]  (min over repeats)
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import generated
from matching import pairs as engine
from matching.rules import Rules


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    instance = generated(args.size, 52, args.seed)
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        times: dict[str, float] = {}
        t = time.perf_counter()
        rules = Rules(instance)
        times["rules"] = time.perf_counter() - t
        t = time.perf_counter()
        isolated = rules.isolated()
        eligible = [i for i in range(rules.n) if i not in isolated]
        times["isolated"] = time.perf_counter() - t
        rng = random.Random(args.seed)
        t = time.perf_counter()
        found = engine._continue_schedule(rules, instance, eligible, rng)
        times["schedule"] = time.perf_counter() - t
        t = time.perf_counter()
        if found is None:
            engine._optimise(rules, eligible, rng)
        times["optimise"] = time.perf_counter() - t
        t = time.perf_counter()
        engine.match_pairs(instance, seed=args.seed)
        times["total"] = time.perf_counter() - t
        for k, v in times.items():
            best[k] = min(best.get(k, v), v)
    print(" ".join(f"{k}={v:.3f}" for k, v in best.items()))


if __name__ == "__main__":
    main()
