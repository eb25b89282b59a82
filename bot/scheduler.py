"""APScheduler wiring. The database is the source of truth; jobs are rebuilt from it at start-up."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.db.models import Community
from bot.domain.schedule import Schedule

log = logging.getLogger(__name__)

RoundRunner = Callable[[int], Awaitable[object]]
Housekeeping = Callable[[], Awaitable[object]]


class RoundTrigger(BaseTrigger):  # type: ignore[misc]  # apscheduler 3 has no type hints
    """Fires at the community's scheduled moments (`Schedule.next`), compared in UTC.

    Not a CronTrigger: APScheduler 3.11's cron trigger, asked for the fire time after the second occurrence of a
    time the autumn clock change repeats (02:30 in Berlin on the last Sunday of October), returns that same
    moment again, and the scheduler's loop over missed run times never ends — the whole bot would hang. Here the
    next moment is always strictly later in UTC: a repeated local time fires once (its first occurrence) and a
    skipped one (02:30 on the spring night) fires at the same instant read with the winter offset (03:30)."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    @property
    def timezone(self) -> str:
        return self.schedule.timezone

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        after = now - timedelta(microseconds=1) if previous_fire_time is None else previous_fire_time
        return self.schedule.next(after.astimezone(UTC))

    def __str__(self) -> str:
        s = self.schedule
        return f"round[{s.frequency.value} weekday={s.weekday} {s.hour:02d}:{s.minute:02d} {s.timezone}]"

    def __repr__(self) -> str:
        return f"<RoundTrigger {self}>"


def round_trigger(community: Community) -> RoundTrigger:
    """Fires at each scheduled moment; the round service makes one round per period however often it runs."""
    return RoundTrigger(Schedule.of(community))


class RoundScheduler:
    def __init__(self, run_round: RoundRunner, housekeeping: Housekeeping, housekeeping_seconds: float = 60) -> None:
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.run_round = run_round
        self.scheduler.add_job(housekeeping, IntervalTrigger(seconds=housekeeping_seconds), id="housekeeping",
                               max_instances=1, coalesce=True, replace_existing=True)

    def sync(self, community: Community) -> None:
        """(Re)build one community's round job, e.g. after /schedule changed it: no restart needed. An archived
        community has none."""
        if community.archived_at is not None:
            self.forget(community.id)
            return
        self.scheduler.add_job(
            self.run_round, round_trigger(community), args=[community.id], id=f"round:{community.id}",
            replace_existing=True, max_instances=1, coalesce=True, misfire_grace_time=None,
        )

    def forget(self, community_id: int) -> None:
        """No more round job for this community (archived or deleted)."""
        if self.scheduler.get_job(f"round:{community_id}") is not None:
            self.scheduler.remove_job(f"round:{community_id}")

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
