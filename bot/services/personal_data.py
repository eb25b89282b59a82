"""/mydata: everything the bot stores about one person, as plain data they can read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.base import Base
from bot.db.models import (
    Block,
    CheckinAnswer,
    Community,
    CommunityAdmin,
    FsmRecord,
    Match,
    MatchMember,
    Meetup,
    MeetupConnection,
    MeetupGroupMember,
    MeetupRsvp,
    Membership,
    OutboxMessage,
    User,
)

Record = dict[str, Any]


def columns(row: Base, *leave_out: str) -> Record:
    return {attribute.key: getattr(row, attribute.key) for attribute in inspect(row).mapper.column_attrs
            if attribute.key not in leave_out}


async def _rows(session: AsyncSession, model: type[Base], *where: Any) -> list[Any]:
    return list(await session.scalars(select(model).where(*where)))


def _name(seat: MatchMember, user_id: int) -> str | None:
    person = next((m.user for m in seat.match.members if m.user_id == user_id), None)
    return person.display_name or person.first_name if person else None


async def personal_data(session: AsyncSession, user: User) -> Record:
    """The person's profile, memberships, rights, matches (with partners' names only), blocks they made,
    meetup answers, messages queued or sent to them, and their unfinished questionnaire."""
    names = {community.id: community.name for community in await _rows(session, Community)}
    seats = list(await session.scalars(
        select(MatchMember).where(MatchMember.user_id == user.id)
        .options(selectinload(MatchMember.match).selectinload(Match.members).selectinload(MatchMember.user),
                 selectinload(MatchMember.match).selectinload(Match.round))))
    answers: dict[int, list[CheckinAnswer]] = {}
    for answer in await _rows(session, CheckinAnswer, CheckinAnswer.user_id == user.id):
        answers.setdefault(answer.match_id, []).append(answer)
    return {
        "profile": columns(user),
        "memberships": [{**columns(m, "id", "user_id"), "community": names.get(m.community_id)}
                        for m in await _rows(session, Membership, Membership.user_id == user.id)],
        "admin_of": [names.get(a.community_id)
                     for a in await _rows(session, CommunityAdmin, CommunityAdmin.user_id == user.id)],
        "matches": [{
            "community": names.get(seat.match.round.community_id), "period": seat.match.round.period,
            "partners": [m.user.display_name or m.user.first_name for m in seat.match.members
                         if m.user_id != user.id],
            **columns(seat, "match_id", "user_id"),
            "checkin_answers": [{"partner": _name(seat, answer.partner_id), **columns(answer, "match_id", "user_id")}
                                for answer in answers.get(seat.match_id, [])],
        } for seat in seats],
        "blocked_by_you": [b.blocked_user_id for b in await _rows(session, Block, Block.user_id == user.id)],
        "meetup_answers": [{**columns(rsvp, "user_id"), "title": title} for rsvp, title in (await session.execute(
            select(MeetupRsvp, Meetup.title).join(Meetup, Meetup.id == MeetupRsvp.meetup_id)
            .where(MeetupRsvp.user_id == user.id))).tuples()],
        "meetup_groups": [columns(g, "user_id")
                          for g in await _rows(session, MeetupGroupMember, MeetupGroupMember.user_id == user.id)],
        "meetup_connections": [columns(c, "user_id")
                               for c in await _rows(session, MeetupConnection, MeetupConnection.user_id == user.id)],
        "messages": [columns(m, "user_id", "reply_markup", "lease_until")
                     for m in await _rows(session, OutboxMessage, OutboxMessage.user_id == user.id)],
        "questionnaire": [columns(f) for f in await _rows(session, FsmRecord,
                                                          FsmRecord.telegram_user_id == user.telegram_id)],
    }
