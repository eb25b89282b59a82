"""The one meetings loader: rounds and meetups in time order, one number per occasion."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import (
    Match,
    MatchMember,
    MeetingFormat,
    Meetup,
    MeetupGroup,
    MeetupGroupMember,
    MeetupStatus,
    Round,
    User,
)
from bot.services.history import community_history
from matching import Meeting
from tests.support.factories import community_with_members


async def test_rounds_and_meetups_are_numbered_in_time_order(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    seeded = await community_with_members(sessionmaker, 6)
    now = utcnow()
    async with sessionmaker() as session:
        a, b, c, d, e, f = [user.id for user in await session.scalars(
            select(User).where(User.telegram_id.in_(seeded.member_telegram_ids)).order_by(User.id))]
        for days_ago, period, pairs in ((30, "w1", [(a, b), (c, d, e)]), (10, "w3", [(a, c)])):
            past = Round(community_id=seeded.id, period=period, created_at=now - timedelta(days=days_ago),
                         checkin_due_at=now)
            session.add(past)
            await session.flush()
            for people in pairs:
                match = Match(round_id=past.id, reasons={})
                session.add(match)
                await session.flush()
                session.add_all(MatchMember(match_id=match.id, user_id=person) for person in people)
        for days_ago, status, groups in ((20, MeetupStatus.FORMED, [(a, d), (b, e, f)]),
                                         (5, MeetupStatus.OPEN, [(e, f)])):
            meetup = Meetup(community_id=seeded.id, title="M", starts_at=now - timedelta(days=days_ago),
                            rsvp_deadline=now, meeting_format=MeetingFormat.ONLINE, status=status)
            session.add(meetup)
            await session.flush()
            for number, people in enumerate(groups, start=1):
                group = MeetupGroup(meetup_id=meetup.id, number=number)
                session.add(group)
                await session.flush()
                session.add_all(MeetupGroupMember(group_id=group.id, user_id=person) for person in people)
        await session.commit()
    async with sessionmaker() as session:
        history = await community_history(session, seeded.id)
    assert sorted(history.meetings, key=lambda m: (m.round, m.members)) == [
        Meeting((a, b), 1), Meeting((c, d, e), 1),  # the round 30 days ago
        Meeting((a, d), 2), Meeting((b, e, f), 2),  # the formed meetup 20 days ago; the open one has not met yet
        Meeting((a, c), 3),  # the round 10 days ago
    ]
    assert history.next_round == 4


async def test_a_new_community_has_no_history(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    async with sessionmaker() as session:
        history = await community_history(session, seeded.id)
    assert history.meetings == () and history.next_round == 1
