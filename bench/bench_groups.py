"""Group formation figures: repeats per meetup next to the pigeonhole bound, social-golfer horizons next to the
best known (through `form_groups`, which takes `matching/designs.py` schedules when the sizes fit), 300 people in
groups of 30 by rows, columns and transversals, 3,000 RSVPs into 100 groups of 30, and small-group rounds
(`match_round`) next to the meetup former (`form_groups`, which the bot used for them before). Prints figures,
asserts nothing.

Usage: .venv/bin/python bench/bench_groups.py [--quick] [--only sessions golfers rsvp rounds] [--seed 1]
       [--round-sizes 200 1000 2000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from itertools import combinations

import numpy as np

from matching import match_round
from matching.groups import form_groups, repeat_lower_bound
from matching.model import Instance, Meeting, Member
from matching.rules import Rules
from matching.simulate import everyone_can_meet, generate_members, random_history
from matching.vectors import PairWeights

# g-s-w: g groups of s, best known number of rounds w without two people meeting twice
GOLFERS = [(5, 3, 7), (4, 4, 5), (6, 3, 8), (6, 4, 7), (7, 3, 10), (7, 4, 9), (8, 3, 11), (8, 4, 10), (10, 3, 14)]


def sessions(seed: int, time_limit: float, count: int = 5) -> None:
    """Generated members as they are (English, Russian or both: Russian-only people can only share a group with
    Russian speakers), then with English for everyone (the pigeonhole bound knows nothing of languages)."""
    for label, change in (("as generated", None), ("everyone speaks English", everyone_can_meet)):
        print(f"\n## 300 people in groups of 30, meetups 1..{count} at one place, {label} (history fed back, "
              f"{time_limit:g} s per meetup)")
        print(f"(load average {load()})")
        print("| meetup | repeated pairs | pigeonhole lower bound | seconds | left out |")
        print("|---|---|---|---|---|")
        members = tuple(generate_members(300, random.Random(seed)))
        if change is not None:
            members = tuple(change(m) for m in members)
        history: list[Meeting] = []
        for t in range(1, count + 1):
            result = form_groups(Instance(members, tuple(history), round=t), 30, seed=seed + t,
                                 time_limit=time_limit, one_place=True)
            print(f"| {t} | {result.repeats} | {result.lower_bound} | {result.seconds:.2f} | {len(result.left_out)} |",
                  flush=True)
            history.extend(Meeting(g.members, t) for g in result.groups)


def golfer_run(g: int, s: int, w: int, seed: int, deadline: float, session_limit: float) -> tuple[int, int]:
    """Rounds played without a repeat, one meetup after another through `form_groups` (the bot's meetup path); a
    meetup that ends with a repeat stops. Returns (rounds, how many of them were a schedule's round)."""
    members = tuple(Member(i) for i in range(g * s))
    history: list[Meeting] = []
    designed = 0
    for t in range(1, w + 1):
        left = deadline - time.perf_counter()
        if left <= 0:
            return t - 1, designed
        result = form_groups(
            Instance(members, tuple(history), round=t), s, seed=seed * 1000 + t, time_limit=min(left, session_limit)
        )
        if result.repeats:
            return t - 1, designed
        designed += result.from_design
        history.extend(Meeting(grp.members, t) for grp in result.groups)
    return w, designed


def golfers(seed: int, budget: float) -> None:
    print(f"\n## Social golfers g-s-w through form_groups, meetups one after another, {budget:g} s per instance")
    print("(each attempt plays meetups until one ends with a repeat; attempts restart from round 1 with a new seed")
    print(" until the budget is spent or w is reached; 'schedule' counts the rounds taken from matching/designs.py;")
    print(" seconds include building the schedule, once per process; each meetup may take half the budget, the")
    print(" schedule's search half of that)")
    print("| instance | best known w | first attempt w | best w | rounds from the schedule | attempts | seconds |")
    print("|---|---|---|---|---|---|---|")
    reached = 0
    for g, s, w in GOLFERS:
        start = time.perf_counter()
        deadline = start + budget
        first: int | None = None
        best = attempts = designed = 0
        while time.perf_counter() < deadline and best < w:
            got, from_design = golfer_run(g, s, w, seed + attempts, deadline, session_limit=budget / 2)
            attempts += 1
            first = got if first is None else first
            if got > best:
                best, designed = got, from_design
        reached += best >= w
        print(f"| {g}-{s}-{w} | {w} | {first} | {best} | {designed} | {attempts} | {time.perf_counter() - start:.1f} |",
              flush=True)
    print(f"\nBest known reached on {reached} of {len(GOLFERS)}; load average {load()}")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def transversals(seed: int, time_limit: float, count: int = 5) -> None:
    """300 people as a 10 × 10 array of cells of three: meetup 1 by rows, 2 by columns, 3 by the transversals of the
    cyclic Latin square (cell (i, j) in group i + j mod 10: one cell of every row and every column), then
    `form_groups` on that history. Every repeated pair of meetups 2 and 3 is inside a cell: 100 × 3 = 300."""
    print(f"\n## 300 people in groups of 30: rows, columns, transversals, then form_groups ({time_limit:g} s)")
    print("| meetup | groups by | repeated pairs | pigeonhole lower bound |")
    print("|---|---|---|---|")
    members = tuple(Member(i) for i in range(300))
    cell = [(p // 3) // 10 for p in range(300)], [(p // 3) % 10 for p in range(300)]
    plans = {1: ("rows", lambda p: cell[0][p]), 2: ("columns", lambda p: cell[1][p]),
             3: ("transversals", lambda p: (cell[0][p] + cell[1][p]) % 10)}
    history: list[Meeting] = []
    for t in range(1, count + 1):
        instance = Instance(members, tuple(history), round=t)
        bound = repeat_lower_bound(instance, 30)
        if t in plans:
            name, group_of = plans[t]
            groups = [tuple(p for p in range(300) if group_of(p) == x) for x in range(10)]
            met = {pair for m in history for pair in combinations(m.members, 2)}
            repeats = sum(1 for grp in groups for pair in combinations(grp, 2) if pair in met)
        else:
            result = form_groups(instance, 30, seed=seed + t, time_limit=time_limit, one_place=True)
            name, repeats, groups = "form_groups", result.repeats, [grp.members for grp in result.groups]
        print(f"| {t} | {name} | {repeats} | {bound} |", flush=True)
        history.extend(Meeting(grp, t) for grp in groups)


def rsvp(seed: int, time_limit: float) -> None:
    print(f"\n## 3,000 RSVPs into 100 groups of 30 (20 rounds of random pairs as history, time_limit {time_limit:g} s)")
    rng = random.Random(seed)
    members = generate_members(3000, rng)
    history = random_history(members, 20, rng)
    instance = Instance(tuple(members), tuple(history), round=21)
    result = form_groups(instance, 30, seed=seed, time_limit=time_limit, one_place=True)
    sizes = sorted({len(g.members) for g in result.groups})
    print("| people | groups | sizes | seconds | repeated pairs | lower bound | left out |")
    print("|---|---|---|---|---|---|---|")
    print(f"| 3000 | {len(result.groups)} | {sizes} | {result.seconds:.2f} | {result.repeats} | {result.lower_bound} "
          f"| {len(result.left_out)} |")


def rounds(seed: int, sizes: list[int], size: int = 4, count: int = 4) -> None:
    """A community of generated members meets in groups of `size` for `count` rounds, each round's groups fed
    back as history; `match_round` against the meetup former (interests mixed, repeats before the score)."""
    print(f"\n## Small-group rounds in groups of {size}, {count} rounds fed back (generated members, seed {seed})")
    print("(bound: half the sum over members of their best weights to as many partners as their group gives them,")
    print(" over pairs allowed to meet; no partition into these groups weighs more)")
    print("| members | round | former | seconds | groups | left out | repeated pairs | pairs that cannot meet "
          "| mean pair score | weight / bound |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        members = tuple(generate_members(n, random.Random(seed)))
        for name in ("match_round", "form_groups"):
            history: list[Meeting] = []
            for t in range(1, count + 1):
                instance = Instance(members, tuple(history), round=t)
                started = time.perf_counter()
                if name == "match_round":
                    result = match_round(instance, size, seed + t)
                    groups = [m.members for m in result.matches]
                    left = len(result.unmatched)
                else:
                    formed = form_groups(instance, size, seed=seed + t)
                    groups = [g.members for g in formed.groups]
                    left = len(formed.left_out)
                seconds = time.perf_counter() - started
                rules = Rules(instance)
                pairs = [(rules.index[a], rules.index[b]) for g in groups for a, b in combinations(g, 2)]
                repeats = sum(1 for i, j in pairs if rules.met(i, j))
                apart = sum(1 for i, j in pairs if not rules.allowed(i, j))
                mean = sum(rules.score(i, j) for i, j in pairs) / max(1, len(pairs))
                ratio = sum(rules.weight(i, j) for i, j in pairs) / weight_bound(rules, groups)
                print(f"| {n} | {t} | {name} | {seconds:.2f} | {len(groups)} | {left} | {repeats} | {apart} "
                      f"| {mean:.3f} | {ratio:.4f} |", flush=True)
                history.extend(Meeting(g, t) for g in groups)


def weight_bound(rules: Rules, groups: list[tuple[int, ...]]) -> float:
    """Half the sum over grouped members of their best allowed weights to (their group's size - 1) partners."""
    partners = np.zeros(rules.n, dtype=np.int64)
    for g in groups:
        partners[[rules.index[i] for i in g]] = len(g) - 1
    everyone = np.arange(rules.n)
    matrix = np.nan_to_num(PairWeights(rules).matrix(everyone, everyone), nan=-np.inf)
    most = int(partners.max())
    best = -np.sort(-np.partition(matrix, rules.n - most, axis=1)[:, rules.n - most :], axis=1)
    taken = np.arange(most)[None, :] < partners[:, None]
    return float(np.where(taken, best, 0.0).sum()) / 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10 s per golfer instance instead of 60 s")
    parser.add_argument("--only", nargs="*", default=["sessions", "golfers", "rsvp", "rounds"])
    parser.add_argument("--round-sizes", nargs="*", type=int, default=[200, 1000, 2000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if "sessions" in args.only:
        sessions(args.seed, time_limit=2.0 if args.quick else 10.0)
        transversals(args.seed, time_limit=2.0 if args.quick else 10.0)
    if "golfers" in args.only:
        golfers(args.seed, budget=10.0 if args.quick else 60.0)
    if "rsvp" in args.only:
        rsvp(args.seed, time_limit=2.0)
    if "rounds" in args.only:
        rounds(args.seed, args.round_sizes)


if __name__ == "__main__":
    main()
