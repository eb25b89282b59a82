"""APScheduler wiring. The database is the source of truth; jobs are rebuilt from it at start-up."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.db.models import Community, Frequency

log = logging.getLogger(__name__)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

RoundRunner = Callable[[int], Awaitable[object]]
Housekeeping = Callable[[], Awaitable[object]]


def round_trigger(community: Community) -> CronTrigger:
    """Fires on every scheduled weekday; the round service skips weeks that are not due (idempotent)."""
    return CronTrigger(
        day_of_week=WEEKDAYS[community.schedule_weekday], hour=community.schedule_hour,
        minute=community.schedule_minute, day="1-7" if community.frequency is Frequency.MONTHLY else None,
        timezone=community.timezone,
    )


class RoundScheduler:
    def __init__(self, run_round: RoundRunner, housekeeping: Housekeeping, housekeeping_seconds: float = 60) -> None:
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.run_round = run_round
        self.scheduler.add_job(housekeeping, IntervalTrigger(seconds=housekeeping_seconds), id="housekeeping",
                               max_instances=1, coalesce=True, replace_existing=True)

    def sync(self, community: Community) -> None:
        """(Re)build one community's round job, e.g. after /schedule changed it: no restart needed."""
        self.scheduler.add_job(
            self.run_round, round_trigger(community), args=[community.id], id=f"round:{community.id}",
            replace_existing=True, max_instances=1, coalesce=True, misfire_grace_time=None,
        )

    def job_ids(self) -> set[str]:
        return {job.id for job in self.scheduler.get_jobs()}

    def start(self, communities: list[Community]) -> None:
        for community in communities:
            self.sync(community)
        self.scheduler.start()
        log.info("scheduler started with %d round jobs", len(communities))

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
