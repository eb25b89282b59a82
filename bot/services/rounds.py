"""Rounds: load the community, run `matching`, persist matches and their intro messages in one transaction."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot import notifications
from bot.db.base import Base, utcnow
from bot.db.models import (
    Block,
    Community,
    Match,
    MatchMember,
    Membership,
    MembershipStatus,
    OutboxMessage,
    Round,
    RoundLeftOut,
    User,
)
from bot.db.update_session import release_connection
from bot.domain.rounds import RoundShape
from bot.domain.schedule import Schedule, period_key
from bot.domain.topics import meeting_languages
from bot.logs import log_context
from bot.outbox import mark_written, queue
from bot.services.admins import admins_of
from bot.services.apart import apart
from bot.services.history import community_history
from matching import Instance, Member, match_round
from matching import Match as EngineMatch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundSummary:
    """What a round really did: its matches' sizes, who was left out, and so how many people got an intro
    queued (the outbox sends them; what Telegram refuses for good is reported to the admins later)."""

    round_id: int
    shape: RoundShape


async def eligible_members(session: AsyncSession, community: Community, now: datetime) -> list[User]:
    """Confirmed profiles, active (a timed pause that has ended counts as active again), not left."""
    rows = await session.execute(  # one query: the members' rows with their users (not a second IN of 10,000)
        select(Membership).options(joinedload(Membership.user, innerjoin=True))
        .where(Membership.community_id == community.id, Membership.status != MembershipStatus.LEFT)
    )
    eligible = []
    for membership in rows.scalars():
        paused_until = membership.paused_until
        if membership.status is MembershipStatus.PAUSED and (paused_until is None or paused_until > now):
            continue
        if membership.status is MembershipStatus.PAUSED:
            membership.status, membership.paused_until = MembershipStatus.ACTIVE, None
        person = membership.user
        if person.has_confirmed_profile and person.telegram_id is not None:
            eligible.append(person)
    return sorted(eligible, key=lambda user: user.id)


def engine_member(user: User) -> Member:
    """A member as the engine sees them (rounds, meetups, previews, replacements): languages they meet in (their
    interface language when they have listed none), help topic ids both ways, free text, format, city, offset."""
    return Member(
        id=user.id, interests=tuple(user.interests or ()), offers=user.offers or "", needs=user.needs or "",
        format=user.meeting_format.value if user.meeting_format else "any", city=user.city,
        utc_offset=current_offset(user), languages=meeting_languages(user.languages, user.language),
        offer_topics=tuple(user.offer_topics or ()), need_topics=tuple(user.need_topics or ()),
    )


def current_offset(user: User) -> int | None:
    """Minutes east of UTC today (summer time included) from the member's zone; the stored offset otherwise."""
    try:
        offset = ZoneInfo(user.timezone).utcoffset(utcnow()) if user.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        offset = None
    return int(offset.total_seconds() // 60) if offset is not None else user.utc_offset


async def blocked_pairs(session: AsyncSession, user_ids: list[int]) -> list[tuple[int, int]]:
    rows = await session.execute(
        select(Block.user_id, Block.blocked_user_id)
        .where(Block.user_id.in_(user_ids), Block.blocked_user_id.in_(user_ids))
    )
    return [(a, b) for a, b in rows.all()]


def first_writer(match: EngineMatch) -> int:
    """The person who asked for something the partner offers writes first; otherwise the lowest id."""
    receivers = sorted({help_.receiver for help_ in match.reasons.helps}
                       | {topic.receiver for topic in match.reasons.topic_helps})
    return receivers[0] if receivers else min(match.members)


def seed_for(community: Community, period: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{community.id}:{period}".encode()).digest()[:4], "big")


async def create_round(session: AsyncSession, community: Community, period: str, now: datetime, *,
                       tell_admins: bool = False) -> RoundSummary | None:
    """Match the community for `period`. None when that period already has a round (any process).

    The whole round (loading, the engine, rendering, writing) runs `apart`, in a worker process of its own, so
    a 10,000-member round does not keep the bot from answering anyone else meanwhile; the caller's open
    transaction is committed first.
    """
    summary: RoundSummary | None = await apart(session, _round_apart, community.id, period, now, tell_admins)
    return summary


async def _round_apart(session: AsyncSession, community_id: int, period: str, now: datetime,
                       tell_admins: bool) -> RoundSummary | None:
    """In the worker process: `_create_round` for the community of that id, its log records carrying the id."""
    with log_context(community_id=community_id):
        found = await session.get(Community, community_id)
        return None if found is None else await _create_round(session, found, period, now, tell_admins=tell_admins)


async def _create_round(session: AsyncSession, community: Community, period: str, now: datetime, *,
                        tell_admins: bool) -> RoundSummary | None:
    """`create_round` in its own session.

    `tell_admins` (a scheduled round: nobody is there to read a reply) queues the round's summary to each of the
    community's admins in the round's own transaction: a period has one round, so they hear of it exactly once
    however many replicas run the job at the same moment (the others' inserts fail and roll their copies back).

    The engine runs in a thread with no connection held, everything is rendered before the first write, and
    the round is written in a handful of bulk inserts: on SQLite the write lock of a 2,000-member round lasts
    under a second instead of seven, so newcomers answering the questionnaire meanwhile are not kept waiting.
    """
    if await session.scalar(select(Round.id).where(Round.community_id == community.id, Round.period == period)):
        return None
    watch = Stopwatch()
    people = await eligible_members(session, community, now)
    admins = [admin for admin in await admins_of(session, community) if admin.telegram_id] if tell_admins else []
    by_id = {user.id: user for user in people}
    past = await community_history(session, community.id)
    instance = Instance(
        members=tuple(engine_member(user) for user in people), history=past.meetings,
        blocked=tuple(await blocked_pairs(session, list(by_id))), round=past.next_round,
    )
    await release_connection(session)  # the engine can take a while: no connection held meanwhile
    watch.lap("load")
    result = await asyncio.to_thread(match_round, instance, community.round_group_size, seed_for(community, period))
    watch.lap("engine")
    schedule = Schedule.of(community)
    checkin_due = now + timedelta(days=max(1, schedule.period_days - 1))
    reminder_due = now + timedelta(days=community.reminder_days)
    new_round: dict[str, Any] = dict(
        community_id=community.id, period=period, created_at=now, checkin_due_at=checkin_due,
        reminder_due_at=reminder_due if reminder_due < checkin_due else None,
    )
    planned = [plan_match(community, engine_match, by_id) for engine_match in result.matches]
    left_out = [(by_id[left.id], left.reason) for left in result.unmatched]
    shape = RoundShape.of((len(match.members) for match in result.matches), community.round_group_size,
                          len(result.unmatched))
    summaries = [notifications.round_summary(admin, community, shape) for admin in admins]
    watch.lap("intros")
    try:
        round_id = await write_round(session, new_round, planned, left_out, community, summaries)
    except IntegrityError:  # another process created this period's round first (between the check and here)
        await session.rollback()
        return None
    watch.lap("write")
    log.info("round %s of community %s: %s matches of %s members (%s)", period, community.id, len(result.matches),
             len(people), watch)
    return RoundSummary(round_id, shape)


class Stopwatch:
    """Seconds per stage, for the log line of a round."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.laps)


@dataclass(frozen=True)
class PlannedMatch:
    """A match ready to write: its columns, its members, and each member's rendered intro (one or more
    messages, in order)."""

    values: dict[str, Any]
    intros: list[tuple[User, list[dict[str, Any]]]]


def plan_match(community: Community, engine_match: EngineMatch, by_id: dict[int, User]) -> PlannedMatch:
    """Each member's own intro: their partners, what they share with each, and who writes first (in a trio
    or group: who creates the group chat)."""
    writer = first_writer(engine_match)
    reasons = engine_match.reasons
    people = [by_id[member_id] for member_id in engine_match.members]
    intros = [(person, notifications.intro(community, person, [other for other in people if other is not person],
                                           reasons, writer, engine_match.repeat)) for person in people]
    stored = {"reasons": plain(reasons), "is_repeat": engine_match.repeat, "first_writer_id": writer}
    return PlannedMatch(stored, intros)


def plain(value: Any) -> Any:
    """`dataclasses.asdict` for the reasons (dataclasses, tuples, strings, numbers), as JSON stores it, at a
    fifth of the cost (asdict deep-copies every value: a second of a 10,000-member round)."""
    if is_dataclass(value):
        return {field.name: plain(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return value


def table_of(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


async def write_round(session: AsyncSession, new_round: dict[str, Any], planned: list[PlannedMatch],
                      left_out: list[tuple[User, str]], community: Community,
                      summaries: list[dict[str, Any]] | None = None) -> int:
    """Insert the round, its matches, members, left-out members and all their messages (and the admins'
    `summaries` when given), then commit.

    Core bulk inserts: the ORM needs seconds for a 2,000-member round, and on SQLite that is how long every
    other writer would wait."""
    round_id: int = (await session.execute(insert(Round).values(new_round).returning(Round.id))).scalar_one()
    match_ids: list[int] = []
    if planned:
        await session.execute(insert(table_of(Match)), [{**plan.values, "round_id": round_id} for plan in planned])
        # Each member is in one match per round, so the first writer names the match (no per-row RETURNING).
        by_writer = dict((await session.execute(
            select(Match.first_writer_id, Match.id).where(Match.round_id == round_id))).tuples().all())
        match_ids = [by_writer[plan.values["first_writer_id"]] for plan in planned]
    members = [{"match_id": match_id, "user_id": person.id}
               for match_id, plan in zip(match_ids, planned, strict=True) for person, _ in plan.intros]
    messages = [message for match_id, plan in zip(match_ids, planned, strict=True) for person, intro in plan.intros
                for message in notifications.with_intro_buttons(person, intro, match_id)]
    messages += [notifications.left_out(person, community, reason) for person, reason in left_out]
    messages += summaries or []
    for table, rows in ((MatchMember, members), (OutboxMessage, messages), (RoundLeftOut, [
        {"round_id": round_id, "user_id": person.id, "reason": reason} for person, reason in left_out
    ])):
        if rows:  # Core (the table, not the mapped class): no per-row ORM bookkeeping for 10,000 rows
            await session.execute(insert(table_of(table)), rows)
    mark_written(session)
    await session.commit()
    return round_id


async def add_match(
    session: AsyncSession, in_round: Round, community: Community, engine_match: EngineMatch, by_id: dict[int, User]
) -> Match:
    """Persist one match into an existing round and queue its intros (a replacement partner)."""
    plan = plan_match(community, engine_match, by_id)
    match = Match(round_id=in_round.id, **plan.values)
    session.add(match)
    await session.flush()
    session.add_all([MatchMember(match_id=match.id, user_id=person.id) for person, _ in plan.intros])
    await queue(session, *(message for person, intro in plan.intros
                           for message in notifications.with_intro_buttons(person, intro, match.id)))
    return match


async def run_due_round(session: AsyncSession, community: Community, now: datetime) -> RoundSummary | None:
    """The scheduled round for the latest period, if it has not run (and the community is not archived); a
    missed period runs once, late. Its admins are sent what it did."""
    moment = Schedule.of(community).latest(now)
    if moment < community.created_at or community.archived_at is not None:  # archived: no rounds
        return None
    return await create_round(session, community, period_key(moment), now, tell_admins=True)


async def latest_round(session: AsyncSession, community: Community) -> Round | None:
    found: Round | None = await session.scalar(
        select(Round).where(Round.community_id == community.id).order_by(Round.created_at.desc(), Round.id.desc())
        .limit(1)
    )
    return found
