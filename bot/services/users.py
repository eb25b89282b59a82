"""Who is talking to the bot: the caller's `users` row, kept in step with Telegram."""

from __future__ import annotations

from aiogram.types import User as TelegramUser
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User
from bot.i18n import LANGUAGES, pick_language


async def ensure_user(session: AsyncSession, telegram_user: TelegramUser) -> User:
    user = await session.scalar(select(User).where(User.telegram_id == telegram_user.id))
    if user is None:
        user = User(
            telegram_id=telegram_user.id,
            username=telegram_user.username,
            first_name=telegram_user.full_name[:128],
            language=pick_language(telegram_user.language_code),
            interests=[],
        )
        session.add(user)
        await session.commit()
    elif user.username != telegram_user.username:
        user.username = telegram_user.username
        await session.commit()
    return user


async def set_language(session: AsyncSession, user: User, language: str) -> bool:
    if language not in LANGUAGES:
        return False
    user.language = language
    await session.commit()
    return True
