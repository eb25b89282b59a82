"""Long polling (bot/polling.py): an update that cannot be read is skipped instead of stalling polling, and an
update is confirmed to Telegram only once it (and every update before it) has been handled, so nothing in flight
is lost when the process dies."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Message

from bot.metrics import UPDATES
from bot.polling import Poller
from tests.support.catalogue import en
from tests.support.databases import MigratedTemplates
from tests.support.fake_telegram import FakeTelegram
from tests.support.process import bot_process, output_of
from tests.support.updates import TgUser, UpdateFactory

USER = TgUser(11, "Nina")
BROKEN = {"message": {"message_id": "not a number", "date": "yesterday", "chat": {"id": 11}}}


class Recorder:
    """A dispatcher whose one handler records each text; texts starting with "slow" wait for `release`."""

    def __init__(self) -> None:
        self.handled: Counter[str] = Counter()
        self.release = asyncio.Event()
        self.dispatcher = Dispatcher()
        self.dispatcher.message.register(self.on_message)

    async def on_message(self, message: Message) -> None:
        if (message.text or "").startswith("slow"):
            await self.release.wait()
        self.handled[message.text or ""] += 1


@asynccontextmanager
async def polling(tg: FakeTelegram, recorder: Recorder, **options: float) -> AsyncIterator[asyncio.Event]:
    bot: Bot = tg.make_bot()
    stop = asyncio.Event()
    options = {"drain_seconds": 2.0, **options}
    poller = Poller(recorder.dispatcher, bot, ["message"], timeout=1, **options)  # type: ignore[arg-type]
    task = asyncio.create_task(poller.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        recorder.release.set()
        await bot.session.close()


@pytest.fixture
async def sqlite_database(templates: MigratedTemplates, tmp_path: Path) -> str:
    """Polling does not depend on the database: the process tests run on SQLite only."""
    return await templates.sqlite(tmp_path / "coffee.db")


def offsets(tg: FakeTelegram) -> list[int]:
    return [int(call.params.get("offset") or 0) for call in tg.calls_of("getUpdates")]


async def test_an_update_that_cannot_be_read_is_skipped(tg: FakeTelegram, updates: UpdateFactory) -> None:
    recorder = Recorder()
    unparsed = UPDATES.labels(type="unknown", outcome="unparsed")
    before = unparsed._value.get()
    first = tg.push_update(updates.message(USER, "before"))
    broken = tg.push_update({**BROKEN, "update_id": updates.next_update_id()})
    last = tg.push_update(updates.message(USER, "after"))
    assert first < broken < last
    async with polling(tg, recorder):
        await tg.wait_for(lambda: recorder.handled["after"] == 1)
        await tg.wait_for(lambda: tg.update_confirmed(last))
    assert recorder.handled == Counter({"before": 1, "after": 1})
    assert tg.update_confirmed(broken) and tg.pending_updates == []
    assert unparsed._value.get() == before + 1


async def test_an_update_in_flight_is_not_confirmed_and_does_not_hold_up_the_others(
    tg: FakeTelegram, updates: UpdateFactory
) -> None:
    recorder = Recorder()
    slow = tg.push_update(updates.message(USER, "slow"))
    tg.push_update(updates.message(USER, "quick 1"))
    tg.push_update(updates.message(USER, "quick 2"))
    async with polling(tg, recorder, busy_poll_interval=0.05):
        await tg.wait_for(lambda: recorder.handled["quick 2"] == 1)
        late = tg.push_update(updates.message(USER, "quick 3"))
        await tg.wait_for(lambda: recorder.handled["quick 3"] == 1, timeout=3)
        await asyncio.sleep(0.3)  # several more getUpdates return the same unconfirmed updates
        assert not tg.update_confirmed(slow)
        assert max(offsets(tg)) <= slow
        assert recorder.handled == Counter({"quick 1": 1, "quick 2": 1, "quick 3": 1}), "nothing handled twice"

        recorder.release.set()
        await tg.wait_for(lambda: tg.update_confirmed(late))
    assert recorder.handled == Counter({"slow": 1, "quick 1": 1, "quick 2": 1, "quick 3": 1})


async def test_stop_finishes_updates_in_flight_and_confirms_them(tg: FakeTelegram, updates: UpdateFactory) -> None:
    recorder = Recorder()
    update_id = tg.push_update(updates.message(USER, "slow"))
    async with polling(tg, recorder) as stop:
        await tg.wait_for(lambda: tg.calls_of("getUpdates"))
        await asyncio.sleep(0.1)
        stop.set()
        await asyncio.sleep(0.1)
        recorder.release.set()
    assert recorder.handled["slow"] == 1 and tg.update_confirmed(update_id)


async def test_an_update_still_in_flight_after_the_drain_time_is_left_for_the_next_process(
    tg: FakeTelegram, updates: UpdateFactory
) -> None:
    recorder = Recorder()
    stuck = tg.push_update(updates.message(USER, "slow"))
    quick = tg.push_update(updates.message(USER, "quick"))
    async with polling(tg, recorder, drain_seconds=0.2) as stop:
        await tg.wait_for(lambda: recorder.handled["quick"] == 1)
        stop.set()  # leaving the block waits for the poller to end
    assert recorder.handled["slow"] == 0
    assert not tg.update_confirmed(stuck) and [u["update_id"] for u in tg.pending_updates] == [stuck, quick]


@pytest.mark.e2e
async def test_bot_process_skips_an_unreadable_update(
    tg: FakeTelegram, sqlite_database: str, tmp_path: Path, updates: UpdateFactory
) -> None:
    broken = tg.push_update({**BROKEN, "update_id": updates.next_update_id()})
    mark = tg.mark()
    tg.push_update(updates.message(USER, "/help"))
    async with bot_process(tg, sqlite_database, tmp_path) as process:
        await tg.wait_for_message(USER.id, contains=en.text("help").splitlines()[0], after=mark, timeout=60)
        await tg.wait_for(lambda: tg.update_confirmed(broken), timeout=10)
        assert f"update {broken} cannot be read and is skipped" in output_of(process)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


@pytest.mark.e2e
async def test_an_update_in_flight_at_kill_9_is_handled_after_the_restart(
    tg: FakeTelegram, sqlite_database: str, tmp_path: Path, updates: UpdateFactory
) -> None:
    async with bot_process(tg, sqlite_database, tmp_path):
        await tg.wait_for_call("setMyCommands", timeout=60)
        tg.send_delay = 30.0  # the reply hangs: the update is in flight
        mark = tg.mark()
        update_id = tg.push_update(updates.message(USER, "/help"))
        await tg.wait_for_call("sendMessage", lambda call: call.chat_id == USER.id, after=mark, timeout=20)
    # bot_process killed it (SIGKILL) on leaving the block, with the reply still unanswered
    assert not tg.update_confirmed(update_id)
    tg.send_delay = 0.0
    restart = tg.mark()
    async with bot_process(tg, sqlite_database, tmp_path) as process:
        await tg.wait_for_call("sendMessage", lambda call: call.chat_id == USER.id and "Member commands" in str(
            call.params.get("text")), after=restart, timeout=60)
        await tg.wait_for(lambda: tg.update_confirmed(update_id), timeout=10)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
