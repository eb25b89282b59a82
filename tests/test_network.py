"""/network shows each person once (the latest meeting), only meetings nobody denied, never someone the reader
blocked or an erased person — but someone who blocked the reader stays (a block is confidential)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Block, CheckinAnswer, Match, MatchMember, Outcome, Round, User
from bot.services.checkins import network
from tests.support.factories import community_with_members


async def test_network_is_true_for_the_reader(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    seeded = await community_with_members(sessionmaker, 7)
    now = utcnow()
    async with sessionmaker() as session:
        me, again, denied, blocked, blocker, erased, trio = list(await session.scalars(
            select(User).where(User.telegram_id.in_(seeded.member_telegram_ids)).order_by(User.id)))
        meetings: list[tuple[int, list[User], dict[int, Outcome]]] = [
            (30, [me, again], {}),
            (20, [me, denied], {me.id: Outcome.NOT_MET}),  # the reader says it did not happen
            (15, [me, blocked, trio], {}),
            (10, [me, again], {me.id: Outcome.MET}),  # met twice: shown once, with the latest date
            (5, [me, blocker], {}),
            (3, [me, erased], {}),
        ]
        for number, (days_ago, people, outcomes) in enumerate(meetings):
            past = Round(community_id=seeded.id, period=f"w{number}", created_at=now - timedelta(days=days_ago),
                         checkin_due_at=now)
            session.add(past)
            await session.flush()
            match = Match(round_id=past.id, reasons={})
            session.add(match)
            await session.flush()
            session.add_all(MatchMember(match_id=match.id, user_id=p.id, outcome=outcomes.get(p.id)) for p in people)
            session.add_all(CheckinAnswer(match_id=match.id, user_id=me.id, partner_id=p.id, outcome=outcomes[me.id])
                            for p in people if p is not me and me.id in outcomes)  # a pair's answer: about them
        session.add_all([Block(user_id=me.id, blocked_user_id=blocked.id),
                         Block(user_id=blocker.id, blocked_user_id=me.id)])
        erased.telegram_id, erased.deleted_at = None, now
        await session.commit()
    async with sessionmaker() as session:
        reader = await session.get(User, me.id)
        assert reader is not None
        shown = await network(session, reader)
    assert [(past.partner.id, (now - past.met_on).days) for past in shown] == [
        (blocker.id, 5), (again.id, 10), (trio.id, 15)]
