"""The command menus Telegram shows next to the text field: which commands, in which order, described in each
language. Members see member commands; groups see /join and /help; admins see the admin commands too, in
their own private chat only (set by bot.command_menus)."""

from __future__ import annotations

import hashlib
import json

from aiogram.types import BotCommand

from bot.presentation.texts import DEFAULT_LANGUAGE, LANGUAGES, Texts

MEMBER_COMMANDS = (
    "start", "profile", "communities", "network", "sessions", "pause", "resume", "leave", "mydata", "delete",
    "language", "announcements", "help",
)
ADMIN_COMMANDS = (
    "newcommunity", "invite", "members", "schedule", "matchnow", "checkin", "session", "formgroups", "preview",
    "stats", "export", "moments", "admins", "announce", "rename", "settings",
)
GROUP_COMMANDS = ("join", "help")


def language_code(language: str) -> str | None:
    """The `language_code` a menu in `language` is set with (None: the default menu, which people whose Telegram
    speaks any other language see)."""
    return None if language == DEFAULT_LANGUAGE else language


def _commands(language: str, names: tuple[str, ...], *, in_group: bool = False) -> list[BotCommand]:
    texts = Texts(language)
    return [BotCommand(command=name, description=texts.label("command.group_help" if in_group and name == "help"
                                                             else f"command.{name}"))
            for name in names]


def member_menu(language: str) -> list[BotCommand]:
    return _commands(language, MEMBER_COMMANDS)


def admin_menu(language: str) -> list[BotCommand]:
    """Everything a member has, then the admin commands."""
    return _commands(language, MEMBER_COMMANDS + ADMIN_COMMANDS)


def group_menu(language: str) -> list[BotCommand]:
    return _commands(language, GROUP_COMMANDS, in_group=True)


def admin_menu_version() -> str:
    """Names the admin menu's wording: it changes when a command or a description does, so that every admin's
    chat gets the new menu once."""
    menus = [[command.model_dump(mode="json") for command in admin_menu(language)] for language in LANGUAGES]
    return hashlib.sha256(json.dumps(menus, sort_keys=True).encode()).hexdigest()[:12]
