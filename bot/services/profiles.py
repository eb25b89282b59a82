"""Saving a finished profile and erasing a person."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import (
    Block,
    Community,
    CommunityAdmin,
    FsmRecord,
    MatchMember,
    MeetingFormat,
    Membership,
    OutboxMessage,
    OutboxStatus,
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


PERSONAL_FIELDS = (
    "telegram_id", "username", "first_name", "display_name", "about", "offers", "needs",
    "meeting_format", "city", "timezone", "utc_offset", "contact", "profile_confirmed_at",
)


async def erase_person(session: AsyncSession, user: User) -> None:
    """/delete: remove every personal field and membership; the bare row keeps others' history intact."""
    telegram_id = user.telegram_id
    if telegram_id is not None:
        await session.execute(delete(FsmRecord).where(FsmRecord.telegram_user_id == telegram_id))
    await session.execute(delete(Membership).where(Membership.user_id == user.id))
    await session.execute(delete(CommunityAdmin).where(CommunityAdmin.user_id == user.id))
    await session.execute(update(Community).where(Community.owner_id == user.id).values(owner_id=None))
    await session.execute(delete(Block).where((Block.user_id == user.id) | (Block.blocked_user_id == user.id)))
    await session.execute(update(MatchMember).where(MatchMember.user_id == user.id).values(comment=None))
    await session.execute(delete(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.status != OutboxStatus.SENT))
    await session.execute(update(OutboxMessage).where(OutboxMessage.user_id == user.id).values(text=""))
    for field in PERSONAL_FIELDS:
        setattr(user, field, None)
    user.interests = []
    user.deleted_at = utcnow()
    await session.commit()
