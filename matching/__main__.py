"""`python -m matching pairs|round|groups|simulate`: JSON dry runs for admins and the simulation of many rounds.

Every bad input ends with one line on stderr and exit code 2; a reader that closes the pipe early (`| head`)
ends the run quietly."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from matching.groups import groups_cli_result
from matching.model import InputError, Instance
from matching.pairs import match_pairs
from matching.rounds import match_round
from matching.serialization import GROUPS_OUTPUT, INPUT_SCHEMA, PAIRS_OUTPUT, instance_from_dict, result_to_dict

MAX_SIMULATED = 100_000  # members: the largest community the engine is measured on


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line instead of the usage block."""
        self.exit(2, f"error: {self.prog}: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m matching")
    commands = parser.add_subparsers(dest="command", required=True)
    raw = argparse.RawDescriptionHelpFormatter  # the epilogs are laid out by hand
    pairs = commands.add_parser("pairs", help="match one round: instance JSON on stdin, result JSON on stdout",
                                epilog=INPUT_SCHEMA + PAIRS_OUTPUT, formatter_class=raw)
    pairs.add_argument("--seed", type=int, default=0)
    round_ = commands.add_parser("round", help="a community's round in pairs or small groups (same JSON as pairs)",
                                 epilog=INPUT_SCHEMA + PAIRS_OUTPUT, formatter_class=raw)
    round_.add_argument("--group-size", type=int, default=2, help="2 for pairs (the default), 3-8 for small groups")
    round_.add_argument("--seed", type=int, default=0)
    groups = commands.add_parser("groups", help="form meetup groups: instance JSON on stdin, groups JSON out",
                                 epilog=INPUT_SCHEMA + GROUPS_OUTPUT, formatter_class=raw)
    groups.add_argument("--size", type=int, default=None, help="people per group (default: the input's size, or 30)")
    groups.add_argument("--seed", type=int, default=0)
    groups.add_argument("--by-interest", action="store_true", help="group shared interests together")
    groups.add_argument("--one-place", action="store_true",
                        help="everyone meets at the meetup's one place: format and city do not keep people apart")
    sim = commands.add_parser("simulate", help="run rounds on a generated community, feeding results back")
    sim.add_argument("--members", type=int, default=200)
    sim.add_argument("--rounds", type=int, default=100)
    sim.add_argument("--churn", type=float, default=0.0, help="share of members joining/leaving/pausing per round")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--plot", metavar="OUT.svg", help="write repeats and score per round as an SVG chart")
    args = parser.parse_args(argv)

    if args.command == "simulate":
        return _simulate(args)
    try:
        data = json.load(sys.stdin)
        instance = instance_from_dict(data)
        size = _size(args, data)
    except UnicodeDecodeError:
        return _fail("the input is not UTF-8 text")
    except InputError as error:
        return _fail(str(error))
    except (ValueError, RecursionError) as error:  # json's own errors, numbers of more than 4,300 digits
        return _fail(f"bad JSON: {error}")
    json.dump(_run(args, instance, size), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _size(args: argparse.Namespace, data: dict[str, Any]) -> int:
    """The group size of `groups` (its --size, else the input's "size", else 30) or of `round`."""
    if args.command == "pairs":
        return 2
    if args.command == "round":
        size, what = args.group_size, "--group-size"
    else:
        size, what = (args.size, "--size") if args.size is not None else (data.get("size", 30), "size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 2:
        raise InputError(f"{what} must be a whole number of at least 2")
    return size


def _run(args: argparse.Namespace, instance: Instance, size: int) -> dict[str, Any]:
    if args.command == "pairs":
        return result_to_dict(match_pairs(instance, seed=args.seed))
    if args.command == "round":
        return result_to_dict(match_round(instance, size, args.seed))
    return groups_cli_result(instance, size, args.seed, args.by_interest, args.one_place)


def _simulate(args: argparse.Namespace) -> int:
    if not 2 <= args.members <= MAX_SIMULATED:
        return _fail(f"--members must be between 2 and {MAX_SIMULATED:,}")
    if args.rounds < 1 or not 0 <= args.churn <= 1:
        return _fail("--rounds must be positive and --churn between 0 and 1")
    if args.plot is not None:
        folder = Path(args.plot).parent
        if not folder.is_dir():
            return _fail(f"--plot: the folder {str(folder)!r} does not exist")
        if Path(args.plot).is_dir() or not os.access(folder, os.W_OK):
            return _fail(f"--plot: cannot write {args.plot!r}")
    from matching.simulate import run

    try:
        return run(args.members, args.rounds, args.churn, args.seed, args.plot)
    except BrokenPipeError:
        raise
    except OSError as error:  # the plot could not be written after all
        return _fail(f"--plot: {error.strerror or error}")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def run_cli(argv: list[str] | None = None) -> int:
    """`main`, ending quietly when the reader of stdout goes away."""
    try:
        code = main(argv)
        sys.stdout.flush()  # inside the try: a closed pipe shows here, not at exit
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 0
    return code


if __name__ == "__main__":
    sys.exit(run_cli())
