"""Migrations: the stairway (upgrade → downgrade → upgrade), no drift between models and migrations, and data kept
through the migrations that move it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.base import Base, utcnow
from bot.db.migrate import alembic_config
from bot.db.models import MeetingFormat, Meetup
from tests.support.databases import is_postgres
from tests.support.factories import community_with_members


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


RENAME_REVISION = "5dfdaa92ceb1"  # group sessions → meetups


async def _rows(engine: AsyncEngine, query: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.exec_driver_sql(query)]


async def test_meetups_keep_their_rows_through_the_rename(engine: AsyncEngine, database_url: str,
                                                           sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    config = alembic_config(database_url)
    before = ScriptDirectory.from_config(config).get_revision(RENAME_REVISION).down_revision
    await asyncio.to_thread(command.downgrade, config, str(before))
    people = [row[0] for row in await _rows(engine, "SELECT id FROM users ORDER BY id")]
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO sessions (id, community_id, title, starts_at, rsvp_deadline, group_size, meeting_format,"
            f" by_interest, status, created_at) VALUES (7, {seeded.id}, 'Old meetup', '2026-12-10 18:00:00',"
            " '2026-12-09 18:00:00', 30, 'online', false, 'formed', '2026-12-01 18:00:00')")
        await connection.exec_driver_sql("INSERT INTO session_groups (id, session_id, number) VALUES (3, 7, 1)")
        await connection.exec_driver_sql(
            f"INSERT INTO session_rsvps (session_id, user_id, coming, answered_at)"
            f" VALUES (7, {people[1]}, true, '2026-12-02 18:00:00')")
        await connection.exec_driver_sql(
            f"INSERT INTO session_group_members (group_id, user_id, rating) VALUES (3, {people[1]}, 5)")
        await connection.exec_driver_sql(
            f"INSERT INTO session_connections (group_id, user_id, other_user_id) VALUES (3, {people[1]}, {people[2]})")
        await connection.exec_driver_sql(
            "INSERT INTO fsm_states (key, telegram_user_id, state, data) VALUES ('k', 1, 'SessionWizard:title', '{}')")
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await _rows(engine, "SELECT id, title, status FROM meetups") == [(7, "Old meetup", "formed")]
    assert await _rows(engine, "SELECT meetup_id, number FROM meetup_groups") == [(7, 1)]
    assert await _rows(engine, "SELECT meetup_id, user_id FROM meetup_rsvps") == [(7, people[1])]
    assert await _rows(engine, "SELECT group_id, user_id, rating FROM meetup_group_members") == [(3, people[1], 5)]
    assert await _rows(engine, "SELECT other_user_id FROM meetup_connections") == [(people[2],)]
    assert await _rows(engine, "SELECT state FROM fsm_states") == [("MeetupWizard:title",)]
    async with sessionmaker() as session:  # new ids continue after the copied ones
        session.add(Meetup(community_id=seeded.id, title="New", starts_at=utcnow(), rsvp_deadline=utcnow(),
                           meeting_format=MeetingFormat.ONLINE))
        await session.commit()
    assert [row[0] for row in await _rows(engine, "SELECT id FROM meetups ORDER BY id")] == [7, 8]


CHECKIN_ANSWERS_REVISION = "b16d53f5cfcd"  # one check-in answer per (match, reader, partner)


async def test_the_migration_keeps_earlier_answers_for_each_partner(
    engine: AsyncEngine, database_url: str, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    config = alembic_config(database_url)
    before = ScriptDirectory.from_config(config).get_revision(CHECKIN_ANSWERS_REVISION).down_revision
    await asyncio.to_thread(command.downgrade, config, str(before))
    people = [row[0] for row in await _rows(engine, "SELECT id FROM users WHERE telegram_id >= 1000 ORDER BY id")]
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            f"INSERT INTO rounds (id, community_id, period, created_at, checkin_due_at) VALUES (5, {seeded.id}, 'w1',"
            " '2026-11-01 10:00:00', '2026-11-07 10:00:00')")
        await connection.exec_driver_sql(
            "INSERT INTO matches (id, round_id, reasons, is_repeat) VALUES (9, 5, '{}', false)")
        for person_id, outcome in zip(people, ("'met'", "'not_met'", "NULL"), strict=True):
            await connection.exec_driver_sql(
                "INSERT INTO match_members (match_id, user_id, outcome, checked_in_at) VALUES"
                f" (9, {person_id}, {outcome}, '2026-11-06 10:00:00')")
    await asyncio.to_thread(command.upgrade, config, "head")
    first, second, third = people
    assert sorted(await _rows(engine, "SELECT user_id, partner_id, outcome FROM checkin_answers")) == sorted([
        (first, second, "met"), (first, third, "met"), (second, first, "not_met"), (second, third, "not_met")])
