"""During and after a round: reminders, check-ins, ratings, blocks, no-shows, follow-ups and /network.

A check-in asks each reader about each partner they are still meeting (not an erased one, nor one who said they
can't make it): a pair's reader one question, a trio's or group's reader one per partner in turn. Every answer
is kept per (match, reader, partner) in `checkin_answers`; `MatchMember.outcome` sums a reader's answers up
(met if they met anyone, else planned if anything is planned, else not met) for stats, ratings and reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased, selectinload

from bot import notifications
from bot.db.models import (
    Block,
    CheckinAnswer,
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

    @property
    def in_group(self) -> bool:
        """A trio or a group: the check-in asks about each partner."""
        return len(self.partners) > 1

    @property
    def asked(self) -> list[User]:
        """The partners a check-in asks about: see `still_meeting`."""
        return still_meeting(self.match, self.member.user_id)


def still_meeting(match: Match, reader_id: int) -> list[User]:
    """The reader's partners who may still have met them: not erased, and not one who said they can't make it."""
    return [seat.user for seat in match.members if seat.user_id != reader_id and seat.user.telegram_id is not None
            and seat.no_reason is not NoMeetingReason.CANT_MAKE_IT]


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
    """Members who have not checked in yet, with the partners they may still be meeting (`still_meeting`);
    erased people are skipped, and so is anyone with nobody left to meet."""
    seats = []
    for match in round_.matches:
        for member in match.members:
            partners = still_meeting(match, member.user_id)
            if member.outcome is None and member.user.telegram_id is not None and partners:
                seats.append((member, match, partners))
    return seats


async def send_due_reminders(session: AsyncSession, now: datetime) -> int:
    sent = 0
    for round_ in await _claim_due_rounds(session, Round.reminder_due_at, Round.reminder_sent_at, now):
        community = await session.get(Community, round_.community_id)
        zone = community.timezone if community is not None else "UTC"
        for member, _match, partners in _open_seats(round_):
            await queue(session, notifications.reminder(member.user, partners, member.match_id,
                                                        round_.checkin_due_at, zone))
            sent += 1
    await session.commit()
    return sent


async def send_due_checkins(session: AsyncSession, now: datetime, community_id: int | None = None) -> int:
    """Check-ins of every round due by `now`, or of one community's rounds only."""
    sent = 0
    for round_ in await _claim_due_rounds(session, Round.checkin_due_at, Round.checkin_sent_at, now, community_id):
        for member, match, partners in _open_seats(round_):
            await queue(session, notifications.checkin(member.user, partners, match.id, len(match.members) > 2))
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
        answers = await answers_of(session, seat)
        met = [partner for partner in seat.asked if answers.get(partner.id) is not Outcome.NOT_MET]
        if met:
            await queue(session, notifications.follow_up(member.user, met, member.match_id))
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
    """A pair's answer: about the one partner, and so for the whole match."""
    await _answer(session, seat, [partner.id for partner in seat.partners], outcome, now)
    seat.member.outcome, seat.member.checked_in_at = outcome, now
    if outcome is not Outcome.NOT_MET:
        seat.member.no_reason = None
    await session.commit()


@dataclass(frozen=True)
class Progress:
    """A trio's or group's check-in so far: whom it asks about (in order) and the answers given."""

    asked: list[User]
    answers: dict[int, Outcome]

    @property
    def waiting(self) -> list[User]:
        return [partner for partner in self.asked if partner.id not in self.answers]

    @property
    def met(self) -> list[User]:
        return [partner for partner in self.asked if self.answers.get(partner.id) is Outcome.MET]

    @property
    def outcome(self) -> Outcome | None:
        """The whole match for the reader once every partner is answered: met if they met anyone, else planned
        if a meeting is planned, else not met."""
        if self.waiting or not self.asked:
            return None
        given = set(self.answers.values())
        return next((outcome for outcome in (Outcome.MET, Outcome.PLANNED) if outcome in given), Outcome.NOT_MET)


async def answers_of(session: AsyncSession, seat: Seat) -> dict[int, Outcome]:
    """The reader's answers about their partners in this match, by partner."""
    rows = await session.execute(select(CheckinAnswer.partner_id, CheckinAnswer.outcome).where(
        CheckinAnswer.match_id == seat.match.id, CheckinAnswer.user_id == seat.member.user_id))
    return dict(rows.tuples().all())


async def progress_of(session: AsyncSession, seat: Seat) -> Progress:
    answers = await answers_of(session, seat)
    asked = seat.asked
    return Progress(asked, {partner.id: answers[partner.id] for partner in asked if partner.id in answers})


async def answer_about(session: AsyncSession, seat: Seat, partner_id: int, outcome: Outcome,
                       now: datetime) -> Progress | None:
    """A trio's or group's check-in answer about one partner; once every partner is answered, the match's
    outcome for the reader follows (`Progress.outcome`). None when the check-in does not ask about that person
    (not in this match, erased, or said they can't make it): a forged or out-of-date button."""
    if partner_id not in {partner.id for partner in seat.asked}:
        return None
    await _answer(session, seat, [partner_id], outcome, now)
    progress = await progress_of(session, seat)
    if (whole := progress.outcome) is not None:
        seat.member.outcome, seat.member.checked_in_at = whole, now
        if whole is not Outcome.NOT_MET:
            seat.member.no_reason = None
    await session.commit()
    return progress


async def _answer(session: AsyncSession, seat: Seat, partner_ids: list[int], outcome: Outcome,
                  now: datetime) -> None:
    """Keep the reader's answer about each of `partner_ids` (a second answer replaces the first: two presses at
    once leave one row)."""
    if not partner_ids:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(CheckinAnswer).values([
        {"match_id": seat.match.id, "user_id": seat.member.user_id, "partner_id": partner_id, "outcome": outcome,
         "answered_at": now} for partner_id in partner_ids])
    await session.execute(statement.on_conflict_do_update(
        index_elements=[CheckinAnswer.match_id, CheckinAnswer.user_id, CheckinAnswer.partner_id],
        set_={"outcome": statement.excluded.outcome, "answered_at": statement.excluded.answered_at}))


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
    """Record why; a partner reported as not answering in two consecutive rounds is paused. Returns them.
    (A pair's "no" is recorded here, with its reason; a trio's or group's answers about each partner are
    recorded already.)"""
    if not seat.in_group:
        await _answer(session, seat, [partner.id for partner in seat.partners], Outcome.NOT_MET, now)
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
    """People the person has met, each once (the latest meeting): round partners whose meeting with the reader
    nobody denied, and meetup connections; never someone the reader blocked, nor an erased person. (Someone
    who blocked the reader stays: a block is confidential.)

    Denied, per partner: either of the two said they can't make it, or the reader's answer about this partner
    — else, when the reader gave none, the partner's answer about the reader — is "we did not meet". So a
    trio's reader who met one partner and not the other lists only the one they met."""
    mine = aliased(MatchMember)
    said = aliased(CheckinAnswer)  # the reader's answer about the partner
    heard = aliased(CheckinAnswer)  # the partner's answer about the reader
    rows = await session.execute(
        select(MatchMember, Round.created_at, Community.name)
        .join(mine, (mine.match_id == MatchMember.match_id) & (mine.user_id == user.id))
        .outerjoin(said, (said.match_id == MatchMember.match_id) & (said.user_id == user.id)
                   & (said.partner_id == MatchMember.user_id))
        .outerjoin(heard, (heard.match_id == MatchMember.match_id) & (heard.user_id == MatchMember.user_id)
                   & (heard.partner_id == user.id))
        .join(Match, Match.id == MatchMember.match_id).join(Round, Round.id == Match.round_id)
        .join(Community, Community.id == Round.community_id)
        .options(selectinload(MatchMember.user))
        .where(MatchMember.user_id != user.id, _came(mine), _came(MatchMember),
               _not_denied(func.coalesce(said.outcome, heard.outcome))))
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


def _came(seat: type[MatchMember]) -> ColumnElement[bool]:
    """The person did not say they can't make it."""
    return or_(seat.no_reason.is_(None), seat.no_reason != NoMeetingReason.CANT_MAKE_IT)


def _not_denied(answer: ColumnElement[Outcome | None]) -> ColumnElement[bool]:
    return or_(answer.is_(None), answer != Outcome.NOT_MET)


async def send_checkins_now(session: AsyncSession, community: Community, now: datetime) -> int | None:
    """An admin's /checkin: ask this community's latest round now. None when it has no round yet."""
    latest = await latest_round(session, community)
    if latest is None:
        return None
    latest.checkin_due_at, latest.checkin_sent_at = now, None
    await session.commit()
    return await send_due_checkins(session, now, community.id)
