"""Real test databases: PostgreSQL (TEST_DATABASE_URL) and a migrated SQLite file per test."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.base import Base
from bot.db.engine import create_engine
from bot.db.migrate import upgrade_to_head

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


class MigratedTemplates:
    """Migrates each backend once per test session; every test then starts from an empty copy."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._sqlite_template: Path | None = None
        self._postgres_ready = False

    async def sqlite(self, destination: Path) -> str:
        if self._sqlite_template is None:
            template = self.workdir / "template.db"
            await asyncio.to_thread(upgrade_to_head, sqlite_url(template))
            self._sqlite_template = template
        shutil.copyfile(self._sqlite_template, destination)
        return sqlite_url(destination)

    async def postgres(self) -> str:
        if not self._postgres_ready:
            await reset_schema(POSTGRES_URL)
            await asyncio.to_thread(upgrade_to_head, POSTGRES_URL)
            self._postgres_ready = True
        return POSTGRES_URL


async def reset_schema(url: str) -> None:
    """The test database starts each session empty, whatever an earlier run left in it."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def empty_all_tables(engine: AsyncEngine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
