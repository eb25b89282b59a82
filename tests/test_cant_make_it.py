""""Can't make it this round" on every intro: the others are told kindly; someone left alone may ask for a new
partner, a trio's other two still meet; a second press changes nothing."""

from __future__ import annotations

from aiogram import Bot
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Match, MatchMember, NoMeetingReason, User
from tests.conftest import PersonFactory
from tests.support.driver import plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import deliver, matches_by_chat, run_matchnow


async def round_of(count: int, person: PersonFactory, bot: Bot,
                   sessionmaker: async_sessionmaker[AsyncSession]) -> dict[int, list[int]]:
    await community_with_members(sessionmaker, count)
    await run_matchnow(person(ADMIN_TELEGRAM_ID, "Olga"))
    await deliver(bot, sessionmaker)
    return await matches_by_chat(sessionmaker)


async def test_a_pair_partner_is_told_and_may_ask_for_someone_new(
        person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    matches = await round_of(4, person, bot, sessionmaker)
    for chat in (chat for pair in matches.values() for chat in pair):
        assert person(chat, "M").label("intro.cant_make_it") in tg.messages(chat)[-1].button_texts
    (match_id, (first, second)), *_ = matches.items()
    anna = person(first, f"Member{first - 1000}")
    await anna.press_key("intro.cant_make_it")
    assert anna.answers()[-1] == anna.label("cant.noted")
    await anna.press_data(f"cm:{match_id}")  # again, from an old copy of the button
    assert anna.answers()[-1] == anna.label("button.stale")
    await deliver(bot, sessionmaker)
    partner = person(second, "Partner")
    kind_words = partner.tr("cant.partner_alone", name=anna.user.first_name)
    assert [m.plain_text for m in tg.messages(second)].count(kind_words) == 1
    assert partner.tr("blocked.nobody_free") in plain(await partner.press_key("blocked.find_new"))
    async with sessionmaker() as session:
        seat = await session.get(MatchMember, (match_id, (await session.scalar(
            select(User.id).where(User.telegram_id == first))) or 0))
        assert seat is not None and seat.no_reason is NoMeetingReason.CANT_MAKE_IT


async def test_a_trio_stays_together(person: PersonFactory, bot: Bot, tg: FakeTelegram,
                                     sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    matches = await round_of(3, person, bot, sessionmaker)
    ((match_id, (first, second, third)),) = matches.items()
    anna = person(first, f"Member{first - 1000}")
    await anna.press_key("intro.cant_make_it")
    await deliver(bot, sessionmaker)
    for chat in (second, third):
        other = person(chat, "Other")
        assert tg.messages(chat)[-1].plain_text == other.tr("cant.partner_group", name=anna.user.first_name)
        assert not tg.messages(chat)[-1].button_texts
        await other.press_data(f"rp:{match_id}")  # not alone: no new partner
        assert other.answers()[-1] == other.label("button.stale")
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Match)) == 1
