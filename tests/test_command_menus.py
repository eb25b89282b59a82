"""Command menus per scope: members see member commands, groups /join and /help, admins the admin commands in
their own private chat only; in English and Russian; kept in step with admin rights, at a bounded pace."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiogram import Bot
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import command_menus
from bot.command_menus import MenuSync
from bot.db.models import Community, CommunityAdmin, User
from bot.presentation.command_menus import ADMIN_COMMANDS, GROUP_COMMANDS, MEMBER_COMMANDS
from bot.presentation.texts import Texts
from tests.conftest import PersonFactory
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import create_community

GROUP = -100888
MEMBER = list(MEMBER_COMMANDS)
ADMIN = [*MEMBER_COMMANDS, *ADMIN_COMMANDS]


def chat_calls(tg: FakeTelegram, after: int) -> list[str]:
    """Per-chat menu calls made after `after`."""
    return [c.method for c in tg.calls if c.seq > after and c.params.get("scope", {}).get("type") == "chat"]


def descriptions(tg: FakeTelegram, scope: dict[str, object], language: str) -> dict[str, str]:
    import json
    key = json.dumps([scope, "" if language == "en" else language], sort_keys=True)
    return {str(c["command"]): str(c["description"]) for c in tg.commands[key]}


async def recorded_admins(sessionmaker: async_sessionmaker[AsyncSession], count: int, first: int) -> None:
    """One community run by `count` recorded admins with Telegram ids from `first`."""
    async with sessionmaker() as session:
        community = Community(name="Big", description="", invite_code="bigbigbigbig", tags=[], timezone="UTC")
        session.add(community)
        users = [User(telegram_id=first + n, first_name=f"A{n}", language="en") for n in range(count)]
        session.add_all(users)
        await session.flush()
        session.add_all([CommunityAdmin(community_id=community.id, user_id=user.id) for user in users])
        await session.commit()


async def sync(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], **options: float) -> MenuSync:
    menus = MenuSync(bot, sessionmaker, interval=0, **options)  # type: ignore[arg-type]
    while await menus.sync_once():
        pass
    return menus


async def test_default_menus_for_members_and_groups_in_both_languages(
    bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tg.commands['[{"type": "all_private_chats"}, ""]'] = [{"command": "matchnow", "description": "old"}]
    await sync(bot, sessionmaker)
    for language in ("en", "ru", "de"):
        assert tg.menu(5, language) == MEMBER  # an older all-private-chats list (every command) is gone
        assert tg.menu(GROUP, language, group=True) == list(GROUP_COMMANDS)
    for language in ("en", "ru"):
        texts = Texts(language)
        assert descriptions(tg, {"type": "default"}, language) == {
            name: texts.label(f"command.{name}") for name in MEMBER_COMMANDS}
        assert descriptions(tg, {"type": "all_group_chats"}, language) == {
            "join": texts.label("command.join"), "help": texts.label("command.group_help")}
    assert descriptions(tg, {"type": "default"}, "ru")["profile"] != descriptions(tg, {"type": "default"}, "en")[
        "profile"]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_admins_get_admin_commands_in_their_own_chat_only(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
    language: str
) -> None:
    await sync(bot, sessionmaker)
    olga = person(1, "Olga", username="olga", language_code=language)
    alice = person(2, "Alice", username="alice", language_code=language)
    code = await create_community(olga, "Berlin Founders")  # set at once, no sync needed
    await alice.say(f"/start {code}")
    assert tg.menu(olga.id, language) == ADMIN
    assert tg.menu(alice.id, language) == MEMBER
    assert tg.menu(GROUP, language, group=True) == list(GROUP_COMMANDS)
    texts = Texts(language)
    assert descriptions(tg, {"type": "chat", "chat_id": olga.id}, language)["rename"] == texts.label(
        "command.rename")

    mark = tg.mark()
    await olga.say("/start")  # already right: nothing sent
    await sync(bot, sessionmaker)  # nor by the background sync
    assert chat_calls(tg, mark) == []

    async with sessionmaker() as session:  # a co-admin removes her (admin_team deletes the row)
        await session.execute(delete(CommunityAdmin))
        await session.commit()
    await sync(bot, sessionmaker)
    assert tg.menu(olga.id, language) == MEMBER
    async with sessionmaker() as session:
        assert await session.scalar(select(User.command_menu).where(User.telegram_id == olga.id)) is None


async def test_a_group_admin_gets_the_admin_menu_when_they_use_the_bot_and_loses_it_when_demoted(
    person: PersonFactory, tg: FakeTelegram, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    olga, boris = person(1, "Olga", username="olga"), person(3, "Boris", username="boris")
    tg.set_chat_admins(GROUP, [olga.id], creator=olga.id)
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "HR Club"))
    assert tg.menu(olga.id) == ADMIN  # added the bot to a group she runs: a recorded admin
    async with sessionmaker() as session:
        code = await session.scalar(select(Community.invite_code).where(Community.chat_id == GROUP))
    await boris.say(f"/start {code}")
    await boris.say("/cancel")
    assert tg.menu(boris.id) == []  # nothing of his own (the default menu applies)
    tg.set_chat_admins(GROUP, [olga.id, boris.id], creator=olga.id)
    await boris.say("/start")
    assert tg.menu(boris.id) == ADMIN
    await sync(bot, sessionmaker)  # the background sync leaves group admins to their next visit
    assert tg.menu(boris.id) == ADMIN
    tg.set_chat_admins(GROUP, [olga.id], creator=olga.id)
    await boris.say("/start")
    assert tg.menu(boris.id) == MEMBER  # his own list is deleted: the default shows again


async def test_many_admins_are_brought_up_to_date_in_bounded_batches_once(
    bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    admins = 120
    await recorded_admins(sessionmaker, admins, 10_000)
    pauses: list[float] = []

    async def no_wait(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(command_menus.asyncio, "sleep", no_wait)
    menus = MenuSync(bot, sessionmaker, interval=0.25, batch=50)
    passes = [await menus.sync_once()]
    while passes[-1]:
        passes.append(await menus.sync_once())
    assert passes == [True, True, False]  # 50 + 50 + 20 people, a database read each
    assert pauses == [0.25] * admins  # paced: one pause after every person (two calls)
    per_chat = [call for call in tg.calls_of("setMyCommands") if call.params["scope"]["type"] == "chat"]
    assert len(per_chat) == 2 * admins
    assert all(tg.menu(10_000 + n, language) == ADMIN for n in range(admins) for language in ("en", "ru"))

    mark = tg.mark()  # a restart: nothing changed, nothing sent
    assert await MenuSync(bot, sessionmaker, interval=0).sync_once() is False
    assert chat_calls(tg, mark) == []


async def test_a_chat_telegram_refuses_is_not_retried_forever(
    bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        community = Community(name="C", description="", invite_code="cccccccccccc", tags=[], timezone="UTC")
        user = User(telegram_id=4242, first_name="Gone", language="en")
        session.add_all([community, user])
        await session.flush()
        session.add(CommunityAdmin(community_id=community.id, user_id=user.id))
        await session.commit()
    menus = MenuSync(bot, sessionmaker, interval=0)
    menus.defaults_set = True
    tg.fail("setMyCommands", error_code=400, description="Bad Request: chat not found", times=1)
    assert await menus.sync_once() is False
    async with sessionmaker() as session:
        assert await session.scalar(select(User.command_menu).where(User.id == user.id)) is not None
    mark = tg.mark()
    await menus.sync_once()
    assert chat_calls(tg, mark) == []


async def test_a_failing_telegram_does_not_stop_the_background_task(
    bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    tg.fail("setMyCommands", error_code=400, description="Bad Request: something odd", times=1)
    menus = MenuSync(bot, sessionmaker, interval=0, idle=3600)
    task = asyncio.create_task(menus.run())
    failed = await tg.wait_for_call("setMyCommands", timeout=10)
    assert not failed.ok and not task.done()
    mark = tg.mark()
    menus.wake()  # instead of waiting out the idle time
    await tg.wait_for_call("setMyCommands", after=mark, timeout=10, predicate=lambda call: (
        call.params["scope"]["type"] == "all_group_chats" and call.params.get("language_code") == "ru"))
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert tg.menu(5) == MEMBER


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_co_admin_gets_the_menu_with_the_admin_link_and_loses_it_when_removed(
    person: PersonFactory, tg: FakeTelegram, language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    await create_community(olga, "Berlin Founders")
    await olga.say("/admins")
    link = (await olga.press_key("admins.invite"))[-1].plain_text.rsplit("\n", 1)[-1]
    boris = person(3, "Boris", username="boris", language_code=language)
    await boris.say(f"/start {link.split('?start=')[1]}")
    assert tg.menu(boris.id, language) == ADMIN  # at once, not at the next background pass
    await olga.say("/admins")
    await olga.press_key("admins.remove", name="Boris")
    await olga.press_key("admins.yes_remove")
    assert tg.menu(boris.id, language) == []  # his own list is gone (no default set in this test)
    assert tg.menu(olga.id, language) == ADMIN


async def test_delete_takes_the_admin_menu_from_the_erased_persons_chat(
    person: PersonFactory, tg: FakeTelegram, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await sync(bot, sessionmaker)
    olga, boris = person(1, "Olga", username="olga"), person(3, "Boris", username="boris")
    tg.set_chat_admins(GROUP, [olga.id, boris.id], creator=olga.id)
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "HR Club"))
    async with sessionmaker() as session:
        code = await session.scalar(select(Community.invite_code).where(Community.chat_id == GROUP))
    await boris.say(f"/start {code}")
    await boris.say("/cancel")
    await boris.say("/start")  # runs it only as a Telegram admin of the group
    assert tg.menu(olga.id) == ADMIN and tg.menu(boris.id) == ADMIN
    for person_ in (olga, boris):
        await person_.say("/delete")
        assert person_.tr("delete.done") in [m.plain_text for m in await person_.press_key("delete.yes")]
        assert tg.menu(person_.id) == MEMBER
    async with sessionmaker() as session:
        assert list(await session.scalars(select(User.command_menu))) == [None, None]


async def test_replicas_syncing_at_once_set_each_menu_once(
    bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    if sessionmaker.kw["bind"].dialect.name != "postgresql":
        pytest.skip("replicas share a PostgreSQL; SQLite is one process")
    admins = 20
    await recorded_admins(sessionmaker, admins, 20_000)
    replicas = [MenuSync(bot, sessionmaker, interval=0.01) for _ in range(3)]
    await asyncio.gather(*(replica.sync_once() for replica in replicas))
    per_chat = [call for call in tg.calls_of("setMyCommands") if call.params["scope"]["type"] == "chat"]
    assert len(per_chat) == 2 * admins  # English and Russian, once per admin
    assert all(tg.menu(20_000 + n, language) == ADMIN for n in range(admins) for language in ("en", "ru"))
