"""Hardening (issue 14): (a) fuzzed updates of every kind and (b) a crowd answering the questionnaire at the same
moment, fed into the real Dispatcher against a fake Bot API, on SQLite and on PostgreSQL.

Each database is created for this run: a temporary SQLite file, and a PostgreSQL database with a unique name on
TEST_DATABASE_URL's server (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), dropped at the end
(only that one). Both scenarios start from empty tables.

Prints per database and scenario: unhandled errors (ERROR log records, exceptions out of feed_raw_update),
unanswered callbacks, error replies (texts containing the catalogue's "error.generic"), refused Bot API calls,
invalid texts, database invariant violations, and the reply latency (from feeding an update to the bot's first
request answering it: a message to the chat, an edit, or the callback's answer) as p50 / p99 / max, next to a
reference measured in the same run: one /help at a time with nothing else going on, and the ratio p99/reference.

The fuzz run is the one tests/test_fuzz.py runs (tests/support/fuzz.py), only longer.

Usage: .venv/bin/python bench/bench_hardening.py [--updates 10000] [--crowd 100] [--seed 1]
       [--databases sqlite,postgresql] [--details]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import create_bot, create_dispatcher
from bot.config import Settings
from bot.db.engine import create_engine, create_sessionmaker
from tests.support.databases import MigratedTemplates, empty_all_tables
from tests.support.fake_telegram import FakeTelegram
from tests.support.fuzz import (
    Fuzz,
    FuzzConfig,
    FuzzReport,
    crowd_questionnaire,
    lone_latency,
    median,
    percentile,
)
from tests.support.journeys import deliver
from tests.support.process import TEST_TOKEN
from tests.support.updates import UpdateFactory

Scenario = Callable[..., Awaitable[FuzzReport]]


async def fuzz_scenario(args: argparse.Namespace, **parts: object) -> FuzzReport:
    bot, sessionmaker = parts["bot"], parts["sessionmaker"]

    async def drain() -> int:
        return await deliver(bot, sessionmaker)  # type: ignore[arg-type]

    fuzz = Fuzz(*parts.values(), FuzzConfig(seed=args.seed, updates=args.updates),  # type: ignore[arg-type]
                label=f"fuzz seed {args.seed}", drain=drain)
    return await fuzz.run()


async def crowd_scenario(args: argparse.Namespace, **parts: object) -> FuzzReport:
    result = await crowd_questionnaire(*parts.values(), size=args.crowd, seed=args.seed,  # type: ignore[arg-type]
                                       label=f"crowd of {args.crowd}")
    if result.confirmed != args.crowd:
        result.report.add("crowd", "not everyone confirmed a profile",
                          f"{result.confirmed} of {args.crowd} after {result.steps} steps")
    return result.report


async def run(args: argparse.Namespace, name: str, url: str, scenario: Scenario) -> None:
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        await empty_all_tables(engine)
    sessionmaker = create_sessionmaker(engine)
    async with FakeTelegram() as tg:
        settings = Settings(bot_token=TEST_TOKEN, database_url=url, telegram_api_url=tg.base_url)  # type: ignore[arg-type]
        bot = create_bot(settings)
        dispatcher = create_dispatcher(settings, sessionmaker)
        updates = UpdateFactory()
        reference = median(await lone_latency(dispatcher, bot, updates))
        report = await scenario(args, dispatcher=dispatcher, bot=bot, tg=tg, sessionmaker=sessionmaker,
                                updates=updates)
        await bot.session.close()
    await engine.dispose()
    ms = [v * 1000 for v in report.latencies]
    p99 = percentile(ms, 0.99)
    print(f"{name:10} {report.label}: {len(report.updates)} updates in {report.seconds:.1f} s "
          f"({report.bursts} bursts, largest {report.largest_burst}), {report.callbacks} callbacks")
    print(f"{'':10} unhandled errors {len(report.of('unhandled'))}, unanswered callbacks {len(report.unanswered)}, "
          f"error replies {report.error_replies}, refused calls {len(report.of('refused'))}, "
          f"invalid texts {len(report.of('text'))}, invariant violations {len(report.of('invariant'))}")
    print(f"{'':10} reply latency ms: p50 {percentile(ms, 0.5):.1f}  p99 {p99:.1f}  max {max(ms, default=0):.1f} "
          f"(n={len(ms)}); lone /help {reference * 1000:.1f}; p99/lone {p99 / (reference * 1000):.1f}")
    for line in report.failures():
        print(f"{'':10}   {line}")
    if args.details and report.problems:
        print(report.describe())
    sys.stdout.flush()


async def bench(args: argparse.Namespace) -> None:
    scenarios: list[Scenario] = []
    if args.updates:
        scenarios.append(fuzz_scenario)
    if args.crowd:
        scenarios.append(crowd_scenario)
    with tempfile.TemporaryDirectory() as workdir:
        templates = MigratedTemplates(Path(workdir))
        try:
            for name in args.databases.split(","):
                for number, scenario in enumerate(scenarios):
                    url = (await templates.sqlite(Path(workdir) / f"bench{number}.db") if name == "sqlite"
                           else await templates.postgres())
                    await run(args, name, url, scenario)
        finally:
            await templates.drop_postgres()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=10_000, help="fuzzed updates per database (0: skip)")
    parser.add_argument("--crowd", type=int, default=100, help="people answering at once (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--details", action="store_true", help="each distinct failure with its update and traceback")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=root, capture_output=True,
                            text=True).stdout.strip()
    print(f"code {commit or '?'}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    asyncio.run(bench(args))
    print(f"total {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
