"""`python -m matching pairs|groups|simulate`: JSON dry runs for admins and the simulation of many rounds."""

from __future__ import annotations

import argparse
import json
import sys

from matching.groups import groups_cli_result
from matching.model import InputError
from matching.pairs import match_pairs
from matching.serialization import instance_from_dict, result_to_dict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching")
    commands = parser.add_subparsers(dest="command", required=True)
    pairs = commands.add_parser("pairs", help="match one round: instance JSON on stdin, result JSON on stdout")
    pairs.add_argument("--seed", type=int, default=0)
    groups = commands.add_parser("groups", help="form session groups: instance JSON on stdin, groups JSON out")
    groups.add_argument("--size", type=int, default=None, help="people per group (default: the input's size, or 30)")
    groups.add_argument("--seed", type=int, default=0)
    groups.add_argument("--by-interest", action="store_true", help="group shared interests together")
    sim = commands.add_parser("simulate", help="run rounds on a generated community, feeding results back")
    sim.add_argument("--members", type=int, default=200)
    sim.add_argument("--rounds", type=int, default=100)
    sim.add_argument("--churn", type=float, default=0.0, help="share of members joining/leaving/pausing per round")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--plot", metavar="OUT.svg", help="write repeats and score per round as an SVG chart")
    args = parser.parse_args(argv)

    if args.command in ("pairs", "groups"):
        try:
            data = json.load(sys.stdin)
            instance = instance_from_dict(data)
            if args.command == "pairs":
                result = result_to_dict(match_pairs(instance, seed=args.seed))
            else:
                size = args.size if args.size is not None else data.get("size", 30)
                if not isinstance(size, int) or isinstance(size, bool) or size < 2:
                    return _fail("size must be a whole number of at least 2")
                result = groups_cli_result(instance, size, args.seed, args.by_interest)
        except json.JSONDecodeError as error:
            return _fail(f"bad JSON: {error}")
        except (InputError, RecursionError) as error:
            return _fail(str(error))
        json.dump(result, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0

    from matching.simulate import run

    if args.members < 1 or args.rounds < 1 or not 0 <= args.churn <= 1:
        return _fail("--members and --rounds must be positive and --churn between 0 and 1")
    return run(args.members, args.rounds, args.churn, args.seed, args.plot)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
