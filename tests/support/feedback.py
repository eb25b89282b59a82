"""A round whose check-ins have closed, with answers, ratings and one comment: what feedback digests are made of."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community, CommunityAdmin, MatchMember, NoMeetingReason, Outcome, Round, User
from bot.services import rounds
from tests.support.factories import Seeded, community_with_members

CO_ADMIN = 2
GROUP_CHAT = -100500
COMMENT = "<b>Great</b> chat & tea"


async def closed_round(sessionmaker: async_sessionmaker[AsyncSession], *, moments: bool = False) -> Seeded:
    """Six members in three pairs: two pairs met (ratings 5, 4 and 3; one comment), one reported a no-show;
    check-ins sent four days ago. A Russian-speaking co-admin; the group linked."""
    seeded = await community_with_members(sessionmaker, 6)
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        community.chat_id, community.moments = GROUP_CHAT, moments
        ivan = User(telegram_id=CO_ADMIN, first_name="Иван", language="ru", interests=[])
        session.add(ivan)
        await session.flush()
        session.add(CommunityAdmin(community_id=seeded.id, user_id=ivan.id))
        assert await rounds.create_round(session, community, "week-1", utcnow() - timedelta(days=10)) is not None
        seats = list(await session.scalars(select(MatchMember).order_by(MatchMember.match_id, MatchMember.user_id)))
        for seat, (outcome, rating) in zip(seats, [(Outcome.MET, 5), (Outcome.MET, 4), (Outcome.MET, 3),
                                                   (None, None), (Outcome.NOT_MET, None), (None, None)],
                                           strict=True):
            seat.outcome, seat.rating = outcome, rating
        seats[0].comment = COMMENT
        seats[4].no_reason = NoMeetingReason.NO_ANSWER
        await session.execute(update(Round).values(checkin_due_at=utcnow() - timedelta(days=4),
                                                   checkin_sent_at=utcnow() - timedelta(days=4)))
        await session.commit()
    return seeded
