"""Updates per second that `python -m bot` replicas handle in webhook mode, with p50 / p99 latency, for a
realistic mix: commands, questionnaire answers, button presses.

    .venv/bin/python bench/bench_webhook.py [--replicas 1 3] [--people 40] [--database postgresql+asyncpg://…]

Each replica is a real `python -m bot` process (webhook mode, PostgreSQL, Redis for shared state and locks)
behind a round-robin proxy (the fake Telegram's `webhook_targets`). `--people` people act at once, each one
step after another (a closed loop: a person sends the next update once the previous one was answered):
/start with the invite code, "keep my name", an answer, two interest buttons, Done, an answer, /help, /cancel,
/profile, /communities, /help — 12 updates each. Latency is the webhook request's duration as Telegram sees it
(the bot answers a webhook request once its update is handled): handling plus the wait for that person's lock
and HTTP. Needs PostgreSQL (a database of its own is created and dropped) and Redis (keys under a prefix of its
own, deleted afterwards); prints figures, asserts nothing.
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import Redis

from bench.common import scratch_postgres
from tests.support.fake_telegram import FakeTelegram
from tests.support.replicas import REDIS_URL, delete_prefix, replicas
from tests.support.updates import TgUser, UpdateFactory

STEPS = 12


class TimedTelegram(FakeTelegram):
    """Fake Telegram that times each webhook request and tells waiters when an update was handled."""

    def __init__(self) -> None:
        super().__init__()
        self.latencies: list[float] = []
        self.handled: dict[int, asyncio.Future[None]] = {}

    async def post_to_webhook(self, update: dict[str, Any], secret: str | None, url: str | None = None) -> int:
        started = time.perf_counter()
        status = await super().post_to_webhook(update, secret, url)
        if 200 <= status < 300:
            self.latencies.append(time.perf_counter() - started)
            waiter = self.handled.pop(int(update["update_id"]), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        return status

    async def handle(self, update: dict[str, Any]) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self.handled[int(update["update_id"])] = waiter
        self.push_update(update)
        await asyncio.wait_for(waiter, 120)


async def person(tg: TimedTelegram, updates: UpdateFactory, user: TgUser, code: str) -> None:
    async def press(index: int | None = None, text: str | None = None) -> None:
        message = tg.last_keyboard_message(user.id)
        assert message is not None, tg.texts(user.id)[-2:]
        button = text if text is not None else message.button_texts[index or 0]
        await tg.handle(updates.callback_from_button(user, message, button))

    async def say(text: str) -> None:
        await tg.handle(updates.message(user, text))

    await say(f"/start {code}")
    await press(0)  # keep the name from Telegram
    await say("I build payment systems and mentor junior engineers.")
    await press(0)
    await press(1)  # two interests
    done = next(b for b in tg.last_keyboard_message(user.id).button_texts if "Done" in b)  # type: ignore[union-attr]
    await press(text=done)
    await say("Code reviews and introductions to fintech people")
    for command in ("/help", "/cancel", "/profile", "/communities", "/help"):
        await say(command)


async def run(replica_count: int, people: int, database_url: str, workdir: Path) -> dict[str, float]:
    prefix = f"coffee_bench_{os.getpid()}_{secrets.token_hex(4)}"
    async with TimedTelegram() as tg, replicas(tg, database_url, workdir, prefix, replica_count):
        updates = UpdateFactory()
        admin = TgUser(1, "Olga", username="olga")
        await tg.handle(updates.message(admin, "/newcommunity Bench Guild"))
        code = next(t for t in tg.texts(admin.id) if "start=" in t).split("start=")[1].split()[0]
        tg.latencies.clear()
        started = time.perf_counter()
        base = 10_000 * (replica_count + 1)
        await asyncio.gather(*(person(tg, updates, TgUser(base + n, f"Person{n}"), code)
                               for n in range(people)))
        elapsed = time.perf_counter() - started
    redis = Redis.from_url(REDIS_URL)
    try:
        await delete_prefix(redis, prefix)
    finally:
        await redis.aclose()
    latencies = sorted(tg.latencies)
    return {"updates": len(latencies), "seconds": elapsed, "per_second": len(latencies) / elapsed,
            "p50": statistics.median(latencies), "p99": latencies[int(0.99 * (len(latencies) - 1))]}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--people", type=int, default=40)
    args = parser.parse_args()
    async with scratch_postgres() as url:
        print(f"{os.cpu_count()} CPUs; {args.people} people at once, {STEPS} updates each")
        first = None
        for count in args.replicas:
            with tempfile.TemporaryDirectory() as workdir:
                figures = await run(count, args.people, url, Path(workdir))
            first = first or figures["per_second"]
            print(f"{count} replica(s): {figures['updates']:.0f} updates in {figures['seconds']:.1f} s = "
                  f"{figures['per_second']:.1f} updates/s ({figures['per_second'] / first:.2f}x); "
                  f"latency p50 {figures['p50'] * 1000:.0f} ms, p99 {figures['p99'] * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
