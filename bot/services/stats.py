"""/stats: a community's numbers for the admin's summary and charts, in a handful of aggregate queries.

Memberships keep no history of their status, so "members over time" counts people by the week they joined,
split by their status today. Offered and wanted topics are the phrases of members' own words (the engine's
`matching.text.phrases`: "I can help with X and Y" gives X and Y), counted across current members.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
    """Everything /stats shows; the update's connection is given back afterwards (charts take a while)."""
    memberships = (await session.execute(
        select(Membership.joined_at, Membership.status, Membership.banned_at.is_not(None))
        .where(Membership.community_id == community.id))).tuples().all()
    kinds = [("banned" if banned else status.value, joined) for joined, status, banned in memberships]
    statuses = Counter(kind for kind, _ in kinds)
    weeks, joined_by_week = _weekly(kinds, now)
    people = (await session.execute(
        select(User.interests, User.offers, User.needs, User.profile_confirmed_at.is_not(None))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, Membership.status != MembershipStatus.LEFT))).tuples().all()
    stats = CommunityStats(
        statuses={status: statuses[status] for status in STATUSES},
        profiles=sum(1 for *_, finished in people if finished),
        weeks=weeks, joined_by_week=joined_by_week,
        rounds=await _rounds(session, community.id),
        offered=_top_phrases(offers for _, offers, _, _ in people),
        wanted=_top_phrases(needs for _, _, needs, _ in people),
        interests=Counter(tag for interests, *_ in people for tag in interests or ()).most_common(TOP_TOPICS),
        connections=await _connections(session, community.id),
    )
    await release_connection(session)
    return stats


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


def _top_phrases(texts: Iterable[str | None]) -> list[tuple[str, int]]:
    """The most frequent phrases, counted once per person, shown in their most common spelling."""
    counts: Counter[frozenset[str]] = Counter()
    spellings: dict[frozenset[str], Counter[str]] = {}
    for text in texts:
        for phrase in {phrase.stems: phrase for phrase in phrases(text or "")}.values():
            counts[phrase.stems] += 1
            spellings.setdefault(phrase.stems, Counter())[phrase.text] += 1
    return [(spellings[stems].most_common(1)[0][0], count) for stems, count in counts.most_common(TOP_TOPICS)]


async def _rounds(session: AsyncSession, community_id: int) -> list[RoundNumbers]:
    seats = (await session.execute(
        select(Match.round_id, func.count(), func.count(MatchMember.outcome),
               func.sum(case((MatchMember.outcome == Outcome.MET, 1), else_=0)),
               func.count(MatchMember.rating), func.coalesce(func.sum(MatchMember.rating), 0).cast(Integer))
        .join(Match, Match.id == MatchMember.match_id).join(Round, Round.id == Match.round_id)
        .where(Round.community_id == community_id).group_by(Match.round_id))).tuples().all()
    by_round = {row[0]: row[1:] for row in seats}
    left = dict((await session.execute(
        select(RoundLeftOut.round_id, func.count()).join(Round, Round.id == RoundLeftOut.round_id)
        .where(Round.community_id == community_id).group_by(RoundLeftOut.round_id))).tuples().all())
    rounds = (await session.execute(
        select(Round.id, Round.created_at).where(Round.community_id == community_id)
        .order_by(Round.created_at, Round.id))).tuples().all()
    numbers = []
    for round_id, created_at in rounds:
        matched, answered, met, ratings, rating_sum = by_round.get(round_id, (0, 0, 0, 0, 0))
        numbers.append(RoundNumbers(created_at, matched, left.get(round_id, 0), answered, int(met or 0), ratings,
                                    int(rating_sum or 0)))
    return numbers


async def _connections(session: AsyncSession, community_id: int) -> dict[int, int]:
    """How many current members have had how many new introductions: a round's match that the engine did not mark
    as a repeat counts one (a trio too), and so does each person they said they connected with at a session.
    One pass over the community's seats: counting distinct partners took seconds at 10,000 members and 100
    rounds."""
    introduced = dict((await session.execute(
        select(MatchMember.user_id, func.count())
        .join(Match, Match.id == MatchMember.match_id).join(Round, Round.id == Match.round_id)
        .where(Round.community_id == community_id, Match.is_repeat.is_(False))
        .group_by(MatchMember.user_id))).tuples().all())
    connected = dict((await session.execute(
        select(MeetupConnection.user_id, func.count())
        .join(MeetupGroup, MeetupGroup.id == MeetupConnection.group_id).join(Meetup, Meetup.id == MeetupGroup.meetup_id)
        .where(Meetup.community_id == community_id).group_by(MeetupConnection.user_id))).tuples().all())
    current = await session.scalars(select(Membership.user_id).where(
        Membership.community_id == community_id, Membership.status != MembershipStatus.LEFT))
    return dict(Counter(introduced.get(user_id, 0) + connected.get(user_id, 0) for user_id in current))
