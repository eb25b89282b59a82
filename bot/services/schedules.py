"""/schedule: an admin changes when their community's rounds happen, and in which time zone."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Community
from bot.domain.schedule import apply_choice


async def change_schedule(session: AsyncSession, community: Community, field: str, value: str) -> bool:
    """Apply and save one schedule field (a button's value, or a typed time "HHMM" or zone name checked
    before); False, with nothing changed, for a value that is not valid."""
    if not apply_choice(community, field, value):
        return False
    await session.commit()
    return True
