"""/stats and /export on a community in a real (migrated) database: time, memory, and the charts themselves.

Two ways to fill the community:

* ``--sample`` (default): the members of ../shared/data/members-sample.json join over several weeks, then
  ``--rounds`` real rounds run through ``services.rounds.create_round`` (the engine, the intros in the outbox),
  one a week, and each round's check-ins are simulated (most answer; most of those met; ratings 3–5).
* ``--members N``: N generated members and ``--rounds`` synthetic rounds written in bulk (random pairs, the same
  check-in simulation) — for the size targets (10,000 members, 100 rounds), where running the engine 100 times
  would only measure the engine.

Then it times ``services.stats.community_stats`` + ``presentation.charts.render_charts`` (what /stats does, in
both languages) and ``services.export.export_all`` (what /export writes), with the Python heap's peak growth
during the export (tracemalloc), and writes the charts as PNG files to ``--out``.

The reference, measured in the same run: ``--reference COMMIT`` times the same steps with
``services/stats.py``, ``services/export.py`` and ``presentation/charts.py`` as they were at COMMIT (loaded from
git), so a figure can be read against the machine's load at that moment. PostgreSQL's statistics are updated
(ANALYZE) after filling, as autovacuum would do in a running bot.

Usage: .venv/bin/python bench/bench_stats.py [--sample | --members 10000] [--rounds 6] [--seed 1]
       [--out docs/charts] [--database-url URL] [--reference COMMIT]   (default: a temporary SQLite file; a
       migrated database named by URL is filled once and measured again on later runs)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from types import ModuleType

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import SAMPLE
from bot.db.base import utcnow
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.db.models import Community, Match, MatchMember, MeetingFormat, Membership, Outcome, Round, User
from bot.presentation import charts as charts_module
from bot.presentation.charts import Chart
from bot.presentation.texts import Texts
from bot.services import export, rounds, stats
from matching.simulate import generate_members

COMMENTS = ("Great chat, thank you!", "We talked about hiring for an hour.", "=cmd|' /C calc'!A0",
            "Спасибо, было полезно")


def member_rows(args: argparse.Namespace, rng: random.Random) -> list[dict[str, Any]]:
    if args.members:
        people = [{"interests": list(m.interests), "offers": m.offers, "needs": m.needs, "format": m.format,
                   "city": m.city, "utc_offset": m.utc_offset, "languages": list(m.languages) or ["en"]}
                  for m in generate_members(args.members, rng)]
    else:
        people = json.loads(SAMPLE.read_text())["members"]
    return [{
        "telegram_id": 10_000_000 + index, "username": f"member{index}", "first_name": f"Member {index}",
        "display_name": f"Member {index}", "language": person["languages"][0], "interests": person["interests"],
        "offers": person["offers"], "needs": person["needs"], "meeting_format": MeetingFormat(person["format"]),
        "city": person["city"], "utc_offset": person["utc_offset"], "about": "Builds things.",
        "profile_confirmed_at": utcnow() if rng.random() < 0.93 else None,
    } for index, person in enumerate(people)]


async def fill(sessionmaker: async_sessionmaker[AsyncSession], args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    start = utcnow() - timedelta(weeks=args.rounds + 4)
    async with sessionmaker() as session:
        community = Community(name="Sample community", invite_code="bench-stats", tags=[], created_at=start)
        session.add(community)
        await session.flush()
        rows = member_rows(args, rng)
        ids = list((await session.execute(insert(User).returning(User.id), rows)).scalars())
        weeks = args.rounds + 4
        memberships = sorted(({"user_id": user_id, "community_id": community.id,
                               "joined_at": start + timedelta(days=rng.triangular(0, 7 * weeks, 7 * weeks * 0.2)),
                               "status": rng.choices(["active", "paused", "left"], [0.84, 0.08, 0.08])[0]}
                              for user_id in ids), key=lambda row: row["joined_at"])
        await session.commit()
        community_id = community.id
    joining = Joining(sessionmaker, memberships)
    if args.members:
        await synthetic_rounds(sessionmaker, community_id, joining, args, rng)
    else:
        await real_rounds(sessionmaker, community_id, joining, args, rng)
    await joining.until(utcnow())
    return community_id


class Joining:
    """Members join over the weeks: each round sees only the people who had joined by then."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], memberships: list[dict[str, Any]]) -> None:
        self.sessionmaker, self.waiting, self.joined = sessionmaker, memberships, []

    async def until(self, moment: Any) -> list[int]:
        """Insert everyone who joined by `moment`; the user ids of every member so far."""
        now = [row for row in self.waiting if row["joined_at"] <= moment]
        self.waiting = self.waiting[len(now):]
        if now:
            async with self.sessionmaker() as session:
                await session.execute(insert(Membership), now)
                await session.commit()
        self.joined += [row["user_id"] for row in now if row["status"] == "active"]
        return list(self.joined)


async def real_rounds(sessionmaker: async_sessionmaker[AsyncSession], community_id: int, joining: Joining,
                      args: argparse.Namespace, rng: random.Random) -> None:
    for number in range(args.rounds):
        moment = utcnow() - timedelta(weeks=args.rounds - number)
        await joining.until(moment)
        async with sessionmaker() as session:
            community = await session.get(Community, community_id)
            assert community is not None
            summary = await rounds.create_round(session, community, f"bench-{number}", moment)
            assert summary is not None
            seats = list(await session.scalars(
                select(MatchMember).join(Match).where(Match.round_id == summary.round_id)))
            for seat in seats:
                for column, value in checkin(rng, moment).items():
                    setattr(seat, column, value)
            await session.commit()
        shape = summary.shape
        print(f"round {number + 1}: {shape.pairs} pairs, {shape.trios} trios, {shape.left_out} left out")


def checkin(rng: random.Random, moment: Any) -> dict[str, Any]:
    if rng.random() > 0.7:  # no answer
        return {}
    met = rng.random() < 0.75
    return {"outcome": Outcome.MET if met else rng.choice([Outcome.PLANNED, Outcome.NOT_MET]),
            "rating": rng.choices([3, 4, 5], [0.15, 0.4, 0.45])[0] if met else None,
            "comment": rng.choice(COMMENTS) if met and rng.random() < 0.2 else None,
            "checked_in_at": moment + timedelta(days=6)}


async def synthetic_rounds(sessionmaker: async_sessionmaker[AsyncSession], community_id: int, joining: Joining,
                           args: argparse.Namespace, rng: random.Random) -> None:
    for number in range(args.rounds):
        moment = utcnow() - timedelta(weeks=args.rounds - number)
        ids = await joining.until(moment)
        async with sessionmaker() as session:
            round_id = (await session.execute(insert(Round).returning(Round.id), [{
                "community_id": community_id, "period": f"bench-{number}", "created_at": moment,
                "checkin_due_at": moment + timedelta(days=6)}])).scalar_one()
            people = rng.sample(ids, len(ids) - len(ids) % 2)
            match_ids = list((await session.execute(insert(Match).returning(Match.id), [
                {"round_id": round_id, "reasons": {"shared_interests": []}, "is_repeat": False}
                for _ in range(len(people) // 2)])).scalars())
            seats = [{"match_id": match_ids[index // 2], "user_id": person, "outcome": None, "rating": None,
                      "comment": None, "checked_in_at": None, **checkin(rng, moment)}
                     for index, person in enumerate(people)]
            await session.execute(insert(MatchMember), seats)
            await session.commit()
    print(f"{args.rounds} synthetic rounds written (the last of {len(ids) // 2} pairs)")


def save(charts: list[Chart], out: Path, language: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        (out / f"{chart.name}-{language}.png").write_bytes(chart.png)


def load_at(commit: str, path: str) -> ModuleType:
    """The module at `path` (e.g. bot/services/stats.py) as it was at `commit`, as a module of its own."""
    source = subprocess.run(["git", "show", f"{commit}:{path}"], check=True, capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent).stdout
    name = f"reference_{path.replace('/', '_').removesuffix('.py')}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, f"{commit[:7]}:{path}", "exec"), module.__dict__)  # our own history
    return module


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 1)[0] if Path("/proc/loadavg").exists() else "?"


async def measure(sessionmaker: async_sessionmaker[AsyncSession], community_id: int, out: Path,
                  modules: tuple[Any, Any, Any], label: str) -> None:
    stats_module, export_module, charts_module = modules
    for language in ("en", "ru"):
        async with sessionmaker() as session:
            community = await session.get(Community, community_id)
            assert community is not None
            started = time.perf_counter()
            numbers = await stats_module.community_stats(session, community, utcnow())
            loaded = time.perf_counter()
            charts = await asyncio.to_thread(charts_module.render_charts, Texts(language), numbers)
            done = time.perf_counter()
        print(f"{label} /stats ({language}): {done - started:.2f} s (queries {loaded - started:.2f} s, "
              f"{len(charts)} charts {done - loaded:.2f} s), load {load()}")
        if label == "now":
            save(charts, out, language)
    seconds, sizes = await export_once(sessionmaker, community_id, export_module, traced=False)
    peak, _ = await export_once(sessionmaker, community_id, export_module, traced=True)  # tracing slows Python
    print(f"{label} /export: {seconds:.2f} s, Python heap peak growth {peak / 1e6:.1f} MB ({sizes}), load {load()}")


async def export_once(sessionmaker: async_sessionmaker[AsyncSession], community_id: int, export_module: Any, *,
                      traced: bool) -> tuple[float, str]:
    """Seconds and file sizes of one /export, or (with `traced`) the Python heap's peak growth in its place."""
    async with sessionmaker() as session:
        community = await session.get(Community, community_id)
        assert community is not None
        with tempfile.TemporaryDirectory() as folder:
            if traced:
                tracemalloc.start()
            started = time.perf_counter()
            files = await export_module.export_all(session, community, Path(folder))
            seconds = time.perf_counter() - started
            if traced:
                seconds = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            sizes = ", ".join(f"{kind} {path.stat().st_size / 1e6:.1f} MB" for kind, path in files)
    return seconds, sizes


async def main(args: argparse.Namespace) -> None:
    url = args.database_url
    folder = tempfile.TemporaryDirectory()
    if url is None:
        url = f"sqlite+aiosqlite:///{folder.name}/stats.db"
        await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:  # --database-url of an earlier run: measure its community again
        community_id = await session.scalar(select(Community.id).where(Community.invite_code == "bench-stats"))
    if community_id is None:
        started = time.perf_counter()
        community_id = await fill(sessionmaker, args)
        async with sessionmaker() as session:  # a few members banned, as in life
            await session.execute(update(Membership).where(Membership.id % 97 == 0)
                                  .values(status="left", banned_at=utcnow()))
            await session.commit()
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                await connection.execute(text("ANALYZE"))
                await connection.commit()
        print(f"filled in {time.perf_counter() - started:.1f} s")
    current = (stats, export, charts_module)
    await measure(sessionmaker, community_id, Path(args.out), current, "now")
    if args.reference:
        stats_at, export_at, charts_at = (load_at(args.reference, f"bot/{path}.py")
                                          for path in ("services/stats", "services/export", "presentation/charts"))
        reference = (stats_at, export_at, charts_at)
        await measure(sessionmaker, community_id, Path(args.out), reference, f"reference {args.reference[:7]}")
        await measure(sessionmaker, community_id, Path(args.out), current, "now")  # again: the load moves
    print(f"charts written to {args.out}/")
    await engine.dispose()
    folder.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", action="store_true", help="the members of ../shared/data/members-sample.json")
    parser.add_argument("--members", type=int, default=0, help="generated members instead of the sample")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="docs/charts")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reference", default=None, help="a commit whose /stats and /export to time as well")
    asyncio.run(main(parser.parse_args()))
