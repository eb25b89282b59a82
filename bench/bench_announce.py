"""An announcement to a 10,000-member community, end to end: the admin's /announce, text and Send press through the
real Dispatcher, then the real outbox worker delivering every copy to a local fake Bot API server that enforces
the global rate (429 retry_after=1 beyond it), with the worker configured at the same rate.

Prints the time to queue the copies (the Send press: claim + 10,000 outbox rows in one transaction), the delivery
throughput against the configured rate (the reference: the best the worker may do), the 429s, and — counted per
chat on the fake server — chats that got no copy (lost) and copies beyond the first (duplicates); both must be 0.
With --blocked N, the first N members have blocked the bot (their copies fail with 403 and are not counted as
lost). The load average is printed with the figures: the machine is shared.

Usage: .venv/bin/python bench/bench_announce.py [--members 10000] [--rate 25] [--concurrency 8] [--blocked 0]
       [--muted 0] [--database-url URL]   (default: a temporary SQLite file)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bot.app import create_bot, create_dispatcher
from bot.config import Settings
from bot.db.base import utcnow
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.db.models import Community, CommunityAdmin, MeetingFormat, Membership, OutboxMessage, OutboxStatus, User
from bot.outbox import DeliverySettings, DeliveryWorker
from bot.services import replacements
from tests.support.driver import Person
from tests.support.fake_telegram import FakeTelegram
from tests.support.updates import TgUser, UpdateFactory

TOKEN = "123456:BENCH-token-for-the-coffee-bot"
ADMIN = 1
FIRST = 10_000_000
TEXT = ("Hello everyone! Our winter meetup is on Friday at 18:30 at Factory Berlin — bring a friend & a question "
        "<for the panel>. Reply to your coffee partner if you can't make it.")


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


async def seed(database_url: str, members: int, muted: int) -> int:
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        admin = User(telegram_id=ADMIN, first_name="Olga", display_name="Olga", language="en")
        session.add(admin)
        await session.flush()
        community = Community(name="Berlin Founders", invite_code="bench-announce", tags=[], owner_id=admin.id)
        session.add(community)
        await session.flush()
        session.add(CommunityAdmin(community_id=community.id, user_id=admin.id))
        rows = [{"telegram_id": FIRST + n, "first_name": f"Member {n}", "display_name": f"Member {n}",
                 "language": "ru" if n % 3 == 0 else "en", "interests": [], "meeting_format": MeetingFormat.ONLINE,
                 "profile_confirmed_at": utcnow()} for n in range(members)]
        ids = list((await session.execute(insert(User).returning(User.id), rows)).scalars())
        await session.execute(insert(Membership), [
            {"user_id": user_id, "community_id": community.id, "announcements_muted": n < muted}
            for n, user_id in enumerate(sorted(ids))])
        await session.commit()
    await engine.dispose()
    return members - muted


async def bench(args: argparse.Namespace, database_url: str) -> None:
    started = time.perf_counter()
    recipients = await seed(database_url, args.members, args.muted)
    seeded = time.perf_counter() - started
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    async with FakeTelegram(rate_limit_per_second=args.rate) as tg:
        settings = Settings(bot_token=TOKEN, database_url=database_url, telegram_api_url=tg.base_url)  # type: ignore[arg-type]
        bot = create_bot(settings)
        for n in range(args.muted, args.muted + args.blocked):
            tg.block(FIRST + n)
        olga = Person(TgUser(ADMIN, "Olga"), create_dispatcher(settings, sessionmaker), bot, tg, UpdateFactory())
        await olga.say("/announce")
        await olga.say(TEXT)
        press = time.perf_counter()
        await olga.press_key("announce.send", count=recipients)
        queue_seconds = time.perf_counter() - press
        load_before = load()

        worker = DeliveryWorker(bot, sessionmaker, DeliverySettings(rate_per_second=args.rate,
                                                                    concurrency=args.concurrency),
                                on_blocked=replacements.on_blocked)
        begun = time.perf_counter()
        sent = await worker.drain()
        seconds = time.perf_counter() - begun
        load_after = load()
        await bot.session.close()

        async with sessionmaker() as session:
            statuses = dict((await session.execute(
                select(OutboxMessage.status, func.count()).where(OutboxMessage.kind == "announcement")
                .group_by(OutboxMessage.status))).tuples().all())
        should_get = [FIRST + n for n in range(args.muted + args.blocked, args.members)]
        lost = sum(1 for chat in should_get if tg.send_counts[chat] == 0)
        duplicates = sum(max(0, tg.send_counts[FIRST + n] - 1) for n in range(args.members))
        muted_got = sum(1 for n in range(args.muted) if tg.send_counts[FIRST + n])
    await engine.dispose()

    throughput = sent / seconds
    print(f"members             {args.members} ({args.muted} muted, {args.blocked} blocked the bot), "
          f"{database_url.split(':')[0]}; seeding took {seeded:.1f} s")
    print(f"queued              {recipients} copies by the Send press in {queue_seconds:.2f} s")
    print(f"configured rate     {args.rate:g}/s (worker and fake server), concurrency {args.concurrency}")
    print(f"delivery            {sent} sent in {seconds:.1f} s = {throughput:.2f} msg/s = "
          f"{throughput / args.rate:.3f} of the configured rate")
    requests = sent + worker.stats.blocked + worker.stats.failed
    print(f"requests            {requests} answered by the server in {seconds:.1f} s = {requests / seconds:.2f}/s = "
          f"{requests / seconds / args.rate:.3f} of the configured rate (refused copies use the rate too)")
    print(f"429s received       {worker.stats.rate_limited} (server refused {tg.rate_limited}), "
          f"blocked {worker.stats.blocked}, retried {worker.stats.retried}, failed {worker.stats.failed}")
    print(f"lost                {lost} of {len(should_get)} reachable members got no copy; "
          f"muted members who got one: {muted_got}")
    print(f"duplicates          {duplicates} (copies beyond the first, counted per chat on the fake server)")
    print(f"statuses            { {str(k): v for k, v in statuses.items()} }")
    print(f"load average        {load_before} before delivery, {load_after} after (1/5/15 min, {os.cpu_count()} CPUs)")
    if statuses.get(OutboxStatus.PENDING) or statuses.get(OutboxStatus.SENDING):
        print("WARNING: rows left unsent")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--blocked", type=int, default=0, help="members who blocked the bot (403)")
    parser.add_argument("--muted", type=int, default=0, help="members who muted announcements")
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the worker logs every 429 and 403: counted below instead
    with tempfile.TemporaryDirectory() as workdir:
        database_url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        upgrade_to_head(database_url)  # synchronous: before the event loop
        asyncio.run(bench(args, database_url))


if __name__ == "__main__":
    main()
