"""Nothing silently lost: messages Telegram refused for good are reported to their community's admins, once.

The outbox records every refusal (`failed` with Telegram's description). A housekeeping step looks at failed rows
not looked at before, traces each to its community (the row's own `community_id`, else its match's round) and
queues one report per community to each of its admins: who did not get what, and why. Every row looked at gets
`reported_at`, told or not, so nothing is reported twice and the scan stays small. Not reported: a person who
blocked the bot (their membership is paused and their partners are told already, see `replacements`) — except
for an announcement, whose admin learns who could not get it — and a report that itself failed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import notifications
from bot.db.models import Community, CommunityAdmin, Match, OutboxMessage, OutboxStatus, Round, User
from bot.outbox import queue

BATCH = 500  # failed rows looked at per housekeeping run; the rest wait for the next run
BLOCKED = "blocked"  # the outbox's error for a 403


async def report_failed_deliveries(session: AsyncSession, now: datetime) -> int:
    """Queue a report for each community with newly failed messages; return how many reports were queued."""
    rows = (await session.execute(
        select(OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.kind, OutboxMessage.error,
               func.coalesce(OutboxMessage.community_id, Round.community_id))
        .outerjoin(Match, Match.id == OutboxMessage.match_id).outerjoin(Round, Round.id == Match.round_id)
        .where(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.reported_at.is_(None))
        .order_by(OutboxMessage.id).limit(BATCH)
    )).tuples().all()
    if not rows:
        return 0
    failures: dict[int, dict[tuple[int | None, str], str]] = defaultdict(dict)
    for _, user_id, kind, error, community_id in rows:
        if community_id is not None and _reported(kind, error):
            failures[community_id].setdefault((user_id, _shown_kind(kind)), error or "")
    reports = 0
    for community_id, failed in failures.items():
        reports += await _report(session, community_id, failed)
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([row[0] for row in rows]))
                          .values(reported_at=now))
    await session.commit()
    return reports


def _reported(kind: str, error: str | None) -> bool:
    """A report's own failure is not reported; a block only for an announcement (its admin asked for it to reach
    everyone, and nobody else hears about the block) and for a post in the linked group (the bot was removed
    from the group, which only its admins can undo)."""
    return kind != notifications.DELIVERY_REPORT and (
        error != BLOCKED or kind in (notifications.ANNOUNCEMENT, notifications.COMMUNITY_MOMENT))


def _shown_kind(kind: str) -> str:
    """An intro's later parts are the same intro to the admin."""
    return "intro" if kind == notifications.INTRO_CONTINUED else kind


async def _report(session: AsyncSession, community_id: int, failed: dict[tuple[int | None, str], str]) -> int:
    community = await session.get(Community, community_id)
    if community is None:
        return 0
    people = {user.id: user for user in await session.scalars(
        select(User).where(User.id.in_([user_id for user_id, _ in failed if user_id is not None])))}
    lines = [(people.get(user_id) if user_id is not None else None, kind, error)
             for (user_id, kind), error in failed.items()]
    admins = list(await session.scalars(
        select(User).join(CommunityAdmin, CommunityAdmin.user_id == User.id)
        .where(CommunityAdmin.community_id == community_id, User.telegram_id.is_not(None)).order_by(User.id)))
    for admin in admins:
        await queue(session, *notifications.delivery_report(admin, community, lines))
    return len(admins)
