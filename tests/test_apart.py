"""`services.apart`: long database work runs in a worker process with an event loop of its own, commits through
its own connection, wakes the bot's outbox worker on the bot's loop, hands its log records to the bot's loggers,
and leaves the bot's loop (and interpreter) free meanwhile."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxMessage
from bot.outbox.store import outbox_values, queue, wake_on_commit
from bot.services.apart import apart

# The work functions are module-level: the worker process imports them by name.


async def queue_hello(session: AsyncSession, chat_id: int) -> tuple[int, int]:
    await queue(session, outbox_values(chat_id=chat_id, text="hello", kind="intro"))
    await session.commit()
    return os.getpid(), 42


async def read_only(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def seen(flag: str) -> bool:
    return Path(flag).exists()


async def spin_until(session: AsyncSession, flag: str) -> bool:
    give_up = time.monotonic() + 30
    while not seen(flag) and time.monotonic() < give_up:  # computing: never yields to its own loop
        pass
    return seen(flag)


async def log_and_fail(session: AsyncSession, message: str) -> None:
    logging.getLogger("bot.services.rounds").warning("from the worker: %s", message)
    raise ValueError(message)


async def test_work_apart_commits_and_wakes_the_outbox_on_the_bots_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    woken: list[int] = []
    woke = asyncio.Event()

    def wake() -> None:
        woken.append(threading.get_ident())
        woke.set()

    wake_on_commit(sessionmaker, wake)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # a transaction is open
        pid, answer = await apart(session, queue_hello, 7)
        assert answer == 42 and pid != os.getpid()  # another process did it
        queued = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.chat_id == 7)
        assert await session.scalar(queued) == 1
    await asyncio.wait_for(woke.wait(), 10)
    assert woken == [threading.get_ident()]  # called on the bot's loop, not in the worker


async def test_work_that_writes_nothing_wakes_nobody(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    woken: list[bool] = []
    wake_on_commit(sessionmaker, lambda: woken.append(True))
    async with sessionmaker() as session:
        assert await apart(session, read_only) == 0
    await asyncio.sleep(0)
    assert woken == []


async def test_the_bots_loop_runs_while_the_work_computes_without_awaiting(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path,
) -> None:
    flag = tmp_path / "the bot's loop ran"

    async def on_the_bots_loop() -> None:
        await asyncio.sleep(0.01)
        flag.touch()

    async with sessionmaker() as session:
        ticker = asyncio.create_task(on_the_bots_loop())
        assert await apart(session, spin_until, str(flag))  # the bot's loop ran while the work was computing
        await ticker


async def test_the_works_error_reaches_the_caller_and_its_log_the_bots_loggers(
    sessionmaker: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture,
) -> None:
    async with sessionmaker() as session:
        with pytest.raises(ValueError, match="no such community"):
            await apart(session, log_and_fail, "no such community")
        assert await apart(session, read_only) == 0  # the worker goes on serving
    give_up = time.monotonic() + 10
    while not any("from the worker: no such community" in record.getMessage() for record in caplog.records):
        assert time.monotonic() < give_up, caplog.records
        await asyncio.sleep(0.05)
    record = next(record for record in caplog.records if "from the worker" in record.getMessage())
    assert record.name == "bot.services.rounds" and record.levelno == logging.WARNING
