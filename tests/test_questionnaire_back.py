"""Back on every question, "Keep the current answer" on a typed question asked again, and a "Question n of m"
whose m never changes (the city question is counted for everyone and skipped for online-only members)."""

from __future__ import annotations

import pytest

from tests.conftest import PersonFactory
from tests.support.driver import Person
from tests.support.fake_telegram import SentMessage
from tests.support.journeys import ABOUT, NEEDS, OFFERS, create_community, help_and_languages

LANGUAGES = ["en", "ru"]


def progress_of(member: Person, replies: list[SentMessage]) -> tuple[int, int]:
    """(n, m) of the "Question n of m" the bot just asked."""
    pattern = member.like("q.progress")
    found = [match for message in replies if (match := pattern.fullmatch(message.plain_text.split("\n")[0]))]
    assert found, [m.plain_text for m in replies]
    return int(found[-1]["number"]), int(found[-1]["total"])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_back_goes_to_the_question_before_and_keep_goes_on(person: PersonFactory, language: str) -> None:
    code = await create_community(person(1, "Olga", username="olga"))
    anna = person(2, "Anna", username="anna", language_code=language)
    first = await anna.say(f"/start {code}")
    assert progress_of(anna, first) == (1, 11)
    assert anna.label("q.back") not in anna.buttons()  # nothing before the first question
    await anna.press_key("q.name.keep", name="Anna")
    interests = await anna.say(ABOUT)
    assert progress_of(anna, interests) == (3, 11)

    again = await anna.press_key("q.back")
    assert progress_of(anna, again) == (2, 11)
    assert anna.tr("q.current", value=ABOUT) in again[-1].plain_text
    assert anna.label("q.keep_answer") in anna.buttons() and anna.label("q.back") in anna.buttons()
    onwards = await anna.press_key("q.keep_answer")
    assert progress_of(anna, onwards) == (3, 11)

    await anna.press_key("tag.design")
    assert anna.label("q.back") in anna.buttons()  # a tick keeps Back under the question
    back_to_about = await anna.press_key("q.back")
    assert progress_of(anna, back_to_about) == (2, 11)
    changed = "Product designer; I run workshops on research for small teams."
    after = await anna.say(changed)
    assert progress_of(anna, after) == (3, 11)  # the interests question again, the tick kept
    assert f"✅ {anna.label('tag.design')}" in anna.buttons()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_total_stays_the_same_for_an_online_member(person: PersonFactory, language: str) -> None:
    code = await create_community(person(1, "Olga", username="olga"))
    ivan = person(3, "Ivan", username="ivan", language_code=language)
    seen = [progress_of(ivan, await ivan.say(f"/start {code}"))]
    seen.append(progress_of(ivan, await ivan.press_key("q.name.keep", name="Ivan")))
    seen.append(progress_of(ivan, await ivan.say(ABOUT)))
    await ivan.press_key("tag.design")
    seen.append(progress_of(ivan, await ivan.press_key("q.interests.done")))
    await help_and_languages(ivan, OFFERS, NEEDS, ("design",), ("hiring",), None)
    timezone = await ivan.press_key("q.format.online")
    seen.append(progress_of(ivan, timezone))
    assert {total for _, total in seen} == {11}
    numbers = [number for number, _ in seen]
    assert numbers == sorted(set(numbers)) and numbers[-1] == 11  # the city question (10) is skipped


@pytest.mark.parametrize("language", LANGUAGES)
async def test_back_or_keep_from_an_earlier_message_changes_nothing(person: PersonFactory, language: str) -> None:
    code = await create_community(person(1, "Olga", username="olga"))
    anna = person(2, "Anna", username="anna", language_code=language)
    await anna.say(f"/start {code}")
    await anna.press_key("q.name.keep", name="Anna")
    await anna.say(ABOUT)
    await anna.press_key("q.back")
    await anna.press_key("q.keep_answer")  # now on the interests question again
    keep = anna.label("q.keep_answer")
    about_message = next(m for m in reversed(anna.tg.messages(anna.id)) if keep in m.button_texts)
    stale = await anna.feed(anna.updates.callback_from_button(anna.user, about_message, keep))
    assert anna.answers()[-1] == anna.tr("button.stale")
    assert not [m for m in stale if anna.like("q.progress").match(m.plain_text)]  # nothing asked again
    for forged in ("q:back:name", "q:back:", "q:keep_answer:interests", "q:keep_answer:name"):
        await anna.press_data(forged)
        assert anna.answers()[-1] == anna.tr("button.stale")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_two_steps_back_then_forward_question_by_question(person: PersonFactory, language: str) -> None:
    code = await create_community(person(1, "Olga", username="olga"))
    anna = person(2, "Anna", username="anna", language_code=language)
    await anna.say(f"/start {code}")
    await anna.press_key("q.name.keep", name="Anna")
    await anna.say(ABOUT)
    await anna.press_key("tag.design")
    await anna.press_key("q.back")
    to_name = await anna.press_key("q.back")
    assert progress_of(anna, to_name) == (1, 11)
    assert anna.tr("q.current", value="Anna") in to_name[-1].plain_text
    assert progress_of(anna, await anna.say("Anna K.")) == (2, 11)  # the question after, not the first unanswered
    assert progress_of(anna, await anna.press_key("q.keep_answer")) == (3, 11)
    assert progress_of(anna, await anna.press_key("q.interests.done")) == (4, 11)
