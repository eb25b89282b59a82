"""Two replicas running housekeeping at the same moment: every reminder, check-in, follow-up and meetup
roster is queued exactly once (services.claims)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import (
    Community,
    MatchMember,
    MeetingFormat,
    Meetup,
    MeetupRsvp,
    OutboxMessage,
    Round,
    User,
)
from bot.jobs import Jobs
from bot.services import rounds
from tests.support.factories import community_with_members

REPLICAS = 3


async def kinds_per_person(sessionmaker: async_sessionmaker[AsyncSession]) -> Counter[tuple[str, int | None]]:
    async with sessionmaker() as session:
        rows = await session.execute(select(OutboxMessage.kind, OutboxMessage.user_id))
        return Counter(rows.tuples().all())


async def test_housekeeping_on_several_replicas_sends_everything_once(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    seeded = await community_with_members(sessionmaker, 6)
    now = utcnow()
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        assert await rounds.create_round(session, community, "w1", now - timedelta(days=8)) is not None
    async with sessionmaker() as session:
        await session.execute(update(Round).values(reminder_due_at=now - timedelta(minutes=1),
                                                   checkin_due_at=now - timedelta(minutes=1)))
        await session.execute(update(MatchMember).values(follow_up_at=now - timedelta(minutes=1)))
        meetup = Meetup(community_id=seeded.id, title="Meetup", starts_at=now + timedelta(days=1),
                        rsvp_deadline=now - timedelta(minutes=1), meeting_format=MeetingFormat.ONLINE)
        session.add(meetup)
        await session.flush()
        people = list(await session.scalars(select(User.id).where(User.telegram_id.in_(seeded.member_telegram_ids))))
        session.add_all(MeetupRsvp(meetup_id=meetup.id, user_id=person, coming=True) for person in people)
        await session.commit()
    before = await kinds_per_person(sessionmaker)
    await asyncio.gather(*(Jobs(sessionmaker).housekeeping() for _ in range(REPLICAS)))
    queued = await kinds_per_person(sessionmaker) - before
    for kind in ("reminder", "checkin", "follow_up", "roster"):
        assert {person: count for (k, person), count in queued.items() if k == kind} == dict.fromkeys(people, 1), kind
