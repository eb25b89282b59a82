"""Communities from groups, one-tap Join, and admin rights checked on every call."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.models import Community, CommunityAdmin
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import create_community

GROUP = -100123


def join_url(tg: FakeTelegram) -> str:
    """The URL of the group's newest Join message (posted, or edited to name the linked community)."""
    message = tg.last_keyboard_message(GROUP)
    assert message is not None
    (_, url), = message.buttons
    assert url is not None and url.startswith("https://t.me/coffee_test_bot?start=")
    return url


async def add_bot_to_group(adder: Person, title: str = "HR Club") -> None:
    await adder.feed(adder.updates.my_chat_member(adder.user, GROUP, title))


async def test_group_gets_a_community_and_a_join_button(
    person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    olga = person(1, "Olga", username="olga")
    await add_bot_to_group(olga)
    message = tg.last_message(GROUP)
    assert message is not None and message.plain_text == olga.tr("group.welcome", community="HR Club")
    code = join_url(tg).split("start=")[1]
    async with sessionmaker() as session:
        community = await session.scalar(select(Community).where(Community.chat_id == GROUP))
        assert community is not None and community.invite_code == code and "hr" in community.tags

    alice = person(2, "Alice", username="alice")
    replies = await alice.say(f"/start {code}")
    assert alice.tr("start.welcome", community="HR Club") in plain(replies)
    assert alice.tr("q.progress", number=1, total=11) in plain(replies)

    await olga.feed(olga.updates.group_message(olga.user, GROUP, "HR Club", "/join@coffee_test_bot"))
    assert join_url(tg).endswith(code)


async def test_group_admins_are_community_admins_checked_each_time(
    person: PersonFactory, tg: FakeTelegram
) -> None:
    await add_bot_to_group(person(1, "Olga", username="olga"))
    code = join_url(tg).split("start=")[1]
    boris = person(3, "Boris", username="boris")
    await boris.say(f"/start {code}")
    await boris.say("/cancel")
    assert boris.tr("admin.none") in plain(await boris.say("/members"))

    tg.set_chat_admins(GROUP, [3], creator=1)
    replies = await boris.say("/members")
    assert boris.tr("members.header", community="HR Club", total=1, page=1, pages=1) in plain(replies)
    assert boris.like("members.line", name="Boris", handle="@boris", status=boris.catalogue.html("status.active"),
                      profile=boris.catalogue.html("admin.members_no_profile")).search(plain(replies))
    assert code in plain(await boris.say("/invite"))

    tg.set_chat_admins(GROUP, [], creator=1)  # demoted in Telegram: rights are gone at once
    assert boris.tr("admin.none") in plain(await boris.say("/members"))


async def test_linking_an_existing_community_needs_its_admin(
    person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    olga = person(1, "Olga", username="olga")
    code = await create_community(olga, "Founders")
    mallory = person(6, "Mallory", username="mallory")
    await add_bot_to_group(mallory, "Mallory's group")
    await mallory.feed(mallory.updates.group_message(mallory.user, GROUP, "Mallory's group",
                                                      f"/start@coffee_test_bot {code}"))
    assert tg.texts(GROUP)[-1] == mallory.catalogue.html("group.link_denied")

    await add_bot_to_group(olga, "Founders chat")
    await olga.feed(olga.updates.group_message(olga.user, GROUP, "Founders chat", f"/start@coffee_test_bot {code}"))
    assert tg.texts(GROUP)[-1] == olga.catalogue.html("group.link_denied")  # not an admin of the group yet
    tg.set_chat_admins(GROUP, [1], creator=1)
    await olga.feed(olga.updates.group_message(olga.user, GROUP, "Founders chat", f"/start@coffee_test_bot {code}"))
    assert join_url(tg).endswith(code)
    assert len([m for m in tg.messages(GROUP) if m.buttons]) == 1  # the one Join message, edited each time
    async with sessionmaker() as session:
        names = list(await session.scalars(select(Community.name).order_by(Community.id)))
        linked = await session.scalar(select(Community.name).where(Community.chat_id == GROUP))
    assert names == ["Founders"] and linked == "Founders"  # the empty auto-created community is gone


async def test_community_creators_setting_restricts_newcommunity(
    person: PersonFactory, settings: Settings
) -> None:
    settings.community_creators = frozenset({1})
    alice, olga = person(2, "Alice"), person(1, "Olga")
    assert alice.tr("admin.create_not_allowed") in plain(await alice.say("/newcommunity Mine"))
    assert olga.tr("admin.newcommunity_usage") in plain(await olga.say("/newcommunity"))
    replies = await olga.say("/newcommunity  <b>Bold</b>   Club ")
    assert olga.like("admin.created", community="<b>Bold</b> Club").search(plain(replies))


async def test_invite_codes_are_unguessable(person: PersonFactory) -> None:
    olga = person(1, "Olga", username="olga")
    codes = {await create_community(olga, f"C{i}") for i in range(20)}
    assert len(codes) == 20
    assert all(len(code) >= 12 and code.replace("-", "").replace("_", "").isalnum() for code in codes)


async def test_a_plain_member_cannot_point_the_group_at_a_community_of_their_own(
    person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tg.set_chat_admins(GROUP, [1], creator=1)
    olga = person(1, "Olga", username="olga")
    await add_bot_to_group(olga, "HR Club")
    mallory = person(6, "Mallory", username="mallory")
    own_code = await create_community(mallory, "Mallory's club")
    await mallory.feed(mallory.updates.group_message(mallory.user, GROUP, "HR Club",
                                                      f"/start@coffee_test_bot {own_code}"))
    assert tg.texts(GROUP)[-1] == mallory.catalogue.html("group.link_denied")
    async with sessionmaker() as session:
        linked = await session.scalar(select(Community.name).where(Community.chat_id == GROUP))
    assert linked == "HR Club"


async def test_whoever_adds_the_bot_is_no_admin_unless_they_run_the_group(
    person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tg.set_chat_admins(GROUP, [1], creator=1)
    boris = person(3, "Boris", username="boris")
    await add_bot_to_group(boris, "HR Club")
    assert boris.tr("admin.none") in plain(await boris.say("/members"))
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(CommunityAdmin)) == 0
        assert await session.scalar(select(Community.owner_id).where(Community.chat_id == GROUP)) is None


async def test_an_anonymous_admin_is_asked_to_speak_as_themselves(person: PersonFactory, tg: FakeTelegram) -> None:
    olga = person(1, "Olga", username="olga")
    code = await create_community(olga, "Founders")
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    update = olga.updates.group_message(anonymous, GROUP, "HR Club", f"/start@coffee_test_bot {code}")
    update["message"]["sender_chat"] = {"id": GROUP, "type": "supergroup", "title": "HR Club"}
    await olga.feed(update)
    assert tg.texts(GROUP)[-1] == olga.catalogue.html("group.link_anonymous")
