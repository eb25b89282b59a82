"""Saving a finished profile (erasing one is `services.erasure`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import (
    MeetingFormat,
    User,
)
from bot.domain.draft import ProfileDraft


async def save_profile(session: AsyncSession, user: User, draft: ProfileDraft) -> None:
    """Store a finished draft (every question answered) and make the person eligible for matching."""
    meeting_format = draft.format
    if meeting_format is None:
        raise ValueError("an unfinished draft cannot be saved")
    user.display_name = draft.name
    user.about = draft.about
    user.interests = list(draft.interests)
    user.offers = draft.offers
    user.needs = draft.needs
    user.meeting_format = meeting_format
    user.city = draft.city if meeting_format is not MeetingFormat.ONLINE else None
    user.timezone = draft.timezone
    user.utc_offset = draft.utc_offset
    user.contact = draft.contact if not user.username else None
    user.profile_confirmed_at = utcnow()
    await session.commit()
