"""Long database work kept off the bot's event loop: a round of 10,000 members loads tens of thousands of rows,
runs the engine, renders every intro and builds the bulk inserts, and each of those steps is seconds of Python
that would hold up every other update if it ran on the loop between two awaits.

`apart` runs such work in a worker thread with an event loop, an engine (one connection, no pool) and a session
of its own; the bot's loop only waits for the result, and other people's updates are answered meanwhile (the two
threads share the CPU through the interpreter's switch interval). Outbox rows the work commits wake the bot's
outbox worker as usual: the wake-up is handed back to the bot's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.pool import NullPool

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.update_session import release_connection
from bot.outbox.store import wake_of, wake_on_commit

T = TypeVar("T")


async def apart(session: AsyncSession, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work(session)` with a session of its own, in a thread of its own; the caller's open transaction is ended
    first, so that no connection of the bot's pool is held while it runs. `work` must load what it needs by id
    (objects of the caller's session belong to the caller's loop)."""
    bind = session.bind
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    assert isinstance(engine, AsyncEngine)
    url = engine.url.render_as_string(hide_password=False)
    wake = wake_of(session)
    loop = asyncio.get_running_loop()
    await release_connection(session)

    async def own_loop() -> T:
        own = create_engine(url, poolclass=NullPool)
        try:
            sessionmaker = create_sessionmaker(own)
            if wake is not None:
                wake_on_commit(sessionmaker, lambda: _call_soon(loop, wake))
            async with sessionmaker() as own_session:
                return await work(own_session)
        finally:
            await own.dispose()

    return await asyncio.to_thread(asyncio.run, own_loop())


def _call_soon(loop: asyncio.AbstractEventLoop, wake: Callable[[], None]) -> None:
    loop.call_soon_threadsafe(wake)
