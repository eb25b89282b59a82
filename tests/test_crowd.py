"""A crowd at once: many people answering the questionnaire in the same moment are all answered, quickly."""

from __future__ import annotations

import asyncio
import time

from aiogram import Bot, Dispatcher

from bot.presentation.texts import Texts
from tests.conftest import PersonFactory
from tests.support.driver import Person
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import create_community

CROWD = 100


async def _all_at_once(dispatcher: Dispatcher, bot: Bot, updates: list[dict[str, object]]) -> float:
    started = time.monotonic()
    await asyncio.gather(*(dispatcher.feed_raw_update(bot, update) for update in updates))
    return time.monotonic() - started


def _assert_everyone_answered(tg: FakeTelegram, crowd: list[Person], expected_key: str, **params: object) -> None:
    expected = Texts("en")(expected_key, **params)
    error = Texts("en")("error.generic")
    assert not tg.errors, tg.errors
    for member in crowd:
        last = member.last
        assert last is not None, f"{member.id} got no reply"
        assert error not in last.text, f"{member.id} was told something went wrong"
        assert expected in last.text, f"{member.id}: {last.text[:200]}"


async def test_a_crowd_opening_the_invite_link_at_once_gets_the_first_question(
    person: PersonFactory, dispatcher: Dispatcher, bot: Bot, tg: FakeTelegram,
) -> None:
    code = await create_community(person(1, "Olga", username="olga"))
    crowd = [person(10_000 + i, f"Member {i}", username=f"member{i}") for i in range(CROWD)]
    await _all_at_once(dispatcher, bot, [m.updates.message(m.user, f"/start {code}") for m in crowd])
    _assert_everyone_answered(tg, crowd, "q.progress", number=1, total=11)


async def test_a_crowd_answering_the_same_question_at_once_is_answered(
    person: PersonFactory, dispatcher: Dispatcher, bot: Bot, tg: FakeTelegram,
) -> None:
    code = await create_community(person(1, "Olga", username="olga"))
    crowd = [person(20_000 + i, f"Member {i}", username=f"member{i}") for i in range(CROWD)]
    for member in crowd:
        await member.say(f"/start {code}")
        await member.press(f"Keep “{member.user.first_name}”")
    about = "I organise meetups for founders and like to help people find their first hires."
    await _all_at_once(dispatcher, bot, [m.updates.message(m.user, about) for m in crowd])
    _assert_everyone_answered(tg, crowd, "q.progress", number=3, total=11)
