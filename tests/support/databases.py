"""Real test databases: a PostgreSQL database of this run's own and a migrated SQLite file per test.

TEST_DATABASE_URL names a PostgreSQL server and a database there to connect to for CREATE/DROP DATABASE.
Each test run creates a uniquely named database on that server and drops only that one at the end, so two
runs on one machine never touch each other's data, nor any database they did not create."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.base import Base
from bot.db.engine import create_engine
from bot.db.migrate import upgrade_to_head

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


class MigratedTemplates:
    """Migrates each backend once per test session; every test then starts from an empty copy."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._sqlite_template: Path | None = None
        self._postgres_url: str | None = None

    async def sqlite(self, destination: Path) -> str:
        if self._sqlite_template is None:
            template = self.workdir / "template.db"
            await asyncio.to_thread(upgrade_to_head, sqlite_url(template))
            self._sqlite_template = template
        shutil.copyfile(self._sqlite_template, destination)
        return sqlite_url(destination)

    async def postgres(self) -> str:
        if self._postgres_url is None:
            name = f"coffee_test_{os.getpid()}_{secrets.token_hex(4)}"
            await _on_server(f'CREATE DATABASE "{name}"')
            self._postgres_url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
            await asyncio.to_thread(upgrade_to_head, self._postgres_url)
        return self._postgres_url

    async def drop_postgres(self) -> None:
        """Drops the database this run created (and only that one)."""
        if self._postgres_url is not None:
            name = make_url(self._postgres_url).database
            self._postgres_url = None
            await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _on_server(statement: str) -> None:
    engine = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def empty_all_tables(engine: AsyncEngine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
