"""Text as odd as Telegram lets people send it: NUL and other control characters, Windows line ends — and
a person whose first two updates arrive at the same moment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community, Meetup, User
from bot.domain.text import clean_text, one_line
from bot.services.users import Caller, ensure_user
from tests.conftest import PersonFactory
from tests.support.driver import plain
from tests.support.journeys import create_community, create_meetup, fill_questionnaire, help_and_languages


def test_clean_text_keeps_what_people_mean() -> None:
    assert clean_text("a\x00b\x07c\x1b[31m") == "abc[31m"
    assert clean_text("line one\r\nline two\rthree\ttab") == "line one\nline two\nthree\ttab"
    assert clean_text("👩\u200d💻 dev") == "👩\u200d💻 dev"  # the zero-width joiner holds the emoji together
    assert clean_text("x\ud800y") == "xy"  # a lone surrogate cannot be stored or sent
    assert one_line("  Anna\x00\n  Maria\u2028 ") == "Anna Maria"


async def test_control_characters_never_reach_the_database(person: PersonFactory,
                                                           sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    olga = person(1, "Olga", username="olga")
    code = await create_community(olga, "Nul Club")
    alice = person(2, "Alice Smith", username="alice")
    await alice.say(f"/start {code}")
    await alice.press_key("q.name.keep", name="Alice Smith")
    await alice.say("I run a small\x00 design studio\r\nand love meeting founders.")
    await alice.press_key("tag.design")
    await alice.press_key("q.interests.done")
    await help_and_languages(alice, "Brand\x00 identity reviews", "A technical\x1b co-founder", ("design",), (), None)
    await alice.press_key("q.format.offline")
    await alice.say("Ber\x00lin")
    await alice.press(next(b for b in alice.buttons() if b.startswith("🕒")))
    replies = await alice.press_key("preview.confirm")
    assert alice.tr("error.generic") not in plain(replies)
    async with sessionmaker() as session:
        stored = await session.scalar(select(User).where(User.telegram_id == 2))
    assert stored is not None and stored.profile_confirmed_at is not None
    assert (stored.about, stored.offers, stored.needs, stored.city) == (
        "I run a small design studio\nand love meeting founders.", "Brand identity reviews",
        "A technical co-founder", "Berlin")


async def test_names_and_titles_with_nul(person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    replies = await person(3, "Ivan").say("/newcommunity Nul\x00 Club")
    assert person(3, "Ivan").tr("error.generic") not in plain(replies)
    olga = person(1, "Olga", username="olga")
    code = await create_community(olga, "Second")
    await fill_questionnaire(person(2, "Alice Smith", username="alice"), code)
    await create_meetup(olga, title="Winter\x00 night", place="Factory\x00 Berlin")
    async with sessionmaker() as session:
        names = set(await session.scalars(select(Community.name)))
        meetups = set((await session.execute(select(Meetup.title, Meetup.place))).tuples())
    assert "Nul Club" in names and all("\x00" not in name for name in names)
    assert meetups == {("Winter night", "Factory Berlin")}


async def test_two_first_updates_at_once_share_one_row(engine: AsyncEngine,
                                                       sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The person's other first update (a group message, say) creates their row between our SELECT and INSERT."""
    raced: list[bool] = []

    def other_update_first(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO USERS") and not raced:
            raced.append(True)
            with engine.sync_engine.begin() as other:
                other.execute(insert(User).values(telegram_id=555, first_name="New Person", language="en",
                                                  interests=[], created_at=utcnow()))

    event.listen(engine.sync_engine, "before_cursor_execute", other_update_first)
    try:
        async with sessionmaker() as session:
            user = await ensure_user(session, Caller(555, "newbie", "New\x00 Person", "en"))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", other_update_first)
    assert raced and user.telegram_id == 555
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User).where(User.telegram_id == 555)) == 1
