"""A 10,000-member round from `/matchnow` to every outbox row committed, while other people's updates keep coming.

    .venv/bin/python bench/bench_matchnow.py [--members 10000] [--history 20] [--rate 20] [--replicas 1]

A PostgreSQL database of its own (created and dropped) is filled the way `bench_stats.py --members` fills it:
generated members with finished profiles and `--history` past rounds of random pairs. Then real `python -m bot`
processes in webhook mode (PostgreSQL, Redis) serve the fake Telegram server: the community's admin sends
`/matchnow` and presses "Yes, match now", while a steady open-loop stream of `--rate` updates per second from
other people (/help, /start, /communities, /profile from people with and without a profile) is sent regardless
of whether earlier ones were answered. Printed: seconds from the confirm press to the round's rows (round,
matches, members, every intro in the outbox) being committed, and the stream's p50 / p99 / max latency (webhook
request duration) before, during and after the round, as ratios to the quiet figures measured in the same run.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import Redis
from sqlalchemy import func, insert, select, update

from bench.bench_stats import fill
from bench.bench_webhook import TimedTelegram
from bench.common import scratch_postgres
from bot.db.base import utcnow
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import Community, CommunityAdmin, OutboxMessage, Round, User
from tests.support.process import output_of
from tests.support.replicas import REDIS_URL, delete_prefix, replicas
from tests.support.updates import TgUser, UpdateFactory

ADMIN = TgUser(1, "Olga", username="olga")
STREAM = ("/help", "/communities", "/profile", "/start")


async def prepare(url: str, members: int, history: int) -> int:
    """The community (filled, its admin added); its id."""
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    try:
        community_id = await fill(sessionmaker, argparse.Namespace(members=members, rounds=history, seed=1))
        async with sessionmaker() as session:
            admin_id = (await session.execute(insert(User).returning(User.id), [{
                "telegram_id": ADMIN.id, "username": ADMIN.username, "first_name": ADMIN.first_name,
                "language": "en"}])).scalar_one()
            await session.execute(insert(CommunityAdmin), [{"community_id": community_id, "user_id": admin_id}])
            # created now: no scheduled round is due when the bot starts (only the /matchnow round runs)
            await session.execute(update(Community).where(Community.id == community_id).values(created_at=utcnow()))
            await session.commit()
    finally:
        await engine.dispose()
    return community_id


class Stream:
    """`rate` updates per second from rotating people, each timed from sending to the webhook's answer."""

    def __init__(self, tg: TimedTelegram, updates: UpdateFactory, rate: float) -> None:
        self.tg, self.updates, self.rate = tg, updates, rate
        self.samples: list[tuple[float, float]] = []  # (sent at, latency)
        self.pending: set[asyncio.Task[None]] = set()

    async def one(self, n: int) -> None:
        person = TgUser(500_000 + n % 200, f"Visitor{n % 200}")
        sent = time.perf_counter()
        await self.tg.handle(self.updates.message(person, STREAM[n % len(STREAM)]))
        self.samples.append((sent, time.perf_counter() - sent))

    async def run(self, stop: asyncio.Event) -> None:
        n = 0
        started = time.perf_counter()
        while not stop.is_set():
            task = asyncio.create_task(self.one(n))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            n += 1
            await asyncio.sleep(max(0.0, started + n / self.rate - time.perf_counter()))
        await asyncio.gather(*self.pending)

    def between(self, start: float, end: float) -> list[float]:
        return sorted(latency for sent, latency in self.samples if start <= sent < end)


def figures(latencies: list[float]) -> str:
    if not latencies:
        return "no updates"
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    return (f"{len(latencies)} updates, p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")


def worst_seconds(samples: list[tuple[float, float]], start: float, end: float, shown: int = 4) -> str:
    """The seconds (from the confirm press) whose updates waited longest: a stall shows as a run of them."""
    worst: dict[int, float] = {}
    for sent, latency in samples:
        if start <= sent < end:
            second = int(sent - start)
            worst[second] = max(worst.get(second, 0.0), latency)
    slowest = sorted(worst.items(), key=lambda item: -item[1])[:shown]
    return ", ".join(f"{second}s: {latency * 1000:.0f} ms" for second, latency in sorted(slowest)) or "none"


async def round_rows(url: str, community_id: int) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rounds = await session.scalar(select(func.count()).select_from(Round).where(
                Round.community_id == community_id))
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.kind == "intro"))
            return int(rounds or 0), int(queued or 0)
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace, url: str, community_id: int, workdir: Path) -> None:
    prefix = f"coffee_bench_{os.getpid()}_{secrets.token_hex(4)}"
    rounds_before, _ = await round_rows(url, community_id)
    async with TimedTelegram() as tg, replicas(tg, url, workdir, prefix, args.replicas) as started:
        updates = UpdateFactory()
        stream = Stream(tg, updates, args.rate)
        stop = asyncio.Event()
        streaming = asyncio.create_task(stream.run(stop))
        quiet_from = time.perf_counter()
        await asyncio.sleep(args.quiet)
        await tg.handle(updates.message(ADMIN, "/matchnow"))
        confirm = tg.last_keyboard_message(ADMIN.id)
        assert confirm is not None, tg.texts(ADMIN.id)[-2:]
        pressed, pressed_at = time.perf_counter(), datetime.now()
        await tg.handle(updates.callback_from_button(ADMIN, confirm, confirm.button_texts[0]))
        done = time.perf_counter()
        await asyncio.sleep(args.quiet)
        stop.set()
        await streaming
        after = time.perf_counter()
        summary = tg.texts(ADMIN.id)[-1]
        logged = [line for replica in started for line in output_of(replica.process).splitlines()
                  if "bot.services.rounds" in line]
    redis = Redis.from_url(REDIS_URL)
    try:
        await delete_prefix(redis, prefix)
    finally:
        await redis.aclose()
    rounds_after, intros = await round_rows(url, community_id)
    quiet = stream.between(quiet_from, pressed)
    during = stream.between(pressed, done)
    print(f"round committed {done - pressed:.2f} s after the confirm press ({rounds_after - rounds_before} new "
          f"round, {intros} intro messages queued); the admin read: {summary[:120]!r}")
    print(f"  confirm pressed at {pressed_at:%H:%M:%S.%f}; the round's log: {' | '.join(logged) or 'none'}")
    print(f"  stream before: {figures(quiet)}")
    print(f"  stream during: {figures(during)}")
    print(f"  stream after:  {figures(stream.between(done, after))}")
    print(f"  slowest seconds during the round: {worst_seconds(stream.samples, pressed, done)}")
    if quiet and during:
        ratio = during[int(0.99 * (len(during) - 1))] / quiet[int(0.99 * (len(quiet) - 1))]
        print(f"  p99 during / p99 before: {ratio:.1f}x")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=20, help="past rounds of random pairs")
    parser.add_argument("--rate", type=float, default=20.0, help="other updates per second")
    parser.add_argument("--quiet", type=float, default=5.0, help="seconds of stream before and after the round")
    parser.add_argument("--replicas", type=int, default=1)
    args = parser.parse_args()
    async with scratch_postgres() as url:
        started = time.perf_counter()
        community_id = await prepare(url, args.members, args.history)
        print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {args.members} members and {args.history} "
              f"past rounds written in {time.perf_counter() - started:.0f} s; stream of {args.rate:g} updates/s; "
              f"{args.replicas} replica(s)")
        with tempfile.TemporaryDirectory() as workdir:
            await run(args, url, community_id, Path(workdir))


if __name__ == "__main__":
    asyncio.run(main())
