"""/communities, /pause, /resume, /leave, /delete, /language, /help and the fallbacks."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community, FsmRecord, Membership, MembershipStatus, User
from bot.presentation import moments
from bot.presentation.texts import Texts
from tests.conftest import PersonFactory
from tests.support.catalogue import ru
from tests.support.driver import Person, plain
from tests.support.fake_telegram import FakeTelegram, html_to_plain
from tests.support.journeys import create_community, fill_questionnaire


@pytest.fixture
async def alice(person: PersonFactory) -> Person:
    olga = person(1, "Olga", username="olga")
    alice = person(2, "Alice Smith", username="alice")
    await fill_questionnaire(alice, await create_community(olga, "Founders"))
    await alice.press_key("preview.confirm")
    return alice


async def statuses(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, MembershipStatus]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Community.name, Membership.status).join(Membership.community).join(Membership.user)
            .where(User.telegram_id == 2)
        )
        return {name: status for name, status in rows.all()}


async def test_pause_for_a_week_then_resume(alice: Person, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    replies = await alice.say("/pause")
    assert alice.tr("pause.how_long", community="Founders") in plain(replies)
    replies = await alice.press_key("pause.days_7")
    paused = alice.like("pause.done_until", communities="Founders").search(plain(replies))
    assert paused is not None and replies[0].edited
    async with sessionmaker() as session:
        membership = await session.scalar(select(Membership).join(Membership.user).where(User.telegram_id == 2))
        assert membership is not None and membership.status is MembershipStatus.PAUSED
        assert membership.paused_until is not None
        assert timedelta(days=6, hours=23) < membership.paused_until - utcnow() <= timedelta(days=7)
        alice_row = await session.scalar(select(User).where(User.telegram_id == 2))
        shown = moments.for_reader(Texts(alice.language), membership.paused_until, alice_row, "UTC")
        assert paused["date"] == html_to_plain(shown)  # in Alice's own zone, named
    replies = await alice.say("/pause")
    assert alice.tr("pause.nothing") in plain(replies)
    replies = await alice.say("/resume")
    assert alice.tr("resume.done", communities="Founders") in plain(replies)
    assert await statuses(sessionmaker) == {"Founders": MembershipStatus.ACTIVE}


async def test_expired_pause_ends_by_itself(alice: Person, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await alice.say("/pause")
    await alice.press_key("pause.days_14")
    async with sessionmaker() as session:
        membership = await session.scalar(select(Membership).join(Membership.user).where(User.telegram_id == 2))
        assert membership is not None
        membership.paused_until = utcnow() - timedelta(minutes=1)
        await session.commit()
    replies = await alice.say("/communities")
    assert alice.tr("communities.active", name="Founders") in plain(replies)


async def test_pause_all_of_several_until_resumed(
    alice: Person, person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    second = await create_community(person(1, "Olga", username="olga"), "Designers")
    await alice.say(f"/start {second}")
    await alice.press_key("join.use_as_is")
    replies = await alice.say("/pause")
    assert replies[-1].button_texts == ["Founders", "Designers", alice.label("scope.all")]
    await alice.press_key("scope.all")
    replies = await alice.press_key("pause.days_0")
    assert alice.tr("pause.done", communities="Founders, Designers") in plain(replies)
    assert set((await statuses(sessionmaker)).values()) == {MembershipStatus.PAUSED}
    replies = await alice.say("/communities")
    assert alice.tr("communities.paused", name="Founders") in plain(replies)
    await alice.say("/resume")
    await alice.press("Designers")
    assert await statuses(sessionmaker) == {"Founders": MembershipStatus.PAUSED,
                                            "Designers": MembershipStatus.ACTIVE}


async def test_leave_asks_first(alice: Person, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    replies = await alice.say("/leave")
    assert alice.tr("leave.confirm", community="Founders") in plain(replies)
    replies = await alice.press_key("common.no")
    assert alice.tr("common.nothing_changed") in plain(replies)
    assert await statuses(sessionmaker) == {"Founders": MembershipStatus.ACTIVE}
    await alice.say("/leave")
    replies = await alice.press_key("leave.yes")
    assert alice.tr("leave.done", community="Founders") in plain(replies)
    assert await statuses(sessionmaker) == {"Founders": MembershipStatus.LEFT}
    await alice.press_data("l:1:1")  # the old confirmation pressed again
    assert alice.answers()[-1] == alice.label("button.stale")


async def test_delete_erases_personal_data(alice: Person, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await alice.say("/profile")
    await alice.press_key("field.about")  # an edit in progress: an FSM row with a copy of the profile
    replies = await alice.say("/delete")
    assert alice.tr("q.command_mid_way") in plain(replies)
    await alice.say("/cancel")  # the draft copy stays in the FSM row
    replies = await alice.say("/delete")
    assert alice.tr("delete.confirm") in plain(replies)
    replies = await alice.press_key("delete.yes")
    assert alice.tr("delete.done") in plain(replies)
    async with sessionmaker() as session:
        assert await session.scalar(select(User).where(User.telegram_id == 2)) is None
        erased = await session.scalar(select(User).where(User.deleted_at.is_not(None)))
        assert erased is not None
        assert (erased.display_name, erased.about, erased.offers, erased.needs, erased.city, erased.username,
                erased.first_name, erased.contact, erased.telegram_id) == (None,) * 9
        assert erased.interests == []
        assert await session.scalar(select(func.count()).select_from(Membership)) == 0
        assert await session.scalar(select(func.count()).select_from(FsmRecord)
                                    .where(FsmRecord.telegram_user_id == 2)) == 0
    replies = await alice.say("/communities")
    assert alice.tr("start.no_communities") in plain(replies)


async def test_language_switch_and_default_from_telegram(person: PersonFactory, alice: Person) -> None:
    await alice.say("/language")
    replies = await alice.press("Русский")
    assert replies[0].plain_text == ru.text("language.done")
    replies = await alice.say("/help")
    assert replies[0].text == ru.html("help")
    ivan = person(5, "Иван", language_code="ru")
    replies = await ivan.say("/help")
    assert replies[0].text == ru.html("help")


async def test_help_unknown_and_stray_input(person: PersonFactory) -> None:
    bob = person(3, "Bob")
    assert plain(await bob.say("/help")) == bob.tr("help")
    assert bob.tr("fallback.unknown_command") in plain(await bob.say("/frobnicate"))
    assert bob.tr("fallback.hint") in plain(await bob.feed(bob.updates.sticker(bob.user)))
    assert bob.tr("fallback.hint") in plain(await bob.say("hello?"))


async def test_429_is_waited_out_and_403_does_not_crash(
    person: PersonFactory, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    bob = person(3, "Bob")
    tg.fail("sendMessage", chat_id=3, error_code=429, retry_after=1)
    replies = await bob.say("/help")
    assert len(replies) == 1 and replies[0].plain_text == bob.tr("help")
    assert len(tg.calls_of("sendMessage")) == 2
    tg.block(3)
    with caplog.at_level(logging.ERROR):
        assert await bob.say("/help") == []
    assert "Forbidden" in caplog.text
