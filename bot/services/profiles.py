"""Saving a finished profile (erasing one is `services.erasure`), the help topics it is chosen from, and the
one-time question to older profiles about languages and topics."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import (
    Community,
    MeetingFormat,
    Membership,
    User,
)
from bot.domain.draft import ProfileDraft
from bot.domain.topics import HelpTopic, catalogue, merged


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
    user.languages = list(draft.languages or ())
    user.offer_topics = list(draft.offer_topics or ())
    user.need_topics = list(draft.need_topics or ())
    user.meeting_format = meeting_format
    user.city = draft.city if meeting_format is not MeetingFormat.ONLINE else None
    user.timezone = draft.timezone
    user.utc_offset = draft.utc_offset
    user.contact = draft.contact if not user.username else None
    user.profile_confirmed_at = utcnow()
    await session.commit()


async def topic_options(session: AsyncSession, user: User, community: Community | None) -> tuple[HelpTopic, ...]:
    """Help topics to pick from: the joining community's catalogue, else those of every community the person is
    in (the default topics when none)."""
    if community is not None:
        return catalogue(community.help_topics)
    rows = await session.scalars(
        select(Community.help_topics).join(Membership).where(Membership.user_id == user.id).order_by(Community.id)
    )
    return merged(catalogue(stored) for stored in rows) or catalogue(None)


async def mark_asked_for_topics(session: AsyncSession, user: User) -> None:
    """Remember that an older profile was asked once to add languages and topics (whatever they answer)."""
    user.topics_asked_at = utcnow()
    await session.commit()
