"""Where the process is measured: an update middleware (count, latency, log context), the scheduler's lag, and
a timed round job. The metrics themselves are defined in `bot.metrics`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.base import BaseScheduler

from bot.logs import log_context
from bot.metrics import SCHEDULER_LAG, UPDATE_SECONDS, UPDATES, observe_round

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
T = TypeVar("T")


def update_type(update: Update) -> str:
    try:
        return update.event_type
    except Exception:  # aiogram raises UpdateTypeLookupError for a kind it does not know
        return "unknown"


class UpdateMetricsMiddleware(BaseMiddleware):
    """Outermost update middleware: counts each update by type and outcome, times it, and binds its id to
    every log record written while it is handled."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        kind = update_type(event)
        started = time.perf_counter()
        outcome = "error"
        try:
            with log_context(update_id=event.update_id):
                result = await handler(event, data)
            outcome = "unhandled" if result is UNHANDLED else "handled"
            return result
        finally:
            UPDATES.labels(type=kind, outcome=outcome).inc()
            UPDATE_SECONDS.labels(type=kind).observe(time.perf_counter() - started)


def watch_scheduler(scheduler: BaseScheduler) -> None:
    """Record how late each job is submitted compared with when it was due (a blocked event loop, a busy
    executor or a sleeping machine all show up here)."""

    def on_submitted(event: JobSubmissionEvent) -> None:
        if event.scheduled_run_times:
            lag = (datetime.now(UTC) - max(event.scheduled_run_times)).total_seconds()
            SCHEDULER_LAG.labels(job=str(event.job_id).split(":")[0]).observe(max(lag, 0.0))

    scheduler.add_listener(on_submitted, EVENT_JOB_SUBMITTED)


def timed_round(run_round: Callable[[int], Awaitable[T]]) -> Callable[[int], Awaitable[T]]:
    """A round job that is counted, timed, and logs with its community id."""

    async def run(community_id: int) -> T:
        with log_context(community_id=community_id), observe_round():
            return await run_round(community_id)

    return run
