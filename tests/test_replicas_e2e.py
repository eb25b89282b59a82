"""Three `python -m bot` replicas in webhook mode on one PostgreSQL and one Redis, behind a round-robin proxy:
one person's updates alternate between replicas and the questionnaire goes on seamlessly; a round survives a
replica killed with SIGKILL mid-delivery (one intro and one reminder each); all replicas together send at the
one configured global rate, and one message per second per chat."""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import FsmRecord, OutboxMessage, OutboxStatus, Round
from bot.outbox import outbox_values
from tests.support.catalogue import en
from tests.support.databases import MigratedTemplates, empty_all_tables
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.intros import is_intro
from tests.support.process import Client
from tests.support.replicas import REDIS_URL, redis_prefix, replicas
from tests.support.updates import TgUser, UpdateFactory

pytestmark = pytest.mark.e2e
__all__ = ["redis_prefix"]  # the fixture
GROUP = -100777
WAIT = 90.0


@pytest.fixture
async def postgres(templates: MigratedTemplates) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    url = await templates.postgres()
    engine = create_engine(url)
    await empty_all_tables(engine)
    yield url, create_sessionmaker(engine)
    await engine.dispose()


async def test_one_persons_updates_alternate_between_replicas(
        tg: FakeTelegram, postgres: tuple[str, async_sessionmaker[AsyncSession]], redis_prefix: str,
        tmp_path: Path) -> None:
    url, sessionmaker = postgres
    updates = UpdateFactory()
    alice = Client(tg, updates, TgUser(2, "Alice Smith", username="alice"))
    async with replicas(tg, url, tmp_path, redis_prefix):
        mark = tg.mark()
        added = updates.my_chat_member(TgUser(1, "Olga", username="olga"), GROUP, "Product Guild")
        tg.push_update(added)
        welcome = await tg.wait_for_message(GROUP, contains=en.text("group.welcome", community="Product Guild"),
                                            after=mark, timeout=WAIT)
        code = welcome.buttons[0][1].split("start=")[1]  # type: ignore[union-attr]
        await alice.say(f"/start {code}", contains=question(1))
        await alice.press(en.label("q.name.keep", name="Alice Smith"), contains=question(2))
        await alice.say("Product manager in fintech, ex-founder.", contains=question(3))
        for button in tg.last_keyboard_message(alice.user.id).button_texts[:2]:  # type: ignore[union-attr]
            mark = alice.tap(button)  # the chosen tags live in the shared state: "Done" on another replica sees them
            await tg.wait_for_call("answerCallbackQuery", after=mark, timeout=WAIT)
        await alice.press(en.label("q.interests.done"), contains=question(4))
        served = await served_after(tg, added["update_id"], 6)
        assert len(served) == 6 and len(set(served)) == 3, served
        assert all(a != b for a, b in itertools.pairwise(served)), "round robin: never twice in a row"
    async with sessionmaker() as session:  # the conversation lived in Redis, not in the SQL storage
        assert await session.scalar(select(func.count()).select_from(FsmRecord)) == 0
    redis = Redis.from_url(REDIS_URL)
    try:
        assert [key async for key in redis.scan_iter(match=f"{redis_prefix}:fsm:*:2:2:*:state")]
    finally:
        await redis.aclose()


async def served_after(tg: FakeTelegram, update_id: int, count: int) -> list[str]:
    """Which replica answered each update after `update_id`, once `count` of them are answered. A delivery is
    recorded when the replica's HTTP answer arrives, which can be just after the bot's reply is seen."""
    served: list[str] = []
    for _ in range(int(WAIT / 0.05)):
        served = [d.url for d in tg.webhook_deliveries if d.status == 200 and d.update_id > update_id]
        if len(served) >= count:
            break
        await asyncio.sleep(0.05)
    return served


def question(number: int) -> str:
    """The start of the questionnaire's "Question <number> of …" line (however many questions there are)."""
    return en.text("q.progress", number=number, total=99).split("99")[0]


def kinds(tg: FakeTelegram, chats: list[int]) -> tuple[Counter[int], Counter[int]]:
    """(intros, reminders) per chat."""
    reminder = en.like("reminder")
    intros = Counter(m.chat_id for chat in chats for m in tg.messages(chat) if is_intro(m.plain_text))
    reminders = Counter(m.chat_id for chat in chats for m in tg.messages(chat) if reminder.match(m.plain_text))
    return intros, reminders


async def test_a_round_survives_a_replica_killed_mid_delivery(
        tg: FakeTelegram, postgres: tuple[str, async_sessionmaker[AsyncSession]], redis_prefix: str,
        tmp_path: Path) -> None:
    url, sessionmaker = postgres
    seeded = await community_with_members(sessionmaker, 30, created_at=utcnow())  # no catch-up round
    chats = seeded.member_telegram_ids
    admin = Client(tg, UpdateFactory(), TgUser(ADMIN_TELEGRAM_ID, "Olga", username="olga"))
    tg.send_delay = 0.05
    async with replicas(tg, url, tmp_path, redis_prefix, DELIVERY_RATE="10", DELIVERY_LEASE_SECONDS="9",
                        HOUSEKEEPING_SECONDS="1") as running:
        await admin.say("/matchnow", contains=en.text("matchnow.confirm", community="Founders"))
        admin.tap(en.label("matchnow.yes"))
        await tg.wait_for(lambda: sum(kinds(tg, chats)[0].values()) >= 5, timeout=WAIT)
        running[0].process.send_signal(signal.SIGKILL)
        await running[0].process.wait()
        async with sessionmaker() as session:
            in_flight = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                             .where(OutboxMessage.status == OutboxStatus.SENDING)) or 0
        assert sum(kinds(tg, chats)[0].values()) < 30, "the kill came after delivery: the test proves nothing"
        await tg.wait_for(lambda: set(kinds(tg, chats)[0]) == set(chats), timeout=WAIT)

        async with sessionmaker() as session:  # the reminders fall due now: two replicas' housekeeping races
            await session.execute(update(Round).values(reminder_due_at=utcnow() - timedelta(minutes=1)))
            await session.commit()
        await tg.wait_for(lambda: set(kinds(tg, chats)[1]) == set(chats), timeout=WAIT)
        await asyncio.sleep(3.0)  # a second reminder or a late intro would show up now
    intros, reminders = kinds(tg, chats)
    # The Bot API has no idempotency key: only a message in flight at the kill may repeat (README).
    assert sum(intros.values()) - len(chats) <= in_flight, (intros, in_flight)
    assert reminders == Counter(dict.fromkeys(chats, 1))
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Round)) == 1
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status != OutboxStatus.SENT)) == 0


RATE = 20.0


def busiest(times: list[float], window: float) -> int:
    """Most sends in any `window` seconds."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_replicas_share_one_global_rate_and_per_chat_spacing(
        tg: FakeTelegram, postgres: tuple[str, async_sessionmaker[AsyncSession]], redis_prefix: str,
        tmp_path: Path) -> None:
    url, sessionmaker = postgres
    single = list(range(50_000, 50_300))  # 300 chats with one message each
    repeated = list(range(60_000, 60_006))  # 6 chats with 10 messages each
    rows = [outbox_values(chat_id=chat, text=f"Backlog {chat} #{n}", kind="test")
            for n in range(10) for chat in repeated]  # first: their 11 s of spacing overlap the others' sending
    rows += [outbox_values(chat_id=chat, text=f"Backlog {chat}", kind="test") for chat in single]
    async with replicas(tg, url, tmp_path, redis_prefix, DELIVERY_RATE=str(RATE)):
        async with sessionmaker() as session:
            await session.execute(insert(OutboxMessage), rows)  # all due at once: a backlog of 360 messages
            await session.commit()
        await tg.wait_for(lambda: sum(tg.send_counts[c] for c in (*single, *repeated)) >= len(rows),
                          timeout=len(rows) / RATE * 3 + WAIT)
    sends = sorted((c for c in tg.calls_of("sendMessage", ok=True)
                    if int(c.params["chat_id"]) in {*single, *repeated}), key=lambda c: c.at)
    times = [c.at for c in sends]
    rate = (len(times) - 1) / (times[-1] - times[0])
    print(f"{len(times)} messages by 3 replicas in {times[-1] - times[0]:.1f} s: {rate:.2f}/s of {RATE}/s; "
          f"busiest 10 s: {busiest(times, 10.0)}, 1 s: {busiest(times, 1.0)}; 429s: {tg.rate_limited}")
    assert len(times) == len(rows)
    assert 0.90 * RATE <= rate <= 1.05 * RATE
    # Arrival times are taken in this test's busy event loop, so a one-second window is noisy: judge ten.
    assert busiest(times, 10.0) <= 1.05 * RATE * 10
    for chat in repeated:
        at = [c.at for c in sends if int(c.params["chat_id"]) == chat]
        gaps = [b - a for a, b in itertools.pairwise(at)]
        assert min(gaps) >= 0.9, (chat, gaps)
    texts = [c.params["text"] for c in sends if int(c.params["chat_id"]) == repeated[0]]
    assert texts == [f"Backlog {repeated[0]} #{n}" for n in range(10)], "one chat's messages stay in order"
