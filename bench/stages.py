"""Per-stage timings of one round (52 rounds of history), by timing the engine's own stage functions.

Usage: .venv/bin/python bench/stages.py --size 10000 [--seed 1] [--repeat 3]  (min over repeats, each in a
fresh process so that caches and memory start cold, as in a bot's round)
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import generated
from matching import pairs as engine

STAGES = {  # name printed -> function in matching.pairs (nested stages are included in their parent)
    "rules": "Rules",
    "schedule": "_continue_schedule",
    "arrays": "PairWeights",
    "all_pairs": "_all_pairs",
    "pools": "candidate_pairs",
    "assignment": "assignment_matching",
    "greedy": "_greedy_matching",
    "adjacency": "adjacency",
    "augment": "augment_all",
    "fill": "_fill",
    "improve": "improve",
    "trio": "_best_trio",
    "results": "round_result",
}


def timed(seconds: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def one(size: int, seed: int) -> dict[str, float]:
    instance = generated(size, 52, seed)
    seconds: dict[str, float] = {}
    for name, attribute in STAGES.items():
        setattr(engine, attribute, timed(seconds, name, getattr(engine, attribute)))
    started = time.perf_counter()
    engine.match_pairs(instance, seed=seed)
    seconds["total"] = time.perf_counter() - started
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.size, args.seed)))
        return
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--one", "--size", str(args.size), "--seed", str(args.seed)],
            capture_output=True, text=True, check=True,
        )
        for name, value in json.loads(out.stdout).items():
            best[name] = min(best.get(name, value), value)
    print(" ".join(f"{name}={value:.3f}" for name, value in best.items()))


if __name__ == "__main__":
    main()
