"""Migrations: the stairway (upgrade → downgrade → upgrade) and no drift between models and migrations."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.base import Base
from bot.db.migrate import alembic_config
from tests.support.databases import is_postgres


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_latest_migration_agree(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_stairway_on_postgresql(engine: AsyncEngine, database_url: str) -> None:
    if not is_postgres(database_url):
        pytest.skip("the stairway runs on PostgreSQL; every SQLite test starts from upgraded migrations")
    config = alembic_config(database_url)
    revisions = list(ScriptDirectory.from_config(config).walk_revisions("base", "heads"))
    await asyncio.to_thread(command.downgrade, config, "base")
    for revision in reversed(revisions):
        await asyncio.to_thread(command.upgrade, config, revision.revision)
        await asyncio.to_thread(command.downgrade, config, revision.down_revision or "base")
        await asyncio.to_thread(command.upgrade, config, revision.revision)
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await _tables(engine) == {"alembic_version"}
    await asyncio.to_thread(command.upgrade, config, "head")
    assert {table.name for table in Base.metadata.sorted_tables} <= await _tables(engine)
