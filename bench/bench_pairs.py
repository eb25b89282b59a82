"""One round with 52 rounds of history: time, peak memory, and quality against an exact reference.

Each size runs in a fresh subprocess so that peak RSS belongs to that size alone.
Usage: .venv/bin/python bench/bench_pairs.py [--sizes 1000 10000 100000] [--exact-up-to 2000] [--repeat 5]
With --repeat N the engine runs N more times, each in a fresh process, and the row adds the minimum, median
and maximum of all its times (the machine is shared, so single times are noisy).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import engine_weight, exact_reference, generated, sample
from matching import match_pairs

HISTORY = 52


def one(size: str, seed: int, exact_up_to: int) -> dict[str, object]:
    instance = sample(HISTORY, seed) if size == "sample" else generated(int(size), HISTORY, seed)
    started = time.perf_counter()
    result = match_pairs(instance, seed=seed)
    seconds = time.perf_counter() - started
    pairs, weight = engine_weight(instance, result)
    row: dict[str, object] = {
        "size": size,
        "members": len(instance.members),
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "matches": pairs,
        "repeats": result.stats.repeats,
        "weight": round(weight, 2),
    }
    if len(instance.members) <= exact_up_to:
        started = time.perf_counter()
        exact_pairs, exact_weight = exact_reference(instance)
        row["exact_seconds"] = round(time.perf_counter() - started, 3)
        row["exact_matches"] = exact_pairs
        row["same_matches"] = exact_pairs == pairs
        row["score_ratio"] = round(weight / exact_weight, 5)
        row["time_ratio"] = round(seconds / row["exact_seconds"], 4)  # type: ignore[operator]
    return row


def engine_seconds(size: str, seed: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--one", size, "--seed", str(seed), "--exact-up-to", "0"],
        capture_output=True, text=True, check=True,
    )
    return float(json.loads(out.stdout)["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", default=["1000", "2000", "sample", "10000", "100000"])
    parser.add_argument("--exact-up-to", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=0)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.seed, args.exact_up_to)))
        return
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", size, "--seed", str(args.seed), "--exact-up-to", str(args.exact_up_to)],
            capture_output=True, text=True, check=True,
        )
        row = json.loads(out.stdout)
        if args.repeat:
            times = sorted([row["seconds"], *(engine_seconds(size, args.seed) for _ in range(args.repeat))])
            row["seconds_min_median_max"] = [times[0], statistics.median(times), times[-1]]
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
