"""`services.apart`: long database work runs in a thread and event loop of its own, commits through its own
connection, wakes the bot's outbox worker on the bot's loop, and leaves the bot's loop free meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxMessage
from bot.outbox.store import outbox_values, queue, wake_on_commit
from bot.services.apart import apart


async def test_work_apart_commits_and_wakes_the_outbox_on_the_bots_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    woken: list[int] = []
    woke = asyncio.Event()

    def wake() -> None:
        woken.append(threading.get_ident())
        woke.set()

    wake_on_commit(sessionmaker, wake)
    threads: list[int] = []

    async def work(session: AsyncSession) -> int:
        threads.append(threading.get_ident())
        await queue(session, outbox_values(chat_id=7, text="hello", kind="intro"))
        await session.commit()
        return 42

    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # a transaction is open
        assert await apart(session, work) == 42
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    await asyncio.wait_for(woke.wait(), 10)
    assert threads and threads[0] != threading.get_ident()
    assert woken == [threading.get_ident()]  # called on the bot's loop, not the worker's


async def test_the_bots_loop_runs_while_the_work_computes_without_awaiting(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    loop_ran = threading.Event()

    async def work(session: AsyncSession) -> bool:
        give_up = time.monotonic() + 30
        while not loop_ran.is_set() and time.monotonic() < give_up:  # computing: never yields to its own loop
            pass
        return loop_ran.is_set()

    async def on_the_bots_loop() -> None:
        await asyncio.sleep(0.01)
        loop_ran.set()

    async with sessionmaker() as session:
        ticker = asyncio.create_task(on_the_bots_loop())
        assert await apart(session, work)  # the bot's loop ran while the work was computing
        await ticker
