"""Command menus per scope (Telegram picks the first list set: a chat's own list, then all private chats or all
group chats, then the default; each with the viewer's language first, see "Determining list of commands").

* default scope: member commands (private chats); all group chats: /join and /help;
* a person who runs a community: member and admin commands in their own private chat (BotCommandScopeChat);
* every list in English (no language_code: anyone whose Telegram speaks another language) and in Russian.

A person's admin menu is set at once when they create a community or add the bot to a group they run, and
checked whenever they open /start; `MenuSync` (a bounded background task, never awaited by start-up) sets the
default menus, then reconciles every recorded admin's chat with `users.command_menu` a few calls a second: at
start-up only menus that changed are sent, so a restart with thousands of admins costs nothing, and a first
deployment sends two calls per admin at a pace far below Telegram's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import (
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.leader import MENU_SYNC, alone
from bot.db.models import User
from bot.domain.rights import GroupAdminCheck
from bot.presentation.command_menus import admin_menu, admin_menu_version, group_menu, language_code, member_menu
from bot.presentation.texts import LANGUAGES
from bot.services import command_menus

log = logging.getLogger(__name__)

VERSION = admin_menu_version()


async def set_default_menus(bot: Bot) -> None:
    """Member commands by default, /join and /help in groups. The all-private-chats lists are deleted: older
    versions put every command there, and they would hide the default (and admins' own) lists."""
    for language in LANGUAGES:
        code = language_code(language)
        await bot.set_my_commands(member_menu(language), scope=BotCommandScopeDefault(), language_code=code)
        await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code=code)
        await bot.set_my_commands(group_menu(language), scope=BotCommandScopeAllGroupChats(), language_code=code)


async def apply(bot: Bot, telegram_id: int, admin: bool) -> None:
    """Give this private chat the admin menu, or take it away (the default member menu shows again)."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    for language in LANGUAGES:
        if admin:
            await bot.set_my_commands(admin_menu(language), scope=scope, language_code=language_code(language))
        else:
            await bot.delete_my_commands(scope=scope, language_code=language_code(language))


async def refresh(bot: Bot, session: AsyncSession, group_rights: GroupAdminCheck, user: User) -> None:
    """Check one person's menu (they just became or stopped being an admin, or opened /start) and fix it.
    Best effort: a menu Telegram refuses now is retried at the next check, and the person's reply never waits
    on it failing."""
    wanted = await command_menus.wanted(session, group_rights, user, VERSION)
    if wanted == user.command_menu or user.telegram_id is None:
        return
    try:
        await apply(bot, user.telegram_id, wanted is not None)
    except TelegramAPIError as error:
        log.warning("could not set the command menu of user %s: %s", user.id, error)
        return
    await command_menus.record(session, user.id, wanted)


async def forget(bot: Bot, telegram_id: int | None, menu: str | None) -> None:
    """After /delete: the admin menu set in the person's chat goes now, as the erased row no longer names the chat
    and no later check could find it. Best effort, like `refresh`."""
    if telegram_id is None or menu is None:
        return
    try:
        await apply(bot, telegram_id, False)
    except TelegramAPIError as error:
        log.warning("could not take the admin menu from an erased person's chat: %s", error)


class MenuSync:
    """Default menus, then recorded admins' menus brought up to date, `interval` seconds between people (two
    calls each), `batch` people per database read; then a look every `idle` seconds (or at `wake`) for menus
    that changed meanwhile, e.g. an admin added through a one-time admin link or removed by a co-admin."""

    def __init__(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], *, interval: float = 0.25,
                 batch: int = 50, idle: float = 120.0) -> None:
        self.bot, self.sessionmaker = bot, sessionmaker
        self.interval, self.batch, self.idle = interval, batch, idle
        self._wake = asyncio.Event()
        self.defaults_set = False

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()  # before the pass: a wake during it starts another
            try:
                more = await self.sync_once()
            except Exception:  # a database or Telegram outage: try again after the idle time
                log.warning("command menus: sync failed, retrying later", exc_info=True)
                more = False
            if more:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.idle)

    async def sync_once(self) -> bool:
        """One pass; True if more people may be waiting (a full batch was done). A pass another replica is
        making now is left to it."""
        engine = self.sessionmaker.kw["bind"]
        async with alone(engine, MENU_SYNC) as first:
            return await self._pass() if first else False

    async def _pass(self) -> bool:
        if not self.defaults_set:
            await set_default_menus(self.bot)
            self.defaults_set = True
        async with self.sessionmaker() as session:
            changes = await command_menus.pending(session, VERSION, self.batch)
        for change in changes:
            try:
                await apply(self.bot, change.telegram_id, change.menu is not None)
            except (TelegramRetryAfter, TelegramNetworkError, TelegramServerError) as error:
                log.warning("command menus: Telegram is busy (%s), pausing", error)
                return False  # RetryAfterMiddleware waited already; the rest waits for the next pass
            except TelegramAPIError as error:  # e.g. the person blocked the bot: nothing to fix, do not retry
                log.info("command menus: chat of user %s refused: %s", change.user_id, error)
            async with self.sessionmaker() as session:
                await command_menus.record(session, change.user_id, change.menu)
            await asyncio.sleep(self.interval)
        return len(changes) == self.batch
