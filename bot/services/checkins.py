"""During and after a round: reminders, check-ins, ratings, blocks, no-shows, follow-ups and /network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased, selectinload

from bot import notifications
from bot.db.models import (
    Block,
    Community,
    Match,
    MatchMember,
    Meetup,
    MeetupConnection,
    MeetupGroup,
    Membership,
    MembershipStatus,
    NoMeetingReason,
    Outcome,
    Round,
    User,
)
from bot.outbox import queue
from bot.services.claims import claim
from bot.services.rounds import latest_round

FOLLOW_UP_AFTER = timedelta(days=30)
COMMENT_LIMIT = 200


@dataclass(frozen=True)
class Seat:
    """One person's place in a match, with the match, its round's community and the partners."""

    member: MatchMember
    match: Match
    community: Community
    partners: list[User]


async def seat_of(session: AsyncSession, user: User, match_id: int) -> Seat | None:
    """None when the person was not in that match (a forged or foreign button)."""
    member = await session.get(MatchMember, (match_id, user.id))
    if member is None:
        return None
    match = await session.scalar(
        select(Match).options(selectinload(Match.members).selectinload(MatchMember.user),
                              selectinload(Match.round)).where(Match.id == match_id)
    )
    assert match is not None
    community = await session.get(Community, match.round.community_id)
    assert community is not None
    partners = [m.user for m in match.members if m.user_id != user.id]
    return Seat(member, match, community, partners)


async def _claim_due_rounds(
    session: AsyncSession, due_column: InstrumentedAttribute[datetime | None],
    sent_column: InstrumentedAttribute[datetime | None],
    now: datetime, community_id: int | None = None,
) -> list[Round]:
    query = (
        select(Round).options(selectinload(Round.matches).selectinload(Match.members).selectinload(MatchMember.user))
        .where(due_column <= now, sent_column.is_(None))
    )
    if community_id is not None:
        query = query.where(Round.community_id == community_id)
    due = list(await session.scalars(query))
    mine = await claim(session, sent_column, [round_.id for round_ in due], now)  # other replicas get the rest
    return [round_ for round_ in due if round_.id in mine]


def _open_seats(round_: Round) -> list[tuple[MatchMember, Match, list[User]]]:
    """Members who have not checked in yet, with their partners; erased people are skipped."""
    seats = []
    for match in round_.matches:
        for member in match.members:
            if member.outcome is None and member.user.telegram_id is not None:
                seats.append((member, match, [m.user for m in match.members if m.user_id != member.user_id]))
    return seats


async def send_due_reminders(session: AsyncSession, now: datetime) -> int:
    sent = 0
    for round_ in await _claim_due_rounds(session, Round.reminder_due_at, Round.reminder_sent_at, now):
        for member, _match, partners in _open_seats(round_):
            await queue(session, notifications.reminder(member.user, partners, member.match_id))
            sent += 1
    await session.commit()
    return sent


async def send_due_checkins(session: AsyncSession, now: datetime, community_id: int | None = None) -> int:
    """Check-ins of every round due by `now`, or of one community's rounds only."""
    sent = 0
    for round_ in await _claim_due_rounds(session, Round.checkin_due_at, Round.checkin_sent_at, now, community_id):
        for member, match, partners in _open_seats(round_):
            await queue(session, notifications.checkin(member.user, partners, match.id))
            sent += 1
    await session.commit()
    return sent


async def send_due_follow_ups(session: AsyncSession, now: datetime) -> int:
    due = list(await session.scalars(
        select(MatchMember).options(selectinload(MatchMember.user))
        .where(MatchMember.follow_up_at <= now, MatchMember.follow_up_sent_at.is_(None))
    ))
    members = [member for member in due if await _claim_follow_up(session, member, now)]
    for member in members:
        seat = await seat_of(session, member.user, member.match_id)
        if seat is None or member.user.telegram_id is None:
            continue
        await queue(session, notifications.follow_up(member.user, seat.partners, member.match_id))
    await session.commit()
    return len(members)


async def _claim_follow_up(session: AsyncSession, member: MatchMember, now: datetime) -> bool:
    """MatchMember has a composite key, so the claim names it in full (see services.claims)."""
    claimed = await session.execute(
        update(MatchMember).where(MatchMember.match_id == member.match_id, MatchMember.user_id == member.user_id,
                                  MatchMember.follow_up_sent_at.is_(None))
        .values(follow_up_sent_at=now).execution_options(synchronize_session=False))
    return bool(getattr(claimed, "rowcount", 0))


async def record_outcome(session: AsyncSession, seat: Seat, outcome: Outcome, now: datetime) -> None:
    seat.member.outcome, seat.member.checked_in_at = outcome, now
    if outcome is not Outcome.NOT_MET:
        seat.member.no_reason = None
    await session.commit()


async def rate(session: AsyncSession, seat: Seat, stars: int) -> bool:
    if seat.member.outcome is not Outcome.MET or not 1 <= stars <= 5:
        return False
    seat.member.rating = stars
    await session.commit()
    return True


async def save_comment(session: AsyncSession, seat: Seat, text: str) -> None:
    seat.member.comment = text[:COMMENT_LIMIT]
    await session.commit()


async def ask_follow_up(session: AsyncSession, seat: Seat, now: datetime) -> None:
    seat.member.follow_up_at, seat.member.follow_up_sent_at = now + FOLLOW_UP_AFTER, None
    await session.commit()


async def block_partner(session: AsyncSession, seat: Seat, partner_id: int) -> User | None:
    """Confidential: the partner is never told. None when `partner_id` was not in the match."""
    partner = next((p for p in seat.partners if p.id == partner_id), None)
    if partner is None:
        return None
    if await session.get(Block, (seat.member.user_id, partner_id)) is None:
        session.add(Block(user_id=seat.member.user_id, blocked_user_id=partner_id))
    await session.commit()
    return partner


async def report_not_met(session: AsyncSession, seat: Seat, reason: NoMeetingReason, now: datetime) -> list[User]:
    """Record why; a partner reported as not answering in two consecutive rounds is paused. Returns them."""
    seat.member.outcome, seat.member.no_reason, seat.member.checked_in_at = Outcome.NOT_MET, reason, now
    paused = []
    if reason is NoMeetingReason.NO_ANSWER:
        for partner in seat.partners:
            if await _silent_in_previous_round(session, seat, partner):
                membership = await session.scalar(select(Membership).where(
                    Membership.user_id == partner.id, Membership.community_id == seat.community.id,
                    Membership.status == MembershipStatus.ACTIVE))
                if membership is not None and partner.telegram_id is not None:
                    membership.status, membership.paused_until = MembershipStatus.PAUSED, None
                    await queue(session, notifications.paused_for_no_show(partner, seat.community))
                    paused.append(partner)
    await session.commit()
    return paused


async def _silent_in_previous_round(session: AsyncSession, seat: Seat, partner: User) -> bool:
    previous = await session.scalar(
        select(Round.id).where(Round.community_id == seat.community.id, Round.id < seat.match.round_id)
        .order_by(Round.id.desc()).limit(1)
    )
    if previous is None:
        return False
    partner_matches = select(MatchMember.match_id).join(Match).where(
        Match.round_id == previous, MatchMember.user_id == partner.id)
    reported = await session.scalar(
        select(MatchMember.user_id).where(
            MatchMember.match_id.in_(partner_matches), MatchMember.user_id != partner.id,
            MatchMember.no_reason == NoMeetingReason.NO_ANSWER,
        ).limit(1)
    )
    return reported is not None


@dataclass(frozen=True)
class PastPartner:
    partner: User
    community: str
    met_on: datetime


async def network(session: AsyncSession, user: User, limit: int = 30) -> list[PastPartner]:
    """People the person has met, each once (the latest meeting): round partners unless the reader said they
    did not meet, and meetup connections; never someone the reader blocked, nor an erased person. (Someone
    who blocked the reader stays: a block is confidential.)"""
    mine = aliased(MatchMember)
    rows = await session.execute(
        select(MatchMember, Round.created_at, Community.name)
        .join(mine, (mine.match_id == MatchMember.match_id) & (mine.user_id == user.id))
        .join(Match, Match.id == MatchMember.match_id).join(Round, Round.id == Match.round_id)
        .join(Community, Community.id == Round.community_id)
        .options(selectinload(MatchMember.user))
        .where(MatchMember.user_id != user.id, _not_denied(mine)))
    found = [PastPartner(member.user, name, created) for member, created, name in rows.tuples()]
    at_meetups = await session.execute(
        select(User, Meetup.starts_at, Community.name)
        .join(MeetupConnection, MeetupConnection.other_user_id == User.id)
        .join(MeetupGroup, MeetupGroup.id == MeetupConnection.group_id)
        .join(Meetup, Meetup.id == MeetupGroup.meetup_id)
        .join(Community, Community.id == Meetup.community_id)
        .where(MeetupConnection.user_id == user.id))
    found += [PastPartner(other, name, starts) for other, starts, name in at_meetups.tuples()]
    blocked = set(await session.scalars(select(Block.blocked_user_id).where(Block.user_id == user.id)))
    latest: dict[int, PastPartner] = {}
    for past in sorted(found, key=lambda past: past.met_on):
        if past.partner.telegram_id is not None and past.partner.id not in blocked:
            latest[past.partner.id] = past
    return sorted(latest.values(), key=lambda past: past.met_on, reverse=True)[:limit]


def _not_denied(seat: type[MatchMember]) -> ColumnElement[bool]:
    return or_(seat.outcome.is_(None), seat.outcome != Outcome.NOT_MET)


async def send_checkins_now(session: AsyncSession, community: Community, now: datetime) -> int | None:
    """An admin's /checkin: ask this community's latest round now. None when it has no round yet."""
    latest = await latest_round(session, community)
    if latest is None:
        return None
    latest.checkin_due_at, latest.checkin_sent_at = now, None
    await session.commit()
    return await send_due_checkins(session, now, community.id)
