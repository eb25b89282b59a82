"""Co-admins (/admins): the recorded admins of a community, one-time admin invite links, removing a co-admin.

A linked group's current Telegram admins keep their rights as before (`communities.is_admin`); this is about the
recorded ones. The creator (`Community.owner_id`) cannot be removed here by anyone.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AdminInvite, Community, CommunityAdmin, User
from bot.services.communities import PAYLOAD_PATTERN, is_row_id

INVITE_PREFIX = "adm_"  # regular invite codes are 12 random characters: never this prefix and length
INVITE_BYTES = 12  # 16 URL-safe characters, 96 random bits
INVITE_LIFETIME = timedelta(hours=48)


class Accepted(enum.Enum):
    DONE = "done"
    ALREADY = "already"  # already an admin: the link stays unused for the person it was meant for
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class Removed(enum.Enum):
    DONE = "done"
    CREATOR = "creator"
    NOT_ADMIN = "not_admin"


@dataclass(frozen=True)
class Acceptance:
    outcome: Accepted
    community: Community | None = None


def is_admin_invite(code: str) -> bool:
    return code.startswith(INVITE_PREFIX) and bool(PAYLOAD_PATTERN.match(code))


async def admins_of(session: AsyncSession, community: Community) -> list[User]:
    """The recorded admins, the creator first, then in the order they became admins."""
    rows = await session.scalars(
        select(User).join(CommunityAdmin, CommunityAdmin.user_id == User.id)
        .where(CommunityAdmin.community_id == community.id).order_by(User.id))
    return sorted(rows, key=lambda user: user.id != community.owner_id)


async def create_invite(session: AsyncSession, community: Community, by: User, now: datetime) -> AdminInvite:
    invite = AdminInvite(code=INVITE_PREFIX + secrets.token_urlsafe(INVITE_BYTES), community_id=community.id,
                         created_by=by.id, created_at=now, expires_at=now + INVITE_LIFETIME)
    session.add(invite)
    await session.commit()
    return invite


async def accept(session: AsyncSession, user: User, code: str, now: datetime) -> Acceptance:
    """Open a one-time admin link: the first person to open it in time becomes an admin (single use even when two
    open it at once: the link is claimed by a conditional update)."""
    invite = await session.scalar(select(AdminInvite).where(AdminInvite.code == code)) \
        if is_admin_invite(code) else None
    if invite is None:
        return Acceptance(Accepted.UNKNOWN)
    community = await session.get(Community, invite.community_id)
    if community is None:
        return Acceptance(Accepted.UNKNOWN)
    if invite.used_at is not None:
        return Acceptance(Accepted.USED, community)
    if invite.expires_at <= now:
        return Acceptance(Accepted.EXPIRED, community)
    if await session.get(CommunityAdmin, (community.id, user.id)) is not None:
        return Acceptance(Accepted.ALREADY, community)
    claimed = await session.execute(
        update(AdminInvite).where(AdminInvite.id == invite.id, AdminInvite.used_at.is_(None))
        .values(used_at=now, used_by=user.id).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # someone else opened it a moment earlier
        return Acceptance(Accepted.USED, community)  # (nothing was changed: no rollback, objects stay loaded)
    session.add(CommunityAdmin(community_id=community.id, user_id=user.id))
    await session.commit()
    return Acceptance(Accepted.DONE, community)


async def remove(session: AsyncSession, community: Community, user_id: int) -> Removed:
    """Remove a recorded co-admin (any id is safe); the creator stays."""
    if is_row_id(user_id) and user_id == community.owner_id:
        return Removed.CREATOR
    if not is_row_id(user_id) or await session.get(CommunityAdmin, (community.id, user_id)) is None:
        return Removed.NOT_ADMIN
    await session.execute(delete(CommunityAdmin).where(CommunityAdmin.community_id == community.id,
                                                       CommunityAdmin.user_id == user_id))
    await session.commit()
    return Removed.DONE
