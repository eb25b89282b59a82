"""One replica at a time for a background pass that is safe but wasteful to run twice (each run would send the
same Telegram calls): a PostgreSQL session advisory lock, tried and never waited for. SQLite means one process,
which always goes ahead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

MENU_SYNC = 0x636F66666501  # "coffee" and a number per pass


@asynccontextmanager
async def alone(engine: AsyncEngine, key: int) -> AsyncIterator[bool]:
    """Whether this process holds `key` for the block; False at once when another replica holds it."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    async with engine.connect() as connection:
        held = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        await connection.commit()  # a session lock outlives the transaction; do not sit idle inside one
        try:
            yield held
        finally:
            if held:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()
