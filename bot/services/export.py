"""/export: a community's members, rounds with matches, check-ins and group sessions as CSV files.

Rows are streamed from the database straight into files on disk, so a large community is never held in memory:
on PostgreSQL by COPY (the database writes the CSV rows), on SQLite by a worker thread reading through a
read-only connection of its own, elsewhere in batches (`yield_per`). The files are UTF-8 with a byte-order mark
(spreadsheet programs then read Cyrillic correctly) and one header row; a text cell that a spreadsheet could
take for a formula (it starts with = + - @, a tab or a carriage return) is prefixed with an apostrophe.
"""

from __future__ import annotations

import asyncio
import csv
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import Select, String, case, cast, func, literal, literal_column, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.models import (
    Community,
    Match,
    MatchMember,
    Meetup,
    MeetupGroup,
    MeetupGroupMember,
    MeetupRsvp,
    Membership,
    Round,
    User,
)
from bot.db.update_session import release_connection

BATCH = 5000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
EXPORTS = ("members", "rounds", "checkins", "sessions")
HEADERS: dict[str, tuple[str, ...]] = {
    "members": ("user_id", "name", "username", "status", "paused_until", "banned_at", "joined_at", "profile_finished",
                "interests", "offers", "needs", "format", "city", "timezone", "language", "last_matched_at"),
    "rounds": ("round_id", "period", "round_created_at", "match_id", "people", "member_ids", "member_names",
               "repeat", "shared_interests"),
    "checkins": ("round_id", "round_created_at", "match_id", "user_id", "name", "outcome", "rating",
                 "no_meeting_reason", "comment", "checked_in_at"),
    "sessions": ("session_id", "title", "starts_at", "format", "status", "user_id", "name", "coming", "answered_at",
                 "group_number", "rating"),
}


class Sql:
    """Cells formatted by the database itself: ISO 8601 times in UTC, defused text, yes/no. Python then only
    writes rows (per-value Python work made 500,000 check-in rows take tens of seconds)."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgresql"

    def time(self, column: Any) -> Any:
        if self.postgres:
            return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        return func.strftime("%Y-%m-%dT%H:%M:%SZ", column)

    @staticmethod
    def text(column: Any) -> Any:
        """Text that a spreadsheet would take for a formula gets an apostrophe in front."""
        value = type_coerce(column, String)
        return case((func.substr(value, 1, 1).in_(FORMULA_STARTS), literal("'", String) + value), else_=value)

    def joined(self, column: Any) -> Any:
        """The group's values as "a; b" (the separator is SQL text: COPY takes no bound parameters)."""
        separator: Any = literal_column("'; '")
        return func.string_agg(column, separator) if self.postgres else func.group_concat(column, separator)

    @staticmethod
    def yes_no(condition: Any) -> Any:
        return case((condition, "yes"), else_="no")

    @staticmethod
    def name() -> Any:
        return Sql.text(func.coalesce(User.display_name, User.first_name, ""))

    def tags(self, column: Any) -> Any:
        """A JSON list of tags as "a; b" (tags never contain brackets or quotes)."""
        text: Any = cast(column, String)  # PostgreSQL's json has no replace(); its text has
        for old, new in (("[", ""), ("]", ""), ('"', ""), (", ", "; "), (",", "; ")):
            text = func.replace(text, old, new)
        return self.text(text)


def _members(sql: Sql, community_id: int) -> Select[Any]:
    last = (select(MatchMember.user_id.label("user_id"), func.max(Round.created_at).label("at"))
            .join(Match, Match.id == MatchMember.match_id).join(Round, Round.id == Match.round_id)
            .where(Round.community_id == community_id).group_by(MatchMember.user_id).subquery())
    return (select(User.id, sql.name(), sql.text(User.username), sql.text(Membership.status),
                   sql.time(Membership.paused_until), sql.time(Membership.banned_at), sql.time(Membership.joined_at),
                   sql.yes_no(User.profile_confirmed_at.is_not(None)), sql.tags(User.interests), sql.text(User.offers),
                   sql.text(User.needs), sql.text(User.meeting_format), sql.text(User.city), sql.text(User.timezone),
                   sql.text(User.language), sql.time(last.c.at))
            .join(Membership, Membership.user_id == User.id).outerjoin(last, last.c.user_id == User.id)
            .where(Membership.community_id == community_id).order_by(Membership.joined_at, Membership.id))


def _matches(sql: Sql, community_id: int) -> Select[Any]:
    seats = (select(MatchMember.match_id.label("match_id"), func.count().label("people"),
                    sql.joined(cast(MatchMember.user_id, String)).label("ids"),
                    sql.joined(func.coalesce(User.display_name, User.first_name, "")).label("names"))
             .join(User, User.id == MatchMember.user_id).join(Match, Match.id == MatchMember.match_id)
             .join(Round, Round.id == Match.round_id).where(Round.community_id == community_id)
             .group_by(MatchMember.match_id).subquery())
    return (select(Round.id, sql.text(Round.period), sql.time(Round.created_at), Match.id, seats.c.people,
                   seats.c.ids, sql.text(seats.c.names), sql.yes_no(Match.is_repeat),
                   sql.tags(Match.reasons["shared_interests"]))
            .join(Match, Match.round_id == Round.id).join(seats, seats.c.match_id == Match.id)
            .where(Round.community_id == community_id).order_by(Match.id))


def _checkins(sql: Sql, community_id: int) -> Select[Any]:
    return (select(Round.id, sql.time(Round.created_at), Match.id, MatchMember.user_id, sql.name(),
                   sql.text(MatchMember.outcome), MatchMember.rating, sql.text(MatchMember.no_reason),
                   sql.text(MatchMember.comment), sql.time(MatchMember.checked_in_at))
            .join(Match, Match.round_id == Round.id).join(MatchMember, MatchMember.match_id == Match.id)
            .join(User, User.id == MatchMember.user_id)
            .where(Round.community_id == community_id).order_by(Match.id, MatchMember.user_id))  # ids grow in time


def _sessions(sql: Sql, community_id: int) -> Select[Any]:
    seat = (select(MeetupGroup.meetup_id, MeetupGroup.number, MeetupGroupMember.user_id, MeetupGroupMember.rating)
            .join(MeetupGroupMember, MeetupGroupMember.group_id == MeetupGroup.id).subquery())
    return (select(Meetup.id, sql.text(Meetup.title), sql.time(Meetup.starts_at), sql.text(Meetup.meeting_format),
                   sql.text(Meetup.status), MeetupRsvp.user_id, sql.name(),
                   case((MeetupRsvp.coming.is_(None), "maybe"), else_=sql.yes_no(MeetupRsvp.coming)),
                   sql.time(MeetupRsvp.answered_at), seat.c.number, seat.c.rating)
            .join(MeetupRsvp, MeetupRsvp.meetup_id == Meetup.id).join(User, User.id == MeetupRsvp.user_id)
            .outerjoin(seat, (seat.c.meetup_id == Meetup.id) & (seat.c.user_id == MeetupRsvp.user_id))
            .where(Meetup.community_id == community_id).order_by(Meetup.starts_at, Meetup.id, MeetupRsvp.user_id))


QUERIES: dict[str, Callable[[Sql, int], Select[Any]]] = {
    "members": _members, "rounds": _matches, "checkins": _checkins, "sessions": _sessions,
}


async def write_csv(session: AsyncSession, community: Community, kind: str, path: Path) -> int:
    """Write one export to `path`; the number of data rows. PostgreSQL writes the rows itself (COPY … TO STDOUT
    in CSV, streamed to the file in chunks); elsewhere rows are streamed BATCH at a time through the csv module."""
    connection = await session.connection()  # Core rows: the ORM adds per-row work and nothing needed here
    query = QUERIES[kind](Sql(connection.dialect.name), community.id)
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("\ufeff")  # the byte-order mark by hand: the utf-8-sig codec encodes row by row in Python
        csv.writer(file).writerow(HEADERS[kind])
    if connection.dialect.name == "postgresql":
        return await _copy(connection, query, path)
    database = connection.engine.url.database
    if connection.dialect.name == "sqlite" and database and database != ":memory:":
        sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        return await asyncio.to_thread(_sqlite_rows, database, sql, path)
    result = await connection.stream(query.execution_options(yield_per=BATCH))
    written = 0
    with path.open("a", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        async for batch in result.partitions():
            writer.writerows(batch)  # None is written as an empty cell
            written += len(batch)
    return written


def _sqlite_rows(database: str, sql: str, path: Path) -> int:
    """The rows of `sql` appended to `path`, read through a read-only connection of this worker thread's own:
    no row passes through the event loop or the ORM (that cost more than the query), BATCH rows in memory."""
    written = 0
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db, \
            path.open("a", encoding="utf-8", newline="") as file:
        writer, cursor = csv.writer(file), db.execute(sql)
        while rows := cursor.fetchmany(BATCH):
            writer.writerows(rows)  # None is written as an empty cell
            written += len(rows)
    return written


async def _copy(connection: AsyncConnection, query: Select[Any], path: Path) -> int:
    """The rows of `query` appended to `path` by PostgreSQL's COPY in CSV (NULL as an empty cell). The query's
    values are only the community's id and constants of this module, rendered inline."""
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    with path.open("ab") as file:
        status = await driver.copy_from_query(sql, output=file, format="csv")
    return int(status.split()[-1])  # "COPY 1234"


async def export_all(session: AsyncSession, community: Community, folder: Path) -> list[tuple[str, Path]]:
    """Every export of the community as files in `folder`; the update's connection is given back afterwards
    (the files are then sent to Telegram without holding it)."""
    files = []
    for kind in EXPORTS:
        path = folder / f"community-{community.id}-{kind}.csv"
        await write_csv(session, community, kind, path)
        files.append((kind, path))
    await release_connection(session)
    return files
