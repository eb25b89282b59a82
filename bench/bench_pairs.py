"""One round with 52 rounds of history: time, peak memory, and quality against an exact reference.

Each size runs in a fresh subprocess so that peak RSS belongs to that size alone.
Usage: .venv/bin/python bench/bench_pairs.py [--sizes 1000 10000 100000] [--exact-up-to 2000] [--repeat 5]
    [--reference /tmp/ref]
With --repeat N the engine runs N more times, each in a fresh process, and the row adds the minimum, median
and maximum of all its times, wall and CPU (time.process_time in the child; the machine is shared, so single
times are noisy). With --reference DIR (a checkout of another commit, e.g. `git worktree add --detach /tmp/ref
HEAD~1`) the engine of DIR runs as many times on the same instances, alternating with this one, in the same
minutes, and a second row gives its figures.
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

# --root DIR (internal): the engine (and instance generator) of another checkout, for a reference.
sys.path.insert(
    0, sys.argv[sys.argv.index("--root") + 1] if "--root" in sys.argv else str(Path(__file__).resolve().parent.parent)
)

from bench.common import engine_weight, exact_reference, generated, sample
from matching import match_pairs

HISTORY = 52


def one(size: str, seed: int, exact_up_to: int) -> dict[str, object]:
    instance = sample(HISTORY, seed) if size == "sample" else generated(int(size), HISTORY, seed)
    started, cpu = time.perf_counter(), time.process_time()
    result = match_pairs(instance, seed=seed)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    pairs, weight = engine_weight(instance, result)
    row: dict[str, object] = {
        "size": size,
        "members": len(instance.members),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
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


def run(size: str, seed: int, exact_up_to: int, root: str | None = None) -> dict[str, object]:
    command = [sys.executable, __file__, "--one", size, "--seed", str(seed), "--exact-up-to", str(exact_up_to)]
    out = subprocess.run([*command, *(["--root", root] if root else [])], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def spread(rows: list[dict[str, object]], key: str) -> list[float]:
    values = sorted(float(row[key]) for row in rows)  # type: ignore[arg-type]
    return [values[0], round(statistics.median(values), 3), values[-1]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", default=["1000", "2000", "sample", "10000", "100000"])
    parser.add_argument("--exact-up-to", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=0)
    parser.add_argument("--reference", help="a checkout of another commit, timed alternately in the same minutes")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.seed, args.exact_up_to)))
        return
    for size in args.sizes:
        row = run(size, args.seed, args.exact_up_to)
        rows, references = [row], []
        for k in range(args.repeat + 1 if args.reference else args.repeat):
            if args.reference:
                references.append(run(size, args.seed, 0, args.reference))
            if k < args.repeat:
                rows.append(run(size, args.seed, 0))
        if args.repeat:
            row["seconds_min_median_max"] = spread(rows, "seconds")
            row["cpu_min_median_max"] = spread(rows, "cpu_seconds")
        row["load"] = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
        print(json.dumps(row), flush=True)
        if references:
            reference = {"reference": args.reference, **references[0]}
            reference["seconds_min_median_max"] = spread(references, "seconds")
            reference["cpu_min_median_max"] = spread(references, "cpu_seconds")
            print(json.dumps(reference), flush=True)


if __name__ == "__main__":
    main()
