"""Group sessions: invitations, RSVPs until the deadline, group formation and rosters."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import notifications
from bot.db.models import (
    Community,
    MeetingFormat,
    Meetup,
    MeetupConnection,
    MeetupGroup,
    MeetupGroupMember,
    MeetupRsvp,
    MeetupStatus,
    Membership,
    MembershipStatus,
    User,
)
from bot.domain.meetups import Rsvp
from bot.outbox import queue
from bot.services.claims import claim
from bot.services.communities import is_row_id
from bot.services.history import community_history
from bot.services.rounds import blocked_pairs, engine_member, seed_for
from matching import Instance, form_groups


@dataclass(frozen=True)
class NewMeetup:
    title: str
    starts_at: datetime
    rsvp_deadline: datetime
    group_size: int
    meeting_format: MeetingFormat
    place: str | None
    by_interest: bool


async def active_members(session: AsyncSession, community_id: int) -> list[User]:
    rows = await session.scalars(
        select(User).join(Membership).where(
            Membership.community_id == community_id, Membership.status == MembershipStatus.ACTIVE,
            User.profile_confirmed_at.is_not(None), User.telegram_id.is_not(None))
        .order_by(User.id)
    )
    return list(rows)


async def create_meetup(session: AsyncSession, community: Community, new: NewMeetup) -> Meetup:
    """Store the session and queue an invitation to every active member (and the linked group chat)."""
    created = Meetup(community_id=community.id, **new.__dict__)
    session.add(created)
    await session.flush()
    await queue(session, *(notifications.meetup_invitation(person, created, community)
                           for person in await active_members(session, community.id)))
    if community.chat_id is not None:
        await queue(session, notifications.meetup_invitation_in_group(community.chat_id, created, community))
    await session.commit()
    return created


async def by_id(session: AsyncSession, meetup_id: int) -> Meetup | None:
    """The meetup a button names (with its community); None for an unknown or forged id."""
    if not is_row_id(meetup_id):
        return None
    return await session.get(Meetup, meetup_id, options=[selectinload(Meetup.community)])


async def group_and_meetup(session: AsyncSession, group_id: int) -> tuple[MeetupGroup, Meetup] | None:
    """A meetup's group and the meetup it belongs to; None for an unknown or forged id."""
    group = await session.get(MeetupGroup, group_id) if is_row_id(group_id) else None
    meetup = await session.get(Meetup, group.meetup_id) if group is not None else None
    return None if group is None or meetup is None else (group, meetup)


class RsvpOutcome(enum.StrEnum):
    SAVED = "saved"
    CLOSED = "closed"
    NOT_MEMBER = "not_member"


async def answer_rsvp(session: AsyncSession, user: User, meetup: Meetup, answer: Rsvp, now: datetime) -> RsvpOutcome:
    if meetup.status is not MeetupStatus.OPEN or meetup.rsvp_deadline <= now:
        return RsvpOutcome.CLOSED
    member = await session.scalar(select(Membership.id).where(
        Membership.user_id == user.id, Membership.community_id == meetup.community_id,
        Membership.status != MembershipStatus.LEFT))
    if member is None or not user.has_confirmed_profile:
        return RsvpOutcome.NOT_MEMBER
    row = await session.get(MeetupRsvp, (meetup.id, user.id))
    if row is None:
        session.add(MeetupRsvp(meetup_id=meetup.id, user_id=user.id, coming=answer.coming, answered_at=now))
    else:
        row.coming, row.answered_at = answer.coming, now
    await session.commit()
    return RsvpOutcome.SAVED


async def answer_of(session: AsyncSession, user: User, meetup_id: int) -> Rsvp | None:
    """The person's answer to a meetup; None when they have not answered."""
    row = await session.get(MeetupRsvp, (meetup_id, user.id))
    return None if row is None else Rsvp.of(row.coming)


async def answer_counts(session: AsyncSession, meetup_id: int) -> tuple[int, int, int]:
    """How many said yes, maybe and no."""
    rows = (await session.execute(select(MeetupRsvp.coming, func.count()).where(MeetupRsvp.meetup_id == meetup_id)
                                  .group_by(MeetupRsvp.coming))).tuples().all()
    tally = {Rsvp.of(coming): int(number) for coming, number in rows}
    return tally.get(Rsvp.YES, 0), tally.get(Rsvp.MAYBE, 0), tally.get(Rsvp.NO, 0)


async def answers_to(session: AsyncSession, meetup_id: int) -> list[tuple[User, Rsvp]]:
    """Everyone who answered a meetup (erased people's answers are gone with them), in the order they did."""
    rows = await session.execute(
        select(User, MeetupRsvp.coming).join(MeetupRsvp, MeetupRsvp.user_id == User.id)
        .where(MeetupRsvp.meetup_id == meetup_id, User.deleted_at.is_(None))
        .order_by(MeetupRsvp.answered_at, User.id))
    return [(person, Rsvp.of(coming)) for person, coming in rows.tuples().all()]


@dataclass(frozen=True)
class Upcoming:
    session: Meetup
    answer: Rsvp | None  # the reader's own
    yes: int
    member: bool  # may answer (a member of its community)
    organiser: bool  # administers its community: sees the answers
    counts: tuple[int, int, int]  # yes, maybe, no


async def upcoming_for(session: AsyncSession, user: User, now: datetime,
                       organised: Sequence[int] = ()) -> list[Upcoming]:
    """Upcoming meetups of the person's communities and of the communities they administer (`organised`,
    ids whose rights the caller checked)."""
    mine = set(await session.scalars(select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.status != MembershipStatus.LEFT)))
    sessions = await session.scalars(
        select(Meetup).options(selectinload(Meetup.community))
        .where(Meetup.community_id.in_(mine | set(organised)), Meetup.starts_at > now).order_by(Meetup.starts_at)
    )
    result = []
    for meetup in sessions:
        counts = await answer_counts(session, meetup.id)
        result.append(Upcoming(meetup, await answer_of(session, user, meetup.id), counts[0],
                               meetup.community_id in mine, meetup.community_id in organised, counts))
    return result


@dataclass(frozen=True)
class Formed:
    groups: int
    participants: int
    repeats: int


async def form_meetup_groups(session: AsyncSession, meetup: Meetup) -> Formed | None:
    """Split the yeses into groups (fresh acquaintances first) and queue every participant's roster."""
    if meetup.status is not MeetupStatus.OPEN or not await claim(
            session, Meetup.status, [meetup.id], MeetupStatus.FORMED, still=MeetupStatus.OPEN):
        return None  # formed already, here or by another replica
    community = await session.get(Community, meetup.community_id)
    assert community is not None
    people = list(await session.scalars(
        select(User).join(MeetupRsvp).where(MeetupRsvp.meetup_id == meetup.id, MeetupRsvp.coming.is_(True),
                                            User.telegram_id.is_not(None)).order_by(User.id)))
    meetup.status = MeetupStatus.FORMED
    if not people:
        await session.commit()
        return Formed(0, 0, 0)
    by_id = {person.id: person for person in people}
    past = await community_history(session, community.id)
    instance = Instance(members=tuple(engine_member(person) for person in people), history=past.meetings,
                        blocked=tuple(await blocked_pairs(session, list(by_id))), round=past.next_round)
    # One venue or one call: only blocks and languages keep people apart, not their usual format or city.
    result = form_groups(instance, meetup.group_size, seed=seed_for(community, f"session-{meetup.id}"),
                         by_interest=meetup.by_interest, one_place=True)
    for left_id in result.left_out:
        await queue(session, notifications.meetup_left_out(by_id[left_id], meetup))
    for number, group in enumerate(result.groups, start=1):
        row = MeetupGroup(meetup_id=meetup.id, number=number)
        session.add(row)
        await session.flush()
        members = [by_id[member_id] for member_id in group.members]
        for person in members:
            session.add(MeetupGroupMember(group_id=row.id, user_id=person.id))
        for person in members:
            await queue(session, *notifications.rosters(person, meetup, community, row, members))
    await session.commit()
    return Formed(len(result.groups), len(people), result.repeats)


async def meetups_due(session: AsyncSession, now: datetime) -> list[Meetup]:
    rows = await session.scalars(select(Meetup).where(
        Meetup.status == MeetupStatus.OPEN, Meetup.rsvp_deadline <= now))
    return list(rows)


async def open_meetups(session: AsyncSession, community_ids: list[int]) -> list[Meetup]:
    rows = await session.scalars(select(Meetup).where(
        Meetup.community_id.in_(community_ids), Meetup.status == MeetupStatus.OPEN)
        .order_by(Meetup.starts_at))
    return list(rows)


MEETUP_CHECKIN_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class GroupSeat:
    member: MeetupGroupMember
    session: Meetup
    others: list[User]
    connected: set[int]


async def group_seat(session: AsyncSession, user: User, group_id: int) -> GroupSeat | None:
    """None when the person was not in that group (a forged or foreign button)."""
    if not is_row_id(group_id):
        return None
    member = await session.get(MeetupGroupMember, (group_id, user.id))
    group = await session.get(MeetupGroup, group_id, options=[selectinload(MeetupGroup.members)
                                                               .selectinload(MeetupGroupMember.user)])
    if member is None or group is None:
        return None
    meetup = await session.get(Meetup, group.meetup_id)
    assert meetup is not None
    connected = set(await session.scalars(select(MeetupConnection.other_user_id).where(
        MeetupConnection.group_id == group_id, MeetupConnection.user_id == user.id)))
    others = [m.user for m in group.members if m.user_id != user.id and m.user.telegram_id is not None]
    return GroupSeat(member, meetup, others, connected)


async def send_due_meetup_checkins(session: AsyncSession, now: datetime) -> int:
    due = list(await session.scalars(select(Meetup).where(
        Meetup.status == MeetupStatus.FORMED, Meetup.checkin_sent_at.is_(None),
        Meetup.starts_at <= now - MEETUP_CHECKIN_AFTER)))
    mine = await claim(session, Meetup.checkin_sent_at, [meetup.id for meetup in due], now)
    sent = 0
    for meetup in (meetup for meetup in due if meetup.id in mine):
        rows = await session.execute(
            select(MeetupGroupMember.group_id, User).join(User).join(MeetupGroup)
            .where(MeetupGroup.meetup_id == meetup.id, User.telegram_id.is_not(None)))
        for group_id, person in rows.all():
            await queue(session, notifications.meetup_checkin(person, meetup, group_id))
            sent += 1
    await session.commit()
    return sent


async def rate_meetup(session: AsyncSession, seat: GroupSeat, stars: int) -> bool:
    if not 1 <= stars <= 5:
        return False
    seat.member.rating = stars
    await session.commit()
    return True


async def toggle_connection(session: AsyncSession, seat: GroupSeat, other_id: int) -> bool:
    if other_id not in {other.id for other in seat.others}:
        return False
    key = (seat.member.group_id, seat.member.user_id, other_id)
    existing = await session.get(MeetupConnection, key)
    if existing is None:
        session.add(MeetupConnection(group_id=key[0], user_id=key[1], other_user_id=other_id))
        seat.connected.add(other_id)
    else:
        await session.delete(existing)
        seat.connected.discard(other_id)
    await session.commit()
    return True


async def set_group_place(session: AsyncSession, group: MeetupGroup, place: str) -> int:
    """Store a group's own place or link and tell its members; returns how many were told."""
    group.place = place
    meetup = await session.get(Meetup, group.meetup_id)
    assert meetup is not None
    members = list(await session.scalars(select(User).join(MeetupGroupMember).where(
        MeetupGroupMember.group_id == group.id, User.telegram_id.is_not(None))))
    await queue(session, *(notifications.group_place(person, meetup, group, place) for person in members))
    await session.commit()
    return len(members)


async def groups_of(session: AsyncSession, meetup_id: int) -> list[MeetupGroup]:
    rows = await session.scalars(select(MeetupGroup).where(MeetupGroup.meetup_id == meetup_id)
                                 .order_by(MeetupGroup.number))
    return list(rows)
