"""Admin round commands act on the chosen community only, and a confirmation makes one round however often
it is pressed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community, OutboxMessage, Round
from bot.domain.schedule import extra_period_key, minute_stamp
from bot.presentation.callbacks import MatchNowCb
from bot.presentation.texts import Texts
from bot.services import rounds
from tests.conftest import PersonFactory
from tests.support import summaries
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members

en = Texts("en")


async def _round_in(sessionmaker: async_sessionmaker[AsyncSession], community_id: int) -> None:
    async with sessionmaker() as session:
        community = await session.get(Community, community_id)
        assert community is not None
        assert await rounds.create_round(session, community, "week-1", utcnow()) is not None


async def test_checkin_asks_the_chosen_community_only(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    alpha = await community_with_members(sessionmaker, 4, name="Alpha", first=1000)
    beta = await community_with_members(sessionmaker, 6, name="Beta", first=2000)
    await _round_in(sessionmaker, alpha.id)
    await _round_in(sessionmaker, beta.id)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    picker = await admin.say("/checkin")
    assert picker[-1].text == en("admin.pick_community")
    replies = await admin.press("Alpha")
    assert replies[-1].text == en("checkin_now.done", count=4)
    async with sessionmaker() as session:
        asked = set(await session.scalars(select(OutboxMessage.chat_id).where(OutboxMessage.kind == "checkin")))
    assert asked == set(alpha.member_telegram_ids)


async def test_a_match_now_confirmation_pressed_twice_makes_one_round(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 4)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    shown = minute_stamp(utcnow() - timedelta(minutes=3))  # confirmed minutes after it was shown
    data = MatchNowCb(community_id=seeded.id, confirmed=True, stamp=shown).pack()
    first = (await admin.press_data(data))[-1].plain_text  # read now: the second press edits the same message
    second = await admin.press_data(data)
    assert first == summaries.done(admin.catalogue, "Founders", summaries.pairs(admin.catalogue, 2), left_out=0,
                                   introduced=4)
    assert second[-1].text == en("matchnow.already")
    async with sessionmaker() as session:
        periods = list(await session.scalars(select(Round.period)))
        intros = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.kind == "intro"))
    assert periods == [extra_period_key(shown)]
    assert intros == 4
