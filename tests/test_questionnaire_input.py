"""Bad input at every step gets a clear re-ask, never an exception, and nothing is lost."""

from __future__ import annotations

import pytest
from aiogram import Dispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_dispatcher
from bot.config import Settings
from bot.db.models import FsmRecord, User
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import create_community, help_and_languages, member_in_two_communities


@pytest.fixture
async def code(person: PersonFactory) -> str:
    return await create_community(person(1, "Olga", username="olga"))


async def at_about_step(person: PersonFactory, code: str, **kwargs: str) -> Person:
    alice = person(2, "Alice Smith", **kwargs)
    await alice.say(f"/start {code}")
    await alice.press_key("q.name.keep", name="Alice Smith")
    return alice


def about_question(alice: Person) -> str:
    return alice.tr("q.about", low=10, high=500)


async def test_non_text_answers_are_reasked(person: PersonFactory, code: str) -> None:
    alice = await at_about_step(person, code, username="alice")
    for update in (alice.updates.sticker(alice.user), alice.updates.photo(alice.user),
                   alice.updates.voice(alice.user)):
        replies = await alice.feed(update)
        assert replies[0].plain_text == alice.tr("q.error.not_text")
        assert about_question(alice) in replies[-1].plain_text
    replies = await alice.say("Designer from Berlin, ten years in branding.")
    assert alice.like("q.interests").search(plain(replies))


async def test_too_long_empty_and_short_text(person: PersonFactory, code: str) -> None:
    alice = await at_about_step(person, code, username="alice")
    replies = await alice.say("x" * 5000)
    assert alice.tr("q.error.too_long", length=5000, high=500) in plain(replies)
    assert about_question(alice) in replies[-1].plain_text
    replies = await alice.say("   ")
    assert alice.tr("q.error.empty") in plain(replies)
    replies = await alice.say("hi")
    assert alice.tr("q.error.too_short", low=10) in plain(replies)
    replies = await alice.say("y" * 500)  # exactly the limit is accepted
    assert alice.like("q.interests").search(plain(replies))


async def test_buttons_steps_reject_text_and_forged_buttons(person: PersonFactory, code: str) -> None:
    alice = await at_about_step(person, code, username="alice")
    await alice.say("Designer from Berlin, ten years in branding.")
    replies = await alice.say("design please")
    assert alice.tr("q.error.use_buttons") in plain(replies)
    await alice.press_key("q.interests.done")
    assert alice.answers()[-1] == alice.label("q.interests.none")
    await alice.press_data("q:tag:999")
    await alice.press_data("q:fmt:online")  # a real button, but not for this question
    await alice.press_data("not-a-button-at-all")
    await alice.press_data("p:abc:zz")
    assert alice.answers()[-4:] == [alice.label("button.stale")] * 4
    await alice.press_key("tag.design")
    replies = await alice.press_key("q.interests.done")
    assert alice.like("q.offer_topics").search(plain(replies))


async def test_html_in_answers_is_shown_literally(person: PersonFactory, code: str) -> None:
    alice = person(2, "Alice", username="alice")
    await alice.say(f"/start {code}")
    await alice.say("<b>Boss</b> & <a href='https://evil.example'>me</a>")
    await alice.say("I write <i>unclosed tags and <script>alert(1)</script> everywhere")
    await alice.press_key("tag.design")
    await alice.press_key("q.interests.done")
    await help_and_languages(alice, "<code>help</code>", "</b>needs", ("hiring",), (), ("en",))
    await alice.press_key("q.format.online")
    await alice.press("UTC+00")
    preview = alice.last
    assert preview is not None
    assert "<b>Boss</b> & <a href='https://evil.example'>me</a>" in preview.plain_text
    assert "&lt;b&gt;Boss&lt;/b&gt; &amp; &lt;a href=&#x27;https://evil.example&#x27;&gt;" in preview.text
    assert "</b>needs" in preview.plain_text


async def test_command_mid_way_reminds_and_keeps_answers(person: PersonFactory, code: str) -> None:
    alice = await at_about_step(person, code, username="alice")
    for command in ("/communities", "/start", f"/start {code}", "/whatever"):
        replies = await alice.say(command)
        assert replies[0].plain_text == alice.tr("q.command_mid_way")
        assert about_question(alice) in replies[-1].plain_text
    replies = await alice.say("Designer from Berlin, ten years in branding.")
    assert alice.tr("q.progress", number=3, total=11) in plain(replies)


async def test_cancel_keeps_the_draft_and_profile_resumes(person: PersonFactory, code: str) -> None:
    alice = await at_about_step(person, code, username="alice")
    await alice.say("Designer from Berlin, ten years in branding.")
    replies = await alice.say("/cancel")
    assert alice.tr("cancel.stopped") in plain(replies) and alice.tr("cancel.kept_draft") in plain(replies)
    replies = await alice.say("/cancel")
    assert alice.tr("cancel.nothing") in plain(replies)
    replies = await alice.say("/communities")
    assert alice.tr("communities.profile_missing") in plain(replies)
    replies = await alice.say("/profile")
    assert alice.tr("profile.resume") in plain(replies)
    assert alice.like("q.interests").search(replies[-1].plain_text)


async def test_no_username_asks_for_contact(person: PersonFactory, code: str) -> None:
    bob = person(3, "Bob")
    replies = await bob.say(f"/start {code}")
    assert bob.tr("q.progress", number=1, total=12) in plain(replies)
    await bob.say("Bobby")
    await bob.say("Backend engineer, Python and Postgres.")
    await bob.press_key("tag.it")
    await bob.press_key("q.interests.done")
    await help_and_languages(bob, "Code reviews", "A mentor", ("engineering",), ("mentoring",), None)
    await bob.press_key("q.format.online")
    replies = await bob.say("Mars")
    assert bob.tr("q.timezone.unknown") in plain(replies)
    replies = await bob.say("+3")
    assert bob.like("q.contact").search(plain(replies))
    await bob.press_key("q.contact.telegram")
    preview = bob.last
    assert preview is not None and "UTC+03:00" in preview.plain_text
    assert bob.catalogue.html("card.contact_link", link="tg://user?id=3") in preview.text


async def test_edit_from_preview_changes_one_field(person: PersonFactory, code: str) -> None:
    alice = await at_about_step(person, code, username="alice")
    await alice.say("Designer from Berlin, ten years in branding.")
    await alice.press_key("tag.design")
    await alice.press_key("q.interests.done")
    await help_and_languages(alice, "Brand reviews", "Investors", ("design",), ("fundraising",), None)
    await alice.press_key("q.format.any")
    await alice.say("Hamburg")
    await alice.press("UTC+01")
    await alice.press_key("preview.edit")
    replies = await alice.press_key("field.city")
    assert alice.tr("q.current", value="Hamburg") in plain(replies)
    replies = await alice.say("Munich")
    assert alice.tr("format.any_in", city="Munich") in replies[-1].plain_text
    await alice.press_key("preview.edit")
    await alice.press_key("field.format")
    replies = await alice.press_key("q.format.online")
    assert "Munich" not in replies[-1].plain_text
    assert alice.like("card", format=alice.catalogue.html("format.online")).search(replies[-1].plain_text)


async def test_restart_mid_questionnaire_resumes_at_the_same_question(
    person: PersonFactory, code: str, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    alice = await at_about_step(person, code, username="alice")
    await alice.say("Designer from Berlin, ten years in branding.")
    await alice.press_key("tag.design")
    async with sessionmaker() as session:
        record = await session.scalar(select(FsmRecord).where(FsmRecord.telegram_user_id == 2))
        assert record is not None and record.state == "Questionnaire:interests"
    restarted: Dispatcher = create_dispatcher(settings, sessionmaker)  # a new process would build this
    alice.dispatcher = restarted
    replies = await alice.press_key("tag.product")
    assert replies and replies[0].edited
    replies = await alice.press_key("q.interests.done")
    assert alice.like("q.offer_topics").search(plain(replies))
    async with sessionmaker() as session:
        record = await session.scalar(select(FsmRecord).where(FsmRecord.telegram_user_id == 2))
        assert record is not None and record.data["draft"]["interests"] == ["design", "product"]


async def test_edit_saved_profile_and_join_second_community(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    alice, second = await member_in_two_communities(person)

    await alice.say("/profile")
    await alice.press_key("field.about")
    await alice.say("Now I run a product studio instead of a design one.")
    await alice.press_key("preview.confirm")
    replies = await alice.say("/profile")
    assert "Now I run a product studio" in plain(replies)

    replies = await alice.say(f"/start {second}")
    assert alice.tr("join.existing_profile") in plain(replies)
    replies = await alice.press_key("join.use_as_is")
    assert alice.tr("profile.saved_for", community="Designers") in plain(replies)
    replies = await alice.say("/communities")
    assert alice.tr("communities.active", name="Founders") in plain(replies)
    assert alice.tr("communities.active", name="Designers") in plain(replies)
    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.telegram_id == 2))
        assert user is not None and user.about == "Now I run a product studio instead of a design one."


async def test_a_second_press_on_use_as_is_is_calm(person: PersonFactory, tg: FakeTelegram) -> None:
    alice, second = await member_in_two_communities(person)
    await alice.say(f"/start {second}")
    choice = next(m for m in reversed(tg.messages(alice.id)) if alice.label("join.use_as_is") in m.button_texts)
    button = dict(choice.buttons)[alice.label("join.use_as_is")]
    await alice.press_key("join.use_as_is")
    answered = len(alice.answers())
    replies = await alice.feed(alice.updates.callback(alice.user, button or "", choice.message_id))  # again
    assert alice.tr("error.generic") not in plain(replies)
    assert len(alice.answers()) == answered + 1  # answered, so the spinner stops


async def test_unicode_digits_in_an_interests_button_are_stale(person: PersonFactory, code: str) -> None:
    alice = await at_about_step(person, code, username="alice")
    await alice.say("Designer from Berlin, ten years in branding.")
    for data in ("q:tag:²", "q:tag:٣", f"q:tag:{2**63}"):
        replies = await alice.press_data(data)
        assert alice.tr("error.generic") not in plain(replies)
        assert alice.answers()[-1] == alice.label("button.stale")
