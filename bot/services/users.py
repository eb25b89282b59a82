"""Who is talking to the bot: the caller's `users` row, kept in step with Telegram."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User
from bot.domain.language import LANGUAGES, pick_language


@dataclass(frozen=True)
class Caller:
    """Who sent the update, as Telegram describes them."""

    telegram_id: int
    username: str | None
    full_name: str
    language_code: str | None


def printable(text: str) -> str:
    """Telegram names may hold NUL and other control characters, which PostgreSQL text refuses."""
    return "".join(ch for ch in text if ch.isprintable())


async def ensure_user(session: AsyncSession, caller: Caller) -> User:
    user = await session.scalar(select(User).where(User.telegram_id == caller.telegram_id))
    if user is None:
        user = User(
            telegram_id=caller.telegram_id,
            username=caller.username,
            first_name=printable(caller.full_name)[:128],
            language=pick_language(caller.language_code),
            interests=[],
        )
        session.add(user)
        await session.commit()
    elif user.username != caller.username:
        user.username = caller.username
        await session.commit()
    return user


async def set_language(session: AsyncSession, user: User, language: str) -> bool:
    if language not in LANGUAGES:
        return False
    user.language = language
    await session.commit()
    return True
