"""A person joins with one tap and fills in their profile in chat (real Dispatcher, real DB)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Community, Membership, MembershipStatus, User
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.journeys import NEEDS, OFFERS, create_community, help_and_languages, topic_label


async def test_admin_creates_community_and_person_joins_and_confirms(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = person(1, "Olga", username="olga")
    code = await create_community(admin)
    assert len(code) >= 12

    alice = person(2, "Alice Smith", username="alice")
    replies = await alice.say(f"/start {code}")
    assert alice.tr("start.welcome", community="Berlin Founders") in plain(replies)
    assert alice.tr("q.progress", number=1, total=11) in plain(replies)  # alice has a username: no contact question
    await fill_questionnaire_rest(alice)

    preview = alice.last
    assert preview is not None and alice.tr("preview.title") in preview.plain_text
    assert "I run a small design studio" in preview.plain_text
    assert alice.tr("format.offline_in", city="Berlin") in preview.plain_text
    assert alice.tr("card.contact_username", username="alice") in preview.plain_text
    assert preview.button_texts == [alice.label("preview.confirm"), alice.label("preview.edit")]

    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.telegram_id == 2))
        assert user is not None and not user.has_confirmed_profile  # not eligible before confirming

    replies = await alice.press_key("preview.confirm")
    assert alice.tr("profile.saved_for", community="Berlin Founders") in plain(replies)

    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.telegram_id == 2))
        assert user is not None and user.has_confirmed_profile
        assert user.interests == ["design", "product"]
        assert (user.offer_topics, user.need_topics) == (["design", "hiring"], ["cofounder", "engineering"])
        assert user.languages == ["en"]  # the Telegram language and the answers' script agree
        assert user.city == "Berlin" and user.timezone == "Europe/Berlin"
        membership = await session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert membership is not None and membership.status is MembershipStatus.ACTIVE
        community = await session.get(Community, membership.community_id)
        assert community is not None and community.name == "Berlin Founders"

    profile = await alice.say("/profile")
    card = plain(profile)
    interests = f"{alice.tr('tag.design')}, {alice.tr('tag.product')}"
    for expected in ("Alice Smith", "I run a small design studio", interests, "Design and UX, Hiring — Brand identity",
                     "Finding a co-founder, Engineering — A technical co-founder", "English",
                     "technical co-founder", alice.tr("format.offline_in", city="Berlin"), "Europe/Berlin"):
        assert expected in card
    assert card.split("\n\n" + alice.tr("profile.edit_hint"))[0] == preview.plain_text.split("\n\n", 1)[1]


async def fill_questionnaire_rest(alice: Person) -> None:
    await alice.press_key("q.name.keep", name="Alice Smith")
    await alice.say("I run a small design studio and love meeting founders.")
    await alice.press_key("tag.design")
    await alice.press_key("tag.product")
    replies = await alice.press_key("q.interests.done")
    assert alice.like("q.offer_topics").search(plain(replies))
    assert [topic_label(alice, "hiring"), topic_label(alice, "fundraising")] == alice.buttons()[:2]
    await help_and_languages(alice, OFFERS, NEEDS, ("design", "hiring"), ("cofounder", "engineering"), None)
    await alice.press_key("q.format.offline")
    replies = await alice.say("Berlin")
    assert "🕒 Europe/Berlin (UTC+01:00)" in replies[-1].button_texts
    await alice.press("🕒 Europe/Berlin (UTC+01:00)")


async def test_unknown_invite_code_creates_nothing(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    bob = person(3, "Bob")
    replies = await bob.say("/start notARealCode123")
    assert bob.tr("start.bad_code") in plain(replies)
    async with sessionmaker() as session:
        assert list(await session.scalars(select(Membership))) == []
