"""When a partner drops out (blocked the bot, erased, or cannot make it): tell the others and offer someone new."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import notifications
from bot.db.models import (
    Block,
    Match,
    MatchMember,
    Membership,
    MembershipStatus,
    NoMeetingReason,
    OutboxMessage,
    Outcome,
    RoundLeftOut,
    User,
)
from bot.outbox import queue
from bot.services.checkins import Seat, seat_of
from bot.services.rounds import add_match, engine_member
from matching import Match as EngineMatch
from matching import Reasons, may_meet


async def on_blocked(session: AsyncSession, message: OutboxMessage) -> None:
    """Delivery hook for a 403: the recipient stops being matched; an intro's partners hear about it."""
    if message.user_id is None:
        return
    person = await session.get(User, message.user_id)
    if person is None:
        return
    memberships = await session.scalars(select(Membership).where(
        Membership.user_id == person.id, Membership.status == MembershipStatus.ACTIVE))
    for membership in memberships:
        membership.status, membership.paused_until = MembershipStatus.PAUSED, None
    if message.kind != "intro" or message.match_id is None:
        return
    seat = await seat_of(session, person, message.match_id)
    if seat is None:
        return
    for partner in seat.partners:
        if partner.telegram_id is None:
            continue
        await queue(session, notifications.partner_unreachable(partner, person, message.match_id))


WAITING = "waiting_for_partner"


def can_meet(one: User, other: User) -> bool:
    """The engine's own hard rule (format and city), so a replacement partner is one a round could pick."""
    return may_meet(engine_member(one), engine_member(other))


async def _blocked_either_way(session: AsyncSession, one: int, other: int) -> bool:
    found = await session.scalar(select(Block.user_id).where(
        ((Block.user_id == one) & (Block.blocked_user_id == other))
        | ((Block.user_id == other) & (Block.blocked_user_id == one))))
    return found is not None


class Replacement(enum.Enum):
    FOUND = "found"
    WAITING = "waiting"  # nobody free now: the asker waits in the round's left-out list
    NOT_NEEDED = "not_needed"  # a partner is still there, or the asker already has a new match


@dataclass(frozen=True)
class ReplacementOutcome:
    status: Replacement
    partner: User | None = None


async def needs_replacement(session: AsyncSession, seat: Seat) -> bool:
    """Only someone left alone may ask: every partner erased their profile, left, was paused (a blocked bot
    pauses them) — and the asker has no newer match in this round (a second press finds nobody twice)."""
    for partner in seat.partners:
        if not await _dropped_out(session, seat, partner):
            return False
    newer = await session.scalar(select(MatchMember.match_id).join(Match).where(
        MatchMember.user_id == seat.member.user_id, Match.round_id == seat.match.round_id,
        Match.id > seat.match.id))
    return newer is None


async def _dropped_out(session: AsyncSession, seat: Seat, partner: User) -> bool:
    """Erased, gone from the community or paused, or said they cannot make it this round."""
    partner_seat = next((s for s in seat.match.members if s.user_id == partner.id), None)
    if partner.telegram_id is None or (partner_seat and partner_seat.no_reason is NoMeetingReason.CANT_MAKE_IT):
        return True
    return await session.scalar(select(Membership.id).where(
        Membership.user_id == partner.id, Membership.community_id == seat.community.id,
        Membership.status == MembershipStatus.ACTIVE)) is None


async def cant_make_it(session: AsyncSession, seat: Seat, now: datetime) -> bool:
    """The person cannot meet this round: their partners are told, and one left alone may ask for someone new.
    False when they already answered for this match (a second press changes nothing)."""
    if seat.member.outcome is not None or seat.member.no_reason is not None:
        return False
    seat.member.outcome, seat.member.no_reason = Outcome.NOT_MET, NoMeetingReason.CANT_MAKE_IT
    seat.member.checked_in_at = now
    dropped = await session.get(User, seat.member.user_id)
    assert dropped is not None
    staying = [p for p in seat.partners if not await _dropped_out(session, seat, p)]
    for partner in staying:
        alone = len(staying) == 1
        await queue(session, notifications.partner_cant_make_it(partner, dropped, seat.match.id, alone))
    await session.commit()
    return True


async def find_new_partner(session: AsyncSession, seat: Seat) -> ReplacementOutcome:
    """Pair the asker with someone this round left out, or with another member whose partner also dropped
    out. When nobody is free the asker waits in the round's left-out list for the next such person."""
    if not await needs_replacement(session, seat):
        return ReplacementOutcome(Replacement.NOT_NEEDED)
    asker = await session.get(User, seat.member.user_id)
    assert asker is not None
    waiting = await session.scalars(
        select(RoundLeftOut).where(RoundLeftOut.round_id == seat.match.round_id).order_by(RoundLeftOut.user_id)
    )
    for candidate in waiting:
        other = await session.get(User, candidate.user_id)
        if (other is None or other.telegram_id is None or other.id == asker.id or not can_meet(asker, other)
                or await _blocked_either_way(session, asker.id, other.id)):
            continue
        await session.delete(candidate)
        pair = EngineMatch(members=(asker.id, other.id), repeat=False, score=0.0, reasons=Reasons())
        await add_match(session, seat.match.round, seat.community, pair, {asker.id: asker, other.id: other})
        await session.commit()
        return ReplacementOutcome(Replacement.FOUND, other)
    if await session.get(RoundLeftOut, (seat.match.round_id, asker.id)) is None:
        session.add(RoundLeftOut(round_id=seat.match.round_id, user_id=asker.id, reason=WAITING))
    await session.commit()
    return ReplacementOutcome(Replacement.WAITING)
