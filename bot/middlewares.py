"""Outer middlewares: a DB session per update, the caller's user row and their language, clean message text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.update_session import update_session
from bot.domain.text import clean_text
from bot.presentation.texts import Texts, pick_language
from bot.rights import TelegramGroupRights
from bot.services.users import Caller, ensure_user

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with update_session(self.sessionmaker) as session:
            data["session"] = session
            return await handler(event, data)


class UserMiddleware(BaseMiddleware):
    """Loads (or creates) the caller's row and picks their language for `texts`."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        data["group_rights"] = TelegramGroupRights(data["bot"])
        telegram_user: TelegramUser | None = data.get("event_from_user")
        if telegram_user is None or telegram_user.is_bot:
            data["texts"] = Texts(pick_language(None))
            return await handler(event, data)
        caller = Caller(telegram_user.id, telegram_user.username, telegram_user.full_name,
                        telegram_user.language_code)
        user = await ensure_user(data["session"], caller)
        data["user"] = user
        data["texts"] = Texts(user.language)
        return await handler(event, data)


class CleanTextMiddleware(BaseMiddleware):
    """Every filter and handler reads message text and captions as `clean_text` leaves them (no NUL, no control
    characters), so no answer, name or title can break a PostgreSQL insert or hide invisible characters."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message):
            changes = {field: clean_text(value) for field in ("text", "caption")
                       if isinstance(value := getattr(event, field), str) and clean_text(value) != value}
            if changes:
                event = event.model_copy(update=changes)
        return await handler(event, data)
