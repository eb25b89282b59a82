"""/help in the middle of every flow that waits for typed input (the session wizard, an announcement's text, a
member search, a typed time or zone): the help, then what the flow still waits for; the flow goes on and /help is
not taken as the input. Through the real Dispatcher and the fake Telegram server, in English and Russian."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Announcement, Community, User
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.parametrize("language", ["en", "ru"])


async def organiser(person: PersonFactory, sessionmaker: Sessions, language: str, members: int = 3) -> Person:
    await community_with_members(sessionmaker, members)
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id == ADMIN_TELEGRAM_ID).values(language=language))
        await session.commit()
    return person(ADMIN_TELEGRAM_ID, "Olga", language_code=language)


def helped(olga: Person, replies: str, goes_on: str) -> None:
    assert olga.tr("help") in replies
    assert olga.tr(goes_on) in replies


async def test_help_while_creating_a_session_asks_the_same_question_again(
    person: PersonFactory, sessionmaker: Sessions, language: str
) -> None:
    olga = await organiser(person, sessionmaker, language)
    await olga.say("/session")
    await olga.say("Founders breakfast")
    replies = plain(await olga.say("/help"))
    helped(olga, replies, "help.meetup_goes_on")
    assert olga.like("meetup.ask_when").search(replies)  # the question she is on, again
    assert olga.tr("meetup.command_mid_way") not in replies
    assert olga.like("meetup.bad_when").search(plain(await olga.say("soon")))  # still waiting for the date
    assert olga.tr("meetup.command_mid_way") in plain(await olga.say("/members"))  # other commands: finish first


async def test_help_while_writing_an_announcement_keeps_waiting_for_its_text(
    person: PersonFactory, sessionmaker: Sessions, language: str
) -> None:
    olga = await organiser(person, sessionmaker, language)
    await olga.say("/announce")
    helped(olga, plain(await olga.say("/help")), "help.announce_goes_on")
    shown = await olga.say("Breakfast on Friday at 9")
    assert shown[-1].plain_text == olga.tr("announce.confirm", count=3, community="Founders")
    async with sessionmaker() as session:
        draft = await session.scalar(select(Announcement))
    assert draft is not None and draft.text == "Breakfast on Friday at 9"


async def test_help_while_a_search_waits_for_a_name(
    person: PersonFactory, sessionmaker: Sessions, language: str
) -> None:
    olga = await organiser(person, sessionmaker, language, members=12)
    await olga.say("/members")
    await olga.press_key("members.search")
    helped(olga, plain(await olga.say("/help")), "help.search_goes_on")
    found = (await olga.say("Member11"))[-1]
    assert found.plain_text.startswith(olga.tr("members.header_search", community="Founders", total=1,
                                               query="Member11", page=1, pages=1))


async def test_help_while_a_time_or_zone_is_typed(person: PersonFactory, sessionmaker: Sessions,
                                                  language: str) -> None:
    olga = await organiser(person, sessionmaker, language)
    await olga.say("/schedule")
    await olga.press_key("schedule.change_zone")
    helped(olga, plain(await olga.say("/help")), "help.schedule_zone_goes_on")
    await olga.say("Europe/Lisbon")
    await olga.press_key("schedule.change_time")
    helped(olga, plain(await olga.say("/help")), "help.schedule_time_goes_on")
    assert olga.like("schedule.current", time="07:15", timezone="Europe/Lisbon").search(
        plain(await olga.say("07:15")))
    async with sessionmaker() as session:
        community = await session.scalar(select(Community))
    assert community is not None
    assert (community.timezone, community.schedule_hour, community.schedule_minute) == ("Europe/Lisbon", 7, 15)
