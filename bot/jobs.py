"""Scheduled work: each job opens its own session and calls services; their commits wake the outbox."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community
from bot.outbox import purge_sent
from bot.services import checkins, delivery_reports, feedback, meetups, rounds

log = logging.getLogger(__name__)


class Jobs:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def communities(self) -> list[Community]:
        async with self.sessionmaker() as session:
            return list(await session.scalars(select(Community).order_by(Community.id)))

    async def round(self, community_id: int) -> rounds.RoundSummary | None:
        async with self.sessionmaker() as session:
            community = await session.get(Community, community_id)
            if community is None:
                return None
            summary = await rounds.run_due_round(session, community, utcnow())
        return summary

    async def catch_up(self) -> None:
        """At start-up: a period missed while the bot was down runs once (only the latest one)."""
        for community in await self.communities():
            try:
                await self.round(community.id)
            except Exception:
                log.exception("catch-up round for community %s failed", community.id)

    async def housekeeping(self) -> None:
        now = utcnow()
        async with self.sessionmaker() as session:
            sent = await checkins.send_due_reminders(session, now)
            sent += await checkins.send_due_checkins(session, now)
            sent += await checkins.send_due_follow_ups(session, now)
            sent += await feedback.send_due_digests(session, now)
            sent += await meetups.send_due_meetup_checkins(session, now)
            sent += await delivery_reports.report_failed_deliveries(session, now)
            for due in await meetups.meetups_due(session, now):
                formed = await meetups.form_meetup_groups(session, due)
                sent += formed.participants if formed else 0
            await purge_sent(session, now)
