"""The outbox delivery worker against a real database (SQLite and PostgreSQL) and the fake Bot API."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from itertools import groupby, pairwise
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_bot
from bot.config import Settings
from bot.db.base import utcnow
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import OutboxMessage, OutboxStatus
from bot.outbox import DeliverySettings, DeliveryWorker, enqueue
from bot.outbox import worker as worker_module
from tests.support.fake_telegram import FakeTelegram
from tests.support.process import TEST_TOKEN

ROOT = Path(__file__).resolve().parents[1]
FAST = DeliverySettings(rate_per_second=200, per_chat_interval=0.05, backoff_base=0.02, max_attempts=4,
                        poll_interval=0.05)

Sessions = async_sessionmaker[AsyncSession]


async def add(sessionmaker: Sessions, messages: Iterable[tuple[int, str]], kind: str = "test") -> list[int]:
    async with sessionmaker() as session:
        rows = [await enqueue(session, chat_id=chat, text=text, kind=kind) for chat, text in messages]
        await session.commit()
        return [row.id for row in rows]


async def rows(sessionmaker: Sessions) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def row(sessionmaker: Sessions, row_id: int) -> OutboxMessage:
    async with sessionmaker() as session:
        found = await session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def sent_texts(tg: FakeTelegram) -> Counter[str]:
    return Counter(m.text for m in tg.all_messages())


async def test_each_message_is_delivered_once_in_order_per_chat(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    chats = [101, 102, 103, 104, 105]
    expected = {chat: [f"message {n} to {chat}" for n in range(4)] for chat in chats}
    await add(sessionmaker, [(chat, expected[chat][n]) for n in range(4) for chat in chats])

    assert await DeliveryWorker(bot, sessionmaker, FAST).drain() == 20

    for chat in chats:
        assert tg.texts(chat) == expected[chat]
    assert set(tg.send_counts.values()) == {4}
    for stored in await rows(sessionmaker):
        assert stored.status == OutboxStatus.SENT
        assert stored.attempts == 1 and stored.sent_at is not None and stored.lease_until is None
        message = tg.get_message(stored.chat_id, stored.telegram_message_id or 0)
        assert message is not None and message.text in expected[stored.chat_id]
        assert stored.text == "" and stored.reply_markup is None  # no copy of a sent message is kept


async def test_keyboards_and_html_reach_the_chat(sessionmaker: Sessions, bot: Bot, tg: FakeTelegram) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Met", callback_data="ci:1:met")]])
    async with sessionmaker() as session:
        await enqueue(session, chat_id=7, text="<b>Your match</b> &amp; you", kind="intro", reply_markup=markup)
        await enqueue(session, chat_id=8, text="plain", kind="intro",
                      reply_markup={"inline_keyboard": [[{"text": "Open", "url": "https://t.me/coffee_bot"}]]})
        await session.commit()

    await DeliveryWorker(bot, sessionmaker, FAST).drain()

    first, second = tg.last_message(7), tg.last_message(8)
    assert first is not None and first.plain_text == "Your match & you" and first.buttons == [("Met", "ci:1:met")]
    assert second is not None and second.buttons == [("Open", "https://t.me/coffee_bot")]


async def test_enqueue_is_part_of_the_callers_transaction(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    async with sessionmaker() as session:
        await enqueue(session, chat_id=9, text="never committed", kind="test")
        await session.rollback()

    assert await DeliveryWorker(bot, sessionmaker, FAST).drain() == 0
    assert tg.calls_of("sendMessage") == []


async def test_429_waits_retry_after_pauses_everything_and_sends_once(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", chat_id=201, error_code=429, retry_after=1)
    ids = await add(sessionmaker, [(201, "flooded"), (202, "other 1"), (203, "other 2"), (201, "after")])
    # A slow rate: the 429 answer is back long before the next send slot, so the pause is observable.
    worker = DeliveryWorker(bot, sessionmaker, DeliverySettings(rate_per_second=10, per_chat_interval=0.05))

    assert await worker.drain() == 4

    assert tg.texts(201) == ["flooded", "after"]
    assert tg.send_counts[202] == tg.send_counts[203] == 1
    assert (await row(sessionmaker, ids[0])).attempts == 2
    assert worker.stats.rate_limited == 1
    flood = tg.calls_of("sendMessage", ok=False)[0]
    later = [c for c in tg.calls_of("sendMessage") if c.seq > flood.seq]
    assert min(c.at for c in later) - flood.at >= 0.9, "no send while Telegram's retry_after runs"


async def test_blocked_chat_fails_the_row_and_runs_the_hook(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    tg.block(301)
    seen: list[tuple[int, str | None]] = []

    async def on_blocked(session: AsyncSession, message: OutboxMessage) -> None:
        seen.append((message.id, message.error))
        await enqueue(session, chat_id=302, text=f"your partner left ({message.kind})", kind="partner_left")

    intro, to_partner = await add(sessionmaker, [(301, "intro"), (302, "intro for partner")], kind="intro")

    await DeliveryWorker(bot, sessionmaker, FAST, on_blocked=on_blocked).drain()

    blocked = await row(sessionmaker, intro)
    assert blocked.status == OutboxStatus.FAILED and blocked.error == "blocked"
    assert seen == [(intro, "blocked")]
    assert tg.texts(302) == ["intro for partner", "your partner left (intro)"]
    assert (await row(sessionmaker, to_partner)).status == OutboxStatus.SENT
    assert tg.send_counts[301] == 0


async def test_a_failing_hook_is_retried_not_lost(sessionmaker: Sessions, bot: Bot, tg: FakeTelegram) -> None:
    tg.block(311)
    calls: list[int] = []

    async def on_blocked(session: AsyncSession, message: OutboxMessage) -> None:
        calls.append(message.id)
        if len(calls) == 1:
            raise RuntimeError("partner lookup failed")
        await enqueue(session, chat_id=312, text="your partner left", kind="partner_left")

    (intro,) = await add(sessionmaker, [(311, "intro")])
    await DeliveryWorker(bot, sessionmaker, FAST, on_blocked=on_blocked).drain()

    assert calls == [intro, intro]
    assert (await row(sessionmaker, intro)).error == "blocked"
    assert tg.texts(312) == ["your partner left"]


async def test_server_errors_are_retried_with_backoff_and_delivered_once(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", chat_id=401, error_code=500, times=1)
    tg.fail("sendMessage", chat_id=401, error_code=502, times=1)
    ids = await add(sessionmaker, [(401, "first"), (401, "second"), (402, "elsewhere")])
    worker = DeliveryWorker(bot, sessionmaker, FAST)

    assert await worker.drain() == 3

    assert tg.texts(401) == ["first", "second"], "a retried message keeps its place in the chat's order"
    first = await row(sessionmaker, ids[0])
    assert first.status == OutboxStatus.SENT and first.attempts == 3 and first.error is None
    assert worker.stats.retried == 2


async def test_permanent_server_error_fails_after_max_attempts(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", chat_id=411, error_code=500, times=None)
    ids = await add(sessionmaker, [(411, "doomed"), (411, "next"), (412, "fine")])

    await DeliveryWorker(bot, sessionmaker, FAST).drain()

    doomed = await row(sessionmaker, ids[0])
    assert doomed.status == OutboxStatus.FAILED and doomed.attempts == FAST.max_attempts
    assert doomed.error == "Internal Server Error"
    assert len(tg.calls_of("sendMessage", ok=False)) == 2 * FAST.max_attempts, "the next one fails likewise"
    assert tg.texts(412) == ["fine"]


async def test_network_errors_are_retried_then_fail(sessionmaker: Sessions, tg: FakeTelegram) -> None:
    await tg.stop()  # nothing listens on its port any more
    dead = Bot(TEST_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
    (message,) = await add(sessionmaker, [(421, "unreachable")])
    try:
        await DeliveryWorker(dead, sessionmaker, FAST).drain()
    finally:
        await dead.session.close()

    stored = await row(sessionmaker, message)
    assert stored.status == OutboxStatus.FAILED and stored.attempts == FAST.max_attempts
    assert stored.error is not None and "Client" in stored.error


async def test_bad_request_fails_with_telegrams_description(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    ids = await add(sessionmaker, [(431, "<b>unclosed"), (431, "<b>fine</b>")])

    await DeliveryWorker(bot, sessionmaker, FAST).drain()

    broken = await row(sessionmaker, ids[0])
    assert broken.status == OutboxStatus.FAILED and broken.attempts == 1
    assert broken.error is not None and broken.error.startswith("Bad Request: can't parse entities")
    assert tg.texts(431) == ["<b>fine</b>"], "a failed message does not hold up the chat"


async def test_two_sends_to_one_chat_are_per_chat_interval_apart(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    interval = 0.4
    await add(sessionmaker, [(501, "a"), (502, "x"), (501, "b"), (503, "y"), (501, "c"), (502, "z")])

    await DeliveryWorker(bot, sessionmaker, DeliverySettings(rate_per_second=100, per_chat_interval=interval)).drain()

    for chat in (501, 502):
        times = [c.at for c in tg.calls_of("sendMessage") if c.chat_id == chat]
        assert len(times) == (3 if chat == 501 else 2)
        assert all(b - a >= interval - 0.05 for a, b in pairwise(times)), times


async def test_leases_expired_rows_are_reclaimed_and_live_ones_respected(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    crashed, live, behind_live = await add(sessionmaker, [(601, "crashed"), (602, "in flight"), (602, "behind")])
    async with sessionmaker() as session:
        for row_id, lease in ((crashed, -5), (live, 60)):
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                status=OutboxStatus.SENDING, attempts=1, lease_until=utcnow() + timedelta(seconds=lease)))
        await session.commit()

    drain = asyncio.create_task(DeliveryWorker(bot, sessionmaker, FAST).drain())
    await tg.wait_for_message(601, "crashed")
    await asyncio.sleep(0.3)  # drain() waits for the live lease to end; meanwhile chat 602 must get nothing
    drain.cancel()
    await asyncio.gather(drain, return_exceptions=True)

    assert tg.texts(601) == ["crashed"] and (await row(sessionmaker, crashed)).attempts == 2
    assert tg.texts(602) == [], "another worker holds the head of this chat's queue"
    assert (await row(sessionmaker, live)).status == OutboxStatus.SENDING
    assert (await row(sessionmaker, behind_live)).status == OutboxStatus.PENDING


async def test_run_wakes_on_demand_and_cancelling_leaves_nothing_half_done(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram
) -> None:
    tg.send_delay = 0.01
    settings = DeliverySettings(rate_per_second=40, per_chat_interval=0.05, poll_interval=60)
    worker = DeliveryWorker(bot, sessionmaker, settings)
    runner = asyncio.create_task(worker.run())
    await asyncio.sleep(0.1)  # the worker found nothing and sleeps for poll_interval
    await add(sessionmaker, [(701, "hello")])
    worker.wake()
    await tg.wait_for_message(701, "hello", timeout=10)

    texts = [f"bulk {n}" for n in range(60)]
    await add(sessionmaker, [(710 + n % 20, text) for n, text in enumerate(texts)])
    worker.wake()
    await tg.wait_for(lambda: sum(tg.send_counts.values()) >= 20, timeout=10)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)

    statuses = Counter(r.status for r in await rows(sessionmaker))
    assert statuses[OutboxStatus.SENDING] == 0, "claimed rows were sent and recorded or handed back"
    assert 0 < statuses[OutboxStatus.PENDING] < len(texts)

    await DeliveryWorker(bot, sessionmaker, FAST).drain()
    assert sent_texts(tg) == Counter(["hello", *texts])


async def test_cancelled_while_claiming_hands_the_claimed_rows_back(
    sessionmaker: Sessions, bot: Bot, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found once under load: cancelled after the claim was committed but before its rows had delivery tasks
    (closing the claim's session), the worker left them `sending` until their lease ran out."""
    await add(sessionmaker, [(901, "first"), (902, "second")])
    claimed, closing = asyncio.Event(), asyncio.Event()
    real_claim_due = worker_module.claim_due

    async def claim_then_slow_close(session: AsyncSession, *args: Any) -> Any:
        found = await real_claim_due(session, *args)  # committed: the rows are `sending` now
        claimed.set()
        await closing.wait()
        return found

    monkeypatch.setattr(worker_module, "claim_due", claim_then_slow_close)
    runner = asyncio.create_task(DeliveryWorker(bot, sessionmaker, FAST).run())
    await claimed.wait()
    runner.cancel()
    closing.set()
    await asyncio.gather(runner, return_exceptions=True)

    assert Counter(r.status for r in await rows(sessionmaker)) == Counter({OutboxStatus.PENDING: 2})
    assert not tg.send_counts
    monkeypatch.setattr(worker_module, "claim_due", real_claim_due)
    await DeliveryWorker(bot, sessionmaker, FAST).drain()
    assert sent_texts(tg) == Counter(["first", "second"])


async def test_two_workers_never_send_the_same_row(
    database_url: str, sessionmaker: Sessions, tg: FakeTelegram, settings: Settings
) -> None:
    texts = [f"round message {n}" for n in range(200)]
    await add(sessionmaker, [(800 + n % 50, text) for n, text in enumerate(texts)])
    other_engine = create_engine(database_url)
    bots = [create_bot(settings), create_bot(settings)]
    # Each claims 30 rows at a time (half a second at 60/s), fewer than the 50 chats: they race from the start.
    fast = DeliverySettings(rate_per_second=60, per_chat_interval=0.05, poll_interval=0.05)
    workers = [DeliveryWorker(bots[0], sessionmaker, fast),
               DeliveryWorker(bots[1], create_sessionmaker(other_engine), fast)]
    try:
        counts = await asyncio.gather(*(w.drain() for w in workers))
    finally:
        for b in bots:
            await b.session.close()
        await other_engine.dispose()

    assert sum(counts) == 200 and min(counts) > 0, counts
    assert sent_texts(tg) == Counter(texts)
    assert {r.status for r in await rows(sessionmaker)} == {OutboxStatus.SENT}
    for chat in range(800, 850):
        assert tg.texts(chat) == texts[chat - 800::50], "each chat's messages in id order"


async def test_kill_9_mid_round_loses_nothing_and_repeats_at_most_the_in_flight_rows(
    database_url: str, sessionmaker: Sessions, tg: FakeTelegram
) -> None:
    """The worker process is killed while it delivers 300 messages to 100 chats, then started again.

    Every message must arrive. The Bot API has no idempotency key, so a message whose request was in flight
    at the kill (its row still `sending`) may arrive twice; no other message may.
    """
    tg.send_delay = 0.02  # requests are in flight most of the time
    texts = [f"intro #{n}" for n in range(300)]
    await add(sessionmaker, [(900 + n % 100, text) for n, text in enumerate(texts)], kind="intro")
    env = tg.subprocess_env(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=database_url, DELIVERY_RATE="150",
                            DELIVERY_LEASE_SECONDS="3")

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.delivery_worker_main", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)

    first = await start()
    await tg.wait_for(lambda: sum(tg.send_counts.values()) >= 120, timeout=60, interval=0.001)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    left_sending = {r.text for r in await rows(sessionmaker) if r.status == OutboxStatus.SENDING}
    delivered_before = len(sent_texts(tg))
    assert 0 < delivered_before < len(texts)

    second = await start()
    try:
        async def all_sent() -> bool:
            return all(r.status == OutboxStatus.SENT for r in await rows(sessionmaker))
        await tg.wait_for(all_sent, timeout=60, interval=0.1)
    finally:
        second.kill()
        output, _ = await second.communicate()
    assert b"Traceback" not in output, output.decode()

    counts = sent_texts(tg)
    assert set(counts) == set(texts), "no message is lost"
    repeated = {text for text, count in counts.items() if count > 1}
    assert repeated <= left_sending, "only a message in flight at the kill can repeat"
    assert max(counts.values()) <= 2
    for chat in range(900, 1000):
        in_order = [text for text, _ in groupby(tg.texts(chat))]  # a repeat directly follows its original
        assert in_order == texts[chat - 900::100]
