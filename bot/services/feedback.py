"""After a round's check-ins close: a feedback digest for the community's admins, and (if the community turned
it on with /moments) a short post in its linked group about how many coffees happened, without names.

Check-ins close CLOSE_AFTER after they were sent. Housekeeping claims each closed round once across replicas
(`Round.digest_sent_at`, see services.claims) and queues the digest to every admin, in their own language, and
the group post, in the same transaction. The same digest is shown later from /stats (`feedback_for`).

Comments are shown without names: members were told a comment is seen only by the organisers, and nobody
agreed to be named next to it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import notifications
from bot.db.models import Community, CommunityAdmin, Match, MatchMember, NoMeetingReason, Outcome, Round, User
from bot.domain.language import DEFAULT_LANGUAGE
from bot.outbox import queue
from bot.services.claims import claim

CLOSE_AFTER = timedelta(days=3)
RECENT = 3  # rounds offered as buttons under /stats


@dataclass(frozen=True)
class RoundFeedback:
    round_id: int
    number: int  # the community's first round is 1
    created_at: datetime
    matched: int  # people in the round's matches
    answered: int  # people who answered the check-in
    met: int  # people who met someone
    coffees: int  # matches in which someone met
    no_shows: int  # people who said their partner never answered
    cant_make_it: int  # people who said on the intro that they could not make it
    ratings: dict[int, int] = field(default_factory=dict)  # stars → people
    comments: list[tuple[int | None, str]] = field(default_factory=list)  # (rating, comment), oldest first

    @property
    def unanswered(self) -> int:
        return self.matched - self.answered

    @property
    def met_rate(self) -> float | None:
        return self.met / self.answered if self.answered else None

    @property
    def average_rating(self) -> float | None:
        rated = sum(self.ratings.values())
        return sum(stars * count for stars, count in self.ratings.items()) / rated if rated else None


async def round_feedback(session: AsyncSession, round_: Round) -> RoundFeedback:
    """The numbers of one round, summed up by the database; comments in the order they were given."""
    seats = (await session.execute(
        select(MatchMember.match_id, MatchMember.outcome, MatchMember.no_reason, MatchMember.rating,
               MatchMember.comment, MatchMember.checked_in_at)
        .join(Match, Match.id == MatchMember.match_id).where(Match.round_id == round_.id))).tuples().all()
    number = await session.scalar(select(func.count()).select_from(Round).where(
        Round.community_id == round_.community_id, Round.id <= round_.id))
    comments = sorted(((rating, comment, at) for _, _, _, rating, comment, at in seats if comment),
                      key=lambda seat: (seat[2] is None, seat[2] or round_.created_at))
    return RoundFeedback(
        round_id=round_.id, number=int(number or 0), created_at=round_.created_at, matched=len(seats),
        answered=sum(1 for _, outcome, *_ in seats if outcome is not None),
        met=sum(1 for _, outcome, *_ in seats if outcome is Outcome.MET),
        coffees=len({match_id for match_id, outcome, *_ in seats if outcome is Outcome.MET}),
        no_shows=sum(1 for _, _, reason, *_ in seats if reason is NoMeetingReason.NO_ANSWER),
        cant_make_it=sum(1 for _, _, reason, *_ in seats if reason is NoMeetingReason.CANT_MAKE_IT),
        ratings=dict(Counter(rating for *_, rating, _, _ in seats if rating is not None)),
        comments=[(rating, comment) for rating, comment, _ in comments],
    )


async def feedback_for(session: AsyncSession, community: Community, round_id: int) -> RoundFeedback | None:
    """A round's feedback for /stats; None when the round is not this community's (a forged or stale button)."""
    round_ = await session.get(Round, round_id)
    if round_ is None or round_.community_id != community.id:
        return None
    return await round_feedback(session, round_)


async def recent_rounds(session: AsyncSession, community: Community) -> list[tuple[int, int]]:
    """(round id, number) of the community's latest rounds whose check-ins were sent, latest first."""
    rows = (await session.execute(
        select(Round.id, Round.checkin_sent_at).where(Round.community_id == community.id).order_by(Round.id)
    )).tuples().all()
    numbered = [(round_id, number) for number, (round_id, sent) in enumerate(rows, start=1) if sent is not None]
    return list(reversed(numbered[-RECENT:]))


async def send_due_digests(session: AsyncSession, now: datetime) -> int:
    """Queue the digest (and the group post) of every round whose check-ins closed; each round once across
    replicas. The number of messages queued."""
    due = list(await session.scalars(select(Round.id).where(
        Round.checkin_sent_at <= now - CLOSE_AFTER, Round.digest_sent_at.is_(None))))
    mine = await claim(session, Round.digest_sent_at, due, now)
    queued = 0
    for round_id in sorted(mine):
        round_ = await session.get(Round, round_id)
        community = await session.get(Community, round_.community_id) if round_ is not None else None
        if round_ is None or community is None:
            continue
        feedback = await round_feedback(session, round_)
        if feedback.matched == 0:
            continue
        for admin in await _admins(session, community.id):
            rows = notifications.feedback_digest(admin, community, feedback)
            await queue(session, *rows)
            queued += len(rows)
        if community.moments and community.chat_id is not None and feedback.coffees > 0:
            owner = await session.get(User, community.owner_id) if community.owner_id is not None else None
            language = owner.language if owner is not None else DEFAULT_LANGUAGE
            await queue(session, notifications.community_moment(community, feedback.coffees, language))
            queued += 1
    await session.commit()
    return queued


async def _admins(session: AsyncSession, community_id: int) -> list[User]:
    return list(await session.scalars(
        select(User).join(CommunityAdmin, CommunityAdmin.user_id == User.id)
        .where(CommunityAdmin.community_id == community_id, User.telegram_id.is_not(None)).order_by(User.id)))


async def set_moments(session: AsyncSession, community: Community, on: bool) -> None:
    """/moments: the group post after each round, on or off (off by default)."""
    community.moments = on
    await session.commit()
