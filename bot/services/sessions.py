"""Group sessions: invitations, RSVPs until the deadline, group formation and rosters."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import notifications
from bot.db.models import (
    Community,
    GroupSession,
    Match,
    MeetingFormat,
    Membership,
    MembershipStatus,
    Round,
    SessionConnection,
    SessionGroup,
    SessionGroupMember,
    SessionRsvp,
    SessionStatus,
    User,
)
from bot.outbox import queue
from bot.services.communities import is_row_id
from bot.services.rounds import blocked_pairs, engine_member, seed_for
from matching import Instance, Meeting, form_groups


@dataclass(frozen=True)
class NewSession:
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


async def create_session(session: AsyncSession, community: Community, new: NewSession) -> GroupSession:
    """Store the session and queue an invitation to every active member (and the linked group chat)."""
    created = GroupSession(community_id=community.id, **new.__dict__)
    session.add(created)
    await session.flush()
    await queue(session, *(notifications.meetup_invitation(person, created, community)
                           for person in await active_members(session, community.id)))
    if community.chat_id is not None:
        await queue(session, notifications.meetup_invitation_in_group(community.chat_id, created, community))
    await session.commit()
    return created


async def meetup(session: AsyncSession, meetup_id: int) -> GroupSession | None:
    """The meetup a button names; None for an unknown or forged id."""
    return await session.get(GroupSession, meetup_id) if is_row_id(meetup_id) else None


async def group_and_meetup(session: AsyncSession, group_id: int) -> tuple[SessionGroup, GroupSession] | None:
    """A meetup's group and the meetup it belongs to; None for an unknown or forged id."""
    group = await session.get(SessionGroup, group_id) if is_row_id(group_id) else None
    gs = await session.get(GroupSession, group.session_id) if group is not None else None
    return None if group is None or gs is None else (group, gs)


class RsvpOutcome(enum.StrEnum):
    SAVED = "saved"
    CLOSED = "closed"
    NOT_MEMBER = "not_member"


async def answer_rsvp(session: AsyncSession, user: User, gs: GroupSession, coming: bool, now: datetime) -> RsvpOutcome:
    if gs.status is not SessionStatus.OPEN or gs.rsvp_deadline <= now:
        return RsvpOutcome.CLOSED
    member = await session.scalar(select(Membership.id).where(
        Membership.user_id == user.id, Membership.community_id == gs.community_id,
        Membership.status != MembershipStatus.LEFT))
    if member is None or not user.has_confirmed_profile:
        return RsvpOutcome.NOT_MEMBER
    answer = await session.get(SessionRsvp, (gs.id, user.id))
    if answer is None:
        session.add(SessionRsvp(session_id=gs.id, user_id=user.id, coming=coming, answered_at=now))
    else:
        answer.coming, answer.answered_at = coming, now
    await session.commit()
    return RsvpOutcome.SAVED


async def yes_count(session: AsyncSession, session_id: int) -> int:
    count = await session.scalar(select(func.count()).select_from(SessionRsvp).where(
        SessionRsvp.session_id == session_id, SessionRsvp.coming.is_(True)))
    return int(count or 0)


@dataclass(frozen=True)
class Upcoming:
    session: GroupSession
    coming: bool | None
    yes: int


async def upcoming_for(session: AsyncSession, user: User, now: datetime) -> list[Upcoming]:
    mine = select(Membership.community_id).where(Membership.user_id == user.id,
                                                 Membership.status != MembershipStatus.LEFT)
    sessions = await session.scalars(
        select(GroupSession).options(selectinload(GroupSession.community))
        .where(GroupSession.community_id.in_(mine), GroupSession.starts_at > now).order_by(GroupSession.starts_at)
    )
    result = []
    for gs in sessions:
        answer = await session.get(SessionRsvp, (gs.id, user.id))
        result.append(Upcoming(gs, answer.coming if answer else None, await yes_count(session, gs.id)))
    return result


async def community_meetings(session: AsyncSession, community_id: int) -> list[Meeting]:
    """Who has already met in this community: round matches and earlier session groups."""
    meetings = []
    matches = await session.scalars(
        select(Match).options(selectinload(Match.members)).join(Round).where(Round.community_id == community_id)
        .order_by(Round.id)
    )
    for number, match in enumerate(matches, start=1):
        meetings.append(Meeting(tuple(member.user_id for member in match.members), number))
    groups = await session.scalars(
        select(SessionGroup).options(selectinload(SessionGroup.members)).join(GroupSession)
        .where(GroupSession.community_id == community_id, GroupSession.status == SessionStatus.FORMED)
    )
    for group in groups:
        meetings.append(Meeting(tuple(member.user_id for member in group.members), len(meetings) + 1))
    return meetings


@dataclass(frozen=True)
class Formed:
    groups: int
    participants: int
    repeats: int


async def form_session_groups(session: AsyncSession, gs: GroupSession) -> Formed | None:
    """Split the yeses into groups (fresh acquaintances first) and queue every participant's roster."""
    if gs.status is not SessionStatus.OPEN:
        return None
    community = await session.get(Community, gs.community_id)
    assert community is not None
    people = list(await session.scalars(
        select(User).join(SessionRsvp).where(SessionRsvp.session_id == gs.id, SessionRsvp.coming.is_(True),
                                            User.telegram_id.is_not(None)).order_by(User.id)))
    gs.status = SessionStatus.FORMED
    if not people:
        await session.commit()
        return Formed(0, 0, 0)
    by_id = {person.id: person for person in people}
    instance = Instance(members=tuple(engine_member(person) for person in people),
                        history=tuple(await community_meetings(session, community.id)),
                        blocked=tuple(await blocked_pairs(session, list(by_id))))
    result = form_groups(instance, gs.group_size, seed=seed_for(community, f"session-{gs.id}"),
                         by_interest=gs.by_interest)
    for number, group in enumerate(result.groups, start=1):
        row = SessionGroup(session_id=gs.id, number=number)
        session.add(row)
        await session.flush()
        members = [by_id[member_id] for member_id in group.members]
        for person in members:
            session.add(SessionGroupMember(group_id=row.id, user_id=person.id))
        for person in members:
            await queue(session, *notifications.rosters(person, gs, community, row, members))
    await session.commit()
    return Formed(len(result.groups), len(people), result.repeats)


async def sessions_due(session: AsyncSession, now: datetime) -> list[GroupSession]:
    rows = await session.scalars(select(GroupSession).where(
        GroupSession.status == SessionStatus.OPEN, GroupSession.rsvp_deadline <= now))
    return list(rows)


async def open_sessions(session: AsyncSession, community_ids: list[int]) -> list[GroupSession]:
    rows = await session.scalars(select(GroupSession).where(
        GroupSession.community_id.in_(community_ids), GroupSession.status == SessionStatus.OPEN)
        .order_by(GroupSession.starts_at))
    return list(rows)


SESSION_CHECKIN_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class GroupSeat:
    member: SessionGroupMember
    session: GroupSession
    others: list[User]
    connected: set[int]


async def group_seat(session: AsyncSession, user: User, group_id: int) -> GroupSeat | None:
    """None when the person was not in that group (a forged or foreign button)."""
    if not is_row_id(group_id):
        return None
    member = await session.get(SessionGroupMember, (group_id, user.id))
    group = await session.get(SessionGroup, group_id, options=[selectinload(SessionGroup.members)
                                                               .selectinload(SessionGroupMember.user)])
    if member is None or group is None:
        return None
    gs = await session.get(GroupSession, group.session_id)
    assert gs is not None
    connected = set(await session.scalars(select(SessionConnection.other_user_id).where(
        SessionConnection.group_id == group_id, SessionConnection.user_id == user.id)))
    others = [m.user for m in group.members if m.user_id != user.id and m.user.telegram_id is not None]
    return GroupSeat(member, gs, others, connected)


async def send_due_session_checkins(session: AsyncSession, now: datetime) -> int:
    due = list(await session.scalars(select(GroupSession).where(
        GroupSession.status == SessionStatus.FORMED, GroupSession.checkin_sent_at.is_(None),
        GroupSession.starts_at <= now - SESSION_CHECKIN_AFTER)))
    sent = 0
    for gs in due:
        gs.checkin_sent_at = now
        rows = await session.execute(
            select(SessionGroupMember.group_id, User).join(User).join(SessionGroup)
            .where(SessionGroup.session_id == gs.id, User.telegram_id.is_not(None)))
        for group_id, person in rows.all():
            await queue(session, notifications.meetup_checkin(person, gs, group_id))
            sent += 1
    await session.commit()
    return sent


async def rate_session(session: AsyncSession, seat: GroupSeat, stars: int) -> bool:
    if not 1 <= stars <= 5:
        return False
    seat.member.rating = stars
    await session.commit()
    return True


async def toggle_connection(session: AsyncSession, seat: GroupSeat, other_id: int) -> bool:
    if other_id not in {other.id for other in seat.others}:
        return False
    key = (seat.member.group_id, seat.member.user_id, other_id)
    existing = await session.get(SessionConnection, key)
    if existing is None:
        session.add(SessionConnection(group_id=key[0], user_id=key[1], other_user_id=other_id))
        seat.connected.add(other_id)
    else:
        await session.delete(existing)
        seat.connected.discard(other_id)
    await session.commit()
    return True


async def set_group_place(session: AsyncSession, group: SessionGroup, place: str) -> int:
    """Store a group's own place or link and tell its members; returns how many were told."""
    group.place = place
    gs = await session.get(GroupSession, group.session_id)
    assert gs is not None
    members = list(await session.scalars(select(User).join(SessionGroupMember).where(
        SessionGroupMember.group_id == group.id, User.telegram_id.is_not(None))))
    await queue(session, *(notifications.group_place(person, gs, group, place) for person in members))
    await session.commit()
    return len(members)


async def groups_of(session: AsyncSession, session_id: int) -> list[SessionGroup]:
    rows = await session.scalars(select(SessionGroup).where(SessionGroup.session_id == session_id)
                                 .order_by(SessionGroup.number))
    return list(rows)
