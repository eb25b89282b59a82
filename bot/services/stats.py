"""/stats: a community's numbers for the admin's summary and charts, in a handful of aggregate queries.

Memberships keep no history of their status, so "members over time" counts people by the week they joined,
split by their status today. Offered and wanted topics are the phrases of members' own words (the engine's
`matching.text.phrases`: "I can help with X and Y" gives X and Y), counted across current members.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Row, String, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.models import (
    Community,
    Match,
    MatchMember,
    Meetup,
    MeetupConnection,
    MeetupGroup,
    Membership,
    MembershipStatus,
    Outcome,
    Round,
    RoundLeftOut,
    User,
)
from bot.db.update_session import release_connection
from matching.text import phrases

TOP_TOPICS = 8
STATUSES = ("active", "paused", "left", "banned")


@dataclass(frozen=True)
class RoundNumbers:
    created_at: datetime
    matched: int  # people in the round's matches
    left_out: int
    answered: int  # check-in answers (one per person asked)
    met: int
    ratings: int
    rating_sum: int

    @property
    def met_rate(self) -> float | None:
        return self.met / self.answered if self.answered else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.ratings if self.ratings else None


@dataclass(frozen=True)
class CommunityStats:
    statuses: dict[str, int]  # STATUSES → members now (left: left without a ban)
    profiles: int  # current members with a finished profile
    weeks: list[date]  # Mondays from the first join to this week
    joined_by_week: dict[str, list[int]]  # status now → members who had joined by each week
    rounds: list[RoundNumbers]
    offered: list[tuple[str, int]]  # most offered topics, most first
    wanted: list[tuple[str, int]]
    interests: list[tuple[str, int]]
    connections: dict[int, int]  # new introductions → how many current members had that many

    @property
    def members(self) -> int:
        return self.statuses["active"] + self.statuses["paused"]


async def community_stats(session: AsyncSession, community: Community, now: datetime) -> CommunityStats:
    """Everything /stats shows; the update's connection is given back afterwards (charts take a while).

    Core rows, not ORM objects (10,000 members' rows through the ORM cost more than the queries); each distinct
    text is split into phrases once, in a worker thread while the database sums up the rounds."""
    connection = await session.connection()
    memberships = (await connection.execute(
        select(Membership.joined_at, Membership.status, Membership.banned_at.is_not(None))
        .where(Membership.community_id == community.id))).all()
    kinds = [("banned" if banned else MembershipStatus(status).value, joined) for joined, status, banned in memberships]
    statuses = Counter(kind for kind, _ in kinds)
    people = (await connection.execute(
        select(cast(User.interests, String), User.offers, User.needs, User.profile_confirmed_at.is_not(None))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, Membership.status != MembershipStatus.LEFT))).all()
    topics = asyncio.create_task(asyncio.to_thread(_topics, people))
    try:
        numbers = await _rounds(connection, community.id)
        connections = await _connections(connection, community.id)
    finally:
        offered, wanted, interests = await topics
    await release_connection(session)
    weeks, joined_by_week = _weekly(kinds, now)
    return CommunityStats(
        statuses={status: statuses[status] for status in STATUSES},
        profiles=sum(1 for *_, finished in people if finished),
        weeks=weeks, joined_by_week=joined_by_week, rounds=numbers, offered=offered, wanted=wanted,
        interests=interests, connections=connections,
    )


Topics = list[tuple[str, int]]


def _topics(people: Sequence[Row[Any]]) -> tuple[Topics, Topics, Topics]:
    """Most offered and wanted phrases and most chosen interests (CPU work: run in a thread)."""
    interests: Counter[str] = Counter()
    for text, count in Counter(text for text, *_ in people).items():
        for tag in (json.loads(text) if text else None) or ():
            interests[tag] += count
    return (_top_phrases(Counter(offers for _, offers, _, _ in people)),
            _top_phrases(Counter(needs for _, _, needs, _ in people)), _most(interests))


def _monday(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _weekly(kinds: list[tuple[str, datetime]], now: datetime) -> tuple[list[date], dict[str, list[int]]]:
    """Mondays from the first join to now, and per status how many had joined by the end of each week."""
    if not kinds:
        return [], {status: [] for status in STATUSES}
    first, last = min(_monday(joined) for _, joined in kinds), _monday(now)
    weeks = [first + timedelta(weeks=index) for index in range((last - first).days // 7 + 1)]
    new = Counter((kind, _monday(joined)) for kind, joined in kinds)
    series: dict[str, list[int]] = {}
    for status in STATUSES:
        total, counts = 0, []
        for week in weeks:
            total += new[status, week]
            counts.append(total)
        series[status] = counts
    return weeks, series


def _top_phrases(texts: Counter[str | None]) -> Topics:
    """The most frequent phrases, counted once per person, shown in their most common spelling; `texts`: each
    distinct text with the number of people who wrote it."""
    counts: Counter[frozenset[str]] = Counter()
    spellings: dict[frozenset[str], Counter[str]] = {}
    for text, people in texts.items():
        for phrase in {phrase.stems: phrase for phrase in phrases(text or "")}.values():
            counts[phrase.stems] += people
            spellings.setdefault(phrase.stems, Counter())[phrase.text] += people
    shown = Counter({spellings[stems].most_common(1)[0][0]: count for stems, count in counts.items()})
    return _most(shown)


def _most(counts: Counter[str]) -> Topics:
    """The TOP_TOPICS most counted, ties in alphabetical order (the same on every run)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_TOPICS]


async def _rounds(connection: AsyncConnection, community_id: int) -> list[RoundNumbers]:
    seats = (await connection.execute(
        select(Match.round_id, func.count(), func.count(MatchMember.outcome),
               func.sum(case((MatchMember.outcome == Outcome.MET, 1), else_=0)),
               func.count(MatchMember.rating), func.coalesce(func.sum(MatchMember.rating), 0).cast(Integer))
        .join(Match, Match.id == MatchMember.match_id).join(Round, Round.id == Match.round_id)
        .where(Round.community_id == community_id).group_by(Match.round_id))).tuples().all()
    by_round = {row[0]: row[1:] for row in seats}
    left = dict((await connection.execute(
        select(RoundLeftOut.round_id, func.count()).join(Round, Round.id == RoundLeftOut.round_id)
        .where(Round.community_id == community_id).group_by(RoundLeftOut.round_id))).tuples().all())
    rounds = (await connection.execute(
        select(Round.id, Round.created_at).where(Round.community_id == community_id)
        .order_by(Round.created_at, Round.id))).tuples().all()
    numbers = []
    for round_id, created_at in rounds:
        matched, answered, met, ratings, rating_sum = by_round.get(round_id, (0, 0, 0, 0, 0))
        numbers.append(RoundNumbers(created_at, matched, left.get(round_id, 0), answered, int(met or 0), ratings,
                                    int(rating_sum or 0)))
    return numbers


async def _connections(connection: AsyncConnection, community_id: int) -> dict[int, int]:
    """How many current members have had how many new introductions: a round's match that the engine did not mark
    as a repeat counts one (a trio too), and so does each person they said they connected with at a session.
    One pass over the community's seats: counting distinct partners took seconds at 10,000 members and 100
    rounds."""
    introduced = dict((await connection.execute(
        select(MatchMember.user_id, func.count())
        .join(Match, Match.id == MatchMember.match_id).join(Round, Round.id == Match.round_id)
        .where(Round.community_id == community_id, Match.is_repeat.is_(False))
        .group_by(MatchMember.user_id))).tuples().all())
    connected = dict((await connection.execute(
        select(MeetupConnection.user_id, func.count())
        .join(MeetupGroup, MeetupGroup.id == MeetupConnection.group_id).join(Meetup, Meetup.id == MeetupGroup.meetup_id)
        .where(Meetup.community_id == community_id).group_by(MeetupConnection.user_id))).tuples().all())
    current = await connection.scalars(select(Membership.user_id).where(
        Membership.community_id == community_id, Membership.status != MembershipStatus.LEFT))
    return dict(Counter(introduced.get(user_id, 0) + connected.get(user_id, 0) for user_id in current))
