"""Who is talking to the bot: the caller's `users` row, kept in step with Telegram."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import User
from bot.domain.language import LANGUAGES, pick_language
from bot.domain.text import one_line


@dataclass(frozen=True)
class Caller:
    """Who sent the update, as Telegram describes them."""

    telegram_id: int
    username: str | None
    full_name: str
    language_code: str | None


async def ensure_user(session: AsyncSession, caller: Caller) -> User:
    """The caller's row, created on their first update. Two first updates at once (a private message and a
    group message, say) both end up with the same row: the second insert is skipped, not an error."""
    user = await _by_telegram_id(session, caller.telegram_id)
    if user is None:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        await session.execute(insert(User).values(
            telegram_id=caller.telegram_id, username=caller.username, first_name=one_line(caller.full_name)[:128],
            language=pick_language(caller.language_code), interests=[], created_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=[User.telegram_id]))
        await session.commit()
        user = await _by_telegram_id(session, caller.telegram_id)
        assert user is not None, "inserted or already there"
    elif user.username != caller.username:
        user.username = caller.username
        await session.commit()
    return user


async def _by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    found: User | None = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    return found


async def set_language(session: AsyncSession, user: User, language: str) -> bool:
    if language not in LANGUAGES:
        return False
    user.language = language
    await session.commit()
    return True
