"""Group formation figures: repeats per meetup next to the pigeonhole bound, social-golfer horizons next to the
best known, 3,000 RSVPs into 100 groups of 30, and small-group rounds (`match_round`) next to the meetup former
(`form_groups`, which the bot used for them before). Prints figures, asserts nothing.

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
from matching.groups import form_groups
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


def golfer_run(g: int, s: int, w: int, seed: int, deadline: float, session_limit: float) -> int:
    """Rounds played without a repeat, one session after another; a session that ends with a repeat stops."""
    members = tuple(Member(i) for i in range(g * s))
    history: list[Meeting] = []
    for t in range(1, w + 1):
        left = deadline - time.perf_counter()
        if left <= 0:
            return t - 1
        result = form_groups(
            Instance(members, tuple(history), round=t), s, seed=seed * 1000 + t, time_limit=min(left, session_limit)
        )
        if result.repeats:
            return t - 1
        history.extend(Meeting(grp.members, t) for grp in result.groups)
    return w


def golfers(seed: int, budget: float) -> None:
    print(f"\n## Social golfers g-s-w, sessions one after another, {budget:g} s per instance")
    print("(each attempt plays sessions until one ends with a repeat; attempts restart from round 1 with a new seed")
    print(" until the budget is spent; 'first' is the first attempt, 'best' the best attempt)")
    print("| instance | best known w | first attempt w | best w | attempts | seconds |")
    print("|---|---|---|---|---|---|")
    for g, s, w in GOLFERS:
        start = time.perf_counter()
        deadline = start + budget
        first: int | None = None
        best = attempts = 0
        while time.perf_counter() < deadline and best < w:
            reached = golfer_run(g, s, w, seed + attempts, deadline, session_limit=budget / 4)
            attempts += 1
            first = reached if first is None else first
            best = max(best, reached)
        print(f"| {g}-{s}-{w} | {w} | {first} | {best} | {attempts} | {time.perf_counter() - start:.1f} |", flush=True)


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
    if "golfers" in args.only:
        golfers(args.seed, budget=10.0 if args.quick else 60.0)
    if "rsvp" in args.only:
        rsvp(args.seed, time_limit=2.0)
    if "rounds" in args.only:
        rounds(args.seed, args.round_sizes)


if __name__ == "__main__":
    main()
