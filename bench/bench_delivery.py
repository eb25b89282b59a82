"""Delivery of one big round's intros: the outbox worker against a fake Bot API that enforces the global rate.

A fresh SQLite file (migrated to head) gets --messages outbox rows, one per chat by default; the worker drains
them through a local FakeTelegram(rate_limit_per_second=--rate) that answers 429 retry_after=1 beyond that
rate, with the worker configured at the same rate. Prints throughput against the configured rate, the 429s
received, and what was lost or duplicated (both must be 0).

Usage: .venv/bin/python bench/bench_delivery.py [--messages 10000] [--rate 25] [--chats N] [--send-delay 0]
       [--concurrency 8] [--database-url URL]   (default: a temporary SQLite file)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bot.app import create_bot
from bot.config import Settings
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.db.models import OutboxMessage, OutboxStatus
from bot.outbox import DeliverySettings, DeliveryWorker
from tests.support.fake_telegram import FakeTelegram

TOKEN = "123456:BENCH-token-for-the-coffee-bot"


async def bench(args: argparse.Namespace, database_url: str) -> None:
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    chats = args.chats or args.messages
    texts = [f"☕ <b>Your coffee partner this round</b>: intro #{n}" for n in range(args.messages)]
    async with sessionmaker() as session:
        rows = [{"chat_id": 10_000_000 + n % chats, "kind": "intro", "text": text} for n, text in enumerate(texts)]
        for start in range(0, len(rows), 1000):
            await session.execute(insert(OutboxMessage), rows[start:start + 1000])
        await session.commit()

    async with FakeTelegram(rate_limit_per_second=args.rate) as tg:
        tg.send_delay = args.send_delay
        settings = Settings(bot_token=TOKEN, database_url=database_url, telegram_api_url=tg.base_url)  # type: ignore[arg-type]
        bot = create_bot(settings)
        worker = DeliveryWorker(bot, sessionmaker,
                                DeliverySettings(rate_per_second=args.rate, concurrency=args.concurrency))
        started = time.perf_counter()
        sent = await worker.drain()
        seconds = time.perf_counter() - started
        await bot.session.close()

        async with sessionmaker() as session:
            statuses = dict((await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).tuples().all())
        delivered = Counter(m.text for m in tg.all_messages())
        chats_without = sum(1 for n in range(chats) if tg.send_counts[10_000_000 + n] == 0)
        rows_not_sent = args.messages - statuses.get(OutboxStatus.SENT, 0)
        duplicates = sum(count - 1 for count in delivered.values())
        missing = sum(1 for text in texts if delivered[text] == 0)

    await engine.dispose()
    throughput = sent / seconds
    print(f"messages            {args.messages} to {chats} chats ({database_url.split(':')[0]})")
    print(f"configured rate     {args.rate:g}/s (worker and fake server), concurrency {args.concurrency}, "
          f"send delay {args.send_delay * 1000:g} ms")
    print(f"seconds             {seconds:.1f}")
    print(f"throughput          {throughput:.2f} msg/s = {throughput / args.rate:.3f} of the configured rate")
    print(f"429s received       {worker.stats.rate_limited} (server refused {tg.rate_limited})")
    print(f"lost                {rows_not_sent} rows not sent, {chats_without} chats without their message, "
          f"{missing} texts never delivered")
    print(f"duplicates          {duplicates}")
    print(f"statuses            { {str(k): v for k, v in statuses.items()} }")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--chats", type=int, default=0, help="default: one chat per message")
    parser.add_argument("--send-delay", type=float, default=0.0, help="fake network latency per send, seconds")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the worker logs every 429 as a warning: counted below instead
    with tempfile.TemporaryDirectory() as workdir:
        database_url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        upgrade_to_head(database_url)  # synchronous: before the event loop
        asyncio.run(bench(args, database_url))


if __name__ == "__main__":
    main()
