"""Who has met whom in a community: the one history the matching engine sees, for rounds and meetups alike.

A *round* in this history is one occasion on which members met, numbered 1, 2, … in time order: a regular
round (all its pairs, trios or small groups, at the time the round was made) or a formed meetup (all its
groups, at the meetup's start). The engine reads the number for recency: a pair that met in an older round
costs less to meet again, and `matching.groups` looks at one occasion at a time. The next occasion gets the
number after the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.models import Match, Meetup, MeetupGroup, MeetupStatus, Round
from matching import Meeting

Occasion = tuple[datetime, int, int, list[tuple[int, ...]]]  # when, rounds before meetups, id, each meeting's people


@dataclass(frozen=True)
class History:
    meetings: tuple[Meeting, ...]
    next_round: int


async def community_history(session: AsyncSession, community_id: int) -> History:
    occasions = await _rounds(session, community_id) + await _meetups(session, community_id)
    occasions.sort(key=lambda occasion: occasion[:3])
    meetings = tuple(Meeting(people, number) for number, (_, _, _, groups) in enumerate(occasions, start=1)
                     for people in groups)
    return History(meetings, len(occasions) + 1)


async def _rounds(session: AsyncSession, community_id: int) -> list[Occasion]:
    rounds = await session.scalars(
        select(Round).options(selectinload(Round.matches).selectinload(Match.members))
        .where(Round.community_id == community_id))
    return [(past.created_at, 0, past.id, [tuple(seat.user_id for seat in match.members) for match in past.matches])
            for past in rounds]


async def _meetups(session: AsyncSession, community_id: int) -> list[Occasion]:
    groups = await session.scalars(
        select(MeetupGroup).options(selectinload(MeetupGroup.members)).join(Meetup)
        .where(Meetup.community_id == community_id, Meetup.status == MeetupStatus.FORMED))
    by_meetup: dict[int, list[MeetupGroup]] = {}
    for group in groups:
        by_meetup.setdefault(group.meetup_id, []).append(group)
    starts = dict((await session.execute(
        select(Meetup.id, Meetup.starts_at).where(Meetup.id.in_(by_meetup)))).tuples().all())
    return [(starts[meetup_id], 1, meetup_id, [tuple(seat.user_id for seat in group.members) for group in found])
            for meetup_id, found in by_meetup.items()]
