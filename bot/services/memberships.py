"""Joining, pausing, resuming and leaving communities."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.base import utcnow
from bot.db.models import Community, ErasedBan, Membership, MembershipStatus, User
from bot.domain.bans import person_key
from bot.domain.membership import JoinOutcome, PauseLength


async def join(session: AsyncSession, user: User, community: Community, ban_secret: bytes) -> JoinOutcome | None:
    """Join through an invite link (every way of joining comes here); None: the community banned this person
    (before or after they erased their data), and no invite link lets them back in until an admin unbans them."""
    membership = await session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.community_id == community.id)
    )
    if membership is not None and membership.banned_at is not None:
        return None
    if membership is None and await _banned_before_erasure(session, user, community, ban_secret):
        return None
    if membership is None:
        session.add(Membership(user_id=user.id, community_id=community.id))
        outcome = JoinOutcome.JOINED
    elif membership.status is MembershipStatus.LEFT:
        membership.status, membership.paused_until = MembershipStatus.ACTIVE, None
        outcome = JoinOutcome.REJOINED
    else:
        outcome = JoinOutcome.ALREADY
    await session.commit()
    return outcome


async def _banned_before_erasure(session: AsyncSession, user: User, community: Community, secret: bytes) -> bool:
    if user.telegram_id is None:
        return False
    key = person_key(secret, user.telegram_id)
    return bool(await session.scalar(select(exists().where(
        ErasedBan.community_id == community.id, ErasedBan.person_key == key))))


async def memberships_of(session: AsyncSession, user: User, *, include_left: bool = False) -> list[Membership]:
    query = (
        select(Membership)
        .options(selectinload(Membership.community))
        .where(Membership.user_id == user.id)
        .order_by(Membership.joined_at, Membership.id)
    )
    if not include_left:
        query = query.where(Membership.status != MembershipStatus.LEFT)
    memberships = list(await session.scalars(query))
    if await _end_expired_pauses(session, memberships):
        await session.commit()
    return memberships


async def _end_expired_pauses(session: AsyncSession, memberships: list[Membership]) -> bool:
    now, changed = utcnow(), False
    for membership in memberships:
        expired = membership.paused_until is not None and membership.paused_until <= now
        if membership.status is MembershipStatus.PAUSED and expired:
            membership.status, membership.paused_until = MembershipStatus.ACTIVE, None
            changed = True
    return changed


def _select(memberships: list[Membership], community_id: int | None) -> list[Membership]:
    """`community_id` None means every membership."""
    return [m for m in memberships if community_id is None or m.community_id == community_id]


async def pause(
    session: AsyncSession, user: User, community_id: int | None, length: PauseLength
) -> list[Membership]:
    chosen = [m for m in _select(await memberships_of(session, user), community_id)
              if m.status is MembershipStatus.ACTIVE]
    until = length.until(utcnow())
    for membership in chosen:
        membership.status, membership.paused_until = MembershipStatus.PAUSED, until
    await session.commit()
    return chosen


async def resume(session: AsyncSession, user: User, community_id: int | None) -> list[Membership]:
    chosen = [m for m in _select(await memberships_of(session, user), community_id)
              if m.status is MembershipStatus.PAUSED]
    for membership in chosen:
        membership.status, membership.paused_until = MembershipStatus.ACTIVE, None
    await session.commit()
    return chosen


async def leave(session: AsyncSession, user: User, community_id: int) -> Membership | None:
    chosen = _select(await memberships_of(session, user), community_id)
    if not chosen:
        return None
    chosen[0].status, chosen[0].paused_until = MembershipStatus.LEFT, None
    await session.commit()
    return chosen[0]
