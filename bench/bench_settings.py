"""/settings on a 10,000-member community: removing and renaming an interest tag rewrites members' answers.

Seeds one community of N members who all picked `it` and `marketing`, half of them also members of a second
community that still offers `it` (they keep it). Times bot.services.settings.remove_tag and rename_tag, and, in
the same run on an identical community as the reference, the code before (one query per member for their other
communities, ORM objects changed one by one). Checks both give the same answers. Prints the load average.

Usage: .venv/bin/python bench/bench_settings.py [--members 10000] [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import scratch_postgres
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.db.models import Community, Membership, User
from bot.services import settings

TAGS = ["it", "marketing", "design"]


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


async def seed(sessionmaker: async_sessionmaker[AsyncSession], members: int, name: str, first: int) -> int:
    async with sessionmaker() as session:
        community = Community(name=name, invite_code=f"bench-{name}", tags=list(TAGS))
        other = Community(name=f"{name} other", invite_code=f"bench-{name}-o", tags=["it"])
        session.add_all([community, other])
        await session.flush()
        rows = [{"telegram_id": first + n, "first_name": f"M{n}", "display_name": f"M{n}", "language": "en",
                 "interests": ["it", "marketing"]} for n in range(members)]
        ids = sorted((await session.execute(insert(User).returning(User.id), rows)).scalars())
        await session.execute(insert(Membership), [{"user_id": i, "community_id": community.id} for i in ids])
        await session.execute(insert(Membership), [{"user_id": i, "community_id": other.id} for i in ids[::2]])
        await session.commit()
        return community.id


async def old_remove_tag(session: AsyncSession, community: Community, tag: str) -> None:
    """The code before, as the reference: one query per member."""
    community.tags = [other for other in community.tags if other != tag]
    members = await session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                                    .where(Membership.community_id == community.id))
    for member in list(members):
        others = await session.scalars(select(Community.tags).join(Membership, Membership.community_id == Community.id)
                                       .where(Membership.user_id == member.id, Community.id != community.id))
        if tag in (member.interests or []) and not any(tag in (tags or []) for tags in others):
            member.interests = [other for other in member.interests if other != tag]
    await session.commit()


async def answers(sessionmaker: async_sessionmaker[AsyncSession], community_id: int) -> list[list[str]]:
    async with sessionmaker() as session:
        return [list(row) for row in await session.scalars(
            select(User.interests).join(Membership, Membership.user_id == User.id)
            .where(Membership.community_id == community_id).order_by(User.telegram_id))]


async def timed(sessionmaker: async_sessionmaker[AsyncSession], community_id: int, how: str) -> float:
    async with sessionmaker() as session:
        community = await session.get(Community, community_id)
        assert community is not None
        started = time.perf_counter()
        if how == "old remove":
            await old_remove_tag(session, community, "it")
        elif how == "remove":
            await settings.remove_tag(session, community, "it")
        else:
            await settings.rename_tag(session, community, "marketing", "Growth")
        return time.perf_counter() - started


async def run(url: str, members: int) -> None:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    reference = await seed(sessionmaker, members, "reference", 10_000_000)
    new = await seed(sessionmaker, members, "new", 20_000_000)
    print(f"{url.split(':')[0]}: {members} members, half also in a community that still offers the tag")
    before = load()
    old_seconds = await timed(sessionmaker, reference, "old remove")
    new_seconds = await timed(sessionmaker, new, "remove")
    rename_seconds = await timed(sessionmaker, new, "rename")
    print(f"  remove_tag  before (reference): {old_seconds:6.2f} s   now: {new_seconds:6.2f} s")
    print(f"  rename_tag  now: {rename_seconds:6.2f} s")
    old_answers = await answers(sessionmaker, reference)
    new_answers = await answers(sessionmaker, new)
    assert [[t for t in a if t != "Growth"] for a in new_answers] == [[t for t in a if t != "marketing"]
                                                                       for a in old_answers], "answers differ"
    assert sum("it" in a for a in new_answers) == (members + 1) // 2
    print(f"  same answers as the reference; load average {before} before, {load()} after ({os.cpu_count()} CPUs)")
    await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            await asyncio.to_thread(upgrade_to_head, url)
            await run(url, args.members)
    if args.database in ("postgresql", "both"):
        async with scratch_postgres() as url:
            await run(url, args.members)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    asyncio.run(main(parser.parse_args()))
