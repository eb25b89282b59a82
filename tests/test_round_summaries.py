"""A scheduled round tells each of its community's admins what it did — exactly once however many replicas run
the job, in the admin's language, also when there was nobody to match — and every round summary (scheduled or
/matchnow) states the sizes of small groups, with the rule behind them when they are not the size asked for."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Community, CommunityAdmin, OutboxMessage, User
from bot.jobs import Jobs
from bot.notifications import ROUND_SUMMARY
from tests.conftest import PersonFactory
from tests.support import summaries
from tests.support.driver import plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import deliver

REPLICAS = 3
CO_ADMIN = 2


async def test_a_scheduled_round_tells_each_admin_once_in_their_language(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    founders = await community_with_members(sessionmaker, 10)
    empty = await community_with_members(sessionmaker, 0, name="Empty", first=5000)
    async with sessionmaker() as session:
        await session.execute(update(Community).where(Community.id == founders.id).values(round_group_size=4))
        ivan = User(telegram_id=CO_ADMIN, first_name="Иван", language="ru", interests=[])
        session.add(ivan)
        await session.flush()
        session.add(CommunityAdmin(community_id=founders.id, user_id=ivan.id))
        await session.commit()
    communities = (founders.id, empty.id)
    made = []
    for _ in range(2):  # the same period again: nothing new
        runs = await asyncio.gather(*(Jobs(sessionmaker).round(community) for community in communities
                                      for _ in range(REPLICAS)))
        made.append(sum(summary is not None for summary in runs))
    assert made == [2, 0]  # one round per community, whichever replica made it
    await deliver(bot, sessionmaker)
    async with sessionmaker() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.kind == ROUND_SUMMARY))
    assert queued == 3  # Olga for both communities, Ivan for his one

    olga, ivan_chat = person(ADMIN_TELEGRAM_ID, "Olga"), person(CO_ADMIN, "Иван", language_code="ru")
    for admin in (olga, ivan_chat):
        cat = admin.catalogue
        told = [message.plain_text for message in tg.messages(admin.id)]
        done = summaries.done(cat, "Founders", summaries.groups(cat, [5, 5]), left_out=0, introduced=10,
                              scheduled=True)
        assert len([text for text in told if done in text]) == 1, told
        assert len([text for text in told if admin.tr("round.size_rule", size=4) in text]) == 1
    assert summaries.empty(olga.catalogue, "Empty", scheduled=True) in [m.plain_text for m in tg.messages(olga.id)]
    assert len(tg.messages(CO_ADMIN)) == 1  # not an admin of the empty community


@pytest.mark.parametrize(("language", "size", "sizes"), [("ru", 3, [4, 3, 3]), ("en", 5, [5, 5])])
async def test_match_now_states_the_group_sizes(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str, size: int,
    sizes: list[int],
) -> None:
    await community_with_members(sessionmaker, 10)
    async with sessionmaker() as session:
        await session.execute(update(Community).values(round_group_size=size))
        await session.execute(update(User).where(User.telegram_id == ADMIN_TELEGRAM_ID).values(language=language))
        await session.commit()
    admin = person(ADMIN_TELEGRAM_ID, "Olga", language_code=language)
    await admin.say("/matchnow")
    summary = plain(await admin.press_key("matchnow.yes"))
    assert summaries.done(admin.catalogue, "Founders", summaries.groups(admin.catalogue, sizes), left_out=0,
                          introduced=10) in summary
    # the rule is told only when a group is not the size asked for
    assert (admin.tr("round.size_rule", size=size) in summary) == (sizes != [size] * len(sizes))
