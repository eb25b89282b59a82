"""A person joins with one tap and fills in their profile in chat (real Dispatcher, real DB)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Community, Membership, MembershipStatus, User
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.journeys import create_community


async def test_admin_creates_community_and_person_joins_and_confirms(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = person(1, "Olga", username="olga")
    code = await create_community(admin)
    assert len(code) >= 12

    alice = person(2, "Alice Smith", username="alice")
    replies = await alice.say(f"/start {code}")
    assert "Welcome to Berlin Founders" in plain(replies)
    assert "Question 1 of 8" in plain(replies)  # alice has a username: no contact question
    await fill_questionnaire_rest(alice)

    preview = alice.last
    assert preview is not None and "This is how your partners will see you" in preview.plain_text
    assert "I run a small design studio" in preview.plain_text
    assert "in person in Berlin" in preview.plain_text
    assert "@alice" in preview.plain_text
    assert preview.button_texts == ["✅ Confirm", "✏️ Edit"]

    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.telegram_id == 2))
        assert user is not None and not user.has_confirmed_profile  # not eligible before confirming

    replies = await alice.press("✅ Confirm")
    assert "profile is saved" in plain(replies)

    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.telegram_id == 2))
        assert user is not None and user.has_confirmed_profile
        assert user.interests == ["design", "product"]
        assert user.city == "Berlin" and user.timezone == "Europe/Berlin"
        membership = await session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert membership is not None and membership.status is MembershipStatus.ACTIVE
        community = await session.get(Community, membership.community_id)
        assert community is not None and community.name == "Berlin Founders"

    profile = await alice.say("/profile")
    card = plain(profile)
    for expected in ("Alice Smith", "I run a small design studio", "design, product",
                     "Brand identity reviews", "technical co-founder", "in person in Berlin", "Europe/Berlin"):
        assert expected in card
    assert card.split("\n\nTap a field")[0] == preview.plain_text.split("\n\n", 1)[1]


async def fill_questionnaire_rest(alice: Person) -> None:
    await alice.press("Keep “Alice Smith”")
    await alice.say("I run a small design studio and love meeting founders.")
    await alice.press("design")
    await alice.press("product")
    replies = await alice.press("Done ➡️")
    assert "How can you help others" in plain(replies)
    await alice.say("Brand identity reviews and hiring designers")
    await alice.say("A technical co-founder for a side project")
    await alice.press("☕ In person")
    replies = await alice.say("Berlin")
    assert "🕒 Europe/Berlin (UTC+01:00)" in replies[-1].button_texts
    await alice.press("🕒 Europe/Berlin (UTC+01:00)")


async def test_unknown_invite_code_creates_nothing(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    bob = person(3, "Bob")
    replies = await bob.say("/start notARealCode123")
    assert "unknown or no longer valid" in plain(replies)
    async with sessionmaker() as session:
        assert list(await session.scalars(select(Membership))) == []
