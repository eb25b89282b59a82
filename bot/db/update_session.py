"""The database session of the update being handled, shared by its handlers and the FSM storage.

One session per update means one pooled connection at most: a crowd can queue for the pool but never
deadlock in it (an update holding a connection while waiting for a second one is how 16 people froze the
bot). The session is known only to the task handling the update, so work that a handler spawns never uses
it by accident.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_current: ContextVar[tuple[asyncio.Task[object] | None, AsyncSession] | None] = ContextVar(
    "update_session", default=None
)


@asynccontextmanager
async def update_session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        token = _current.set((asyncio.current_task(), session))
        try:
            yield session
        finally:
            _current.reset(token)


def current_session() -> AsyncSession | None:
    """The session of the update this task is handling, if any."""
    current = _current.get()
    if current is None or current[0] is not asyncio.current_task():
        return None
    return current[1]


async def release_connection(session: AsyncSession | None = None) -> None:
    """End the open transaction of `session` (by default the current update's) so that no connection is held
    while waiting for Telegram or for a long computation.

    Services commit their own writes; what is left open here is a read (or a write a service has already
    flushed and is about to commit). Objects stay loaded: the sessionmaker does not expire on commit.
    """
    session = session or current_session()
    if session is not None and session.in_transaction() and not session.in_nested_transaction():
        await session.commit()
