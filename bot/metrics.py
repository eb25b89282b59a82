"""Prometheus metrics of the process (prometheus_client's default registry, served at /metrics).

Only prometheus_client here, so any layer may count something. What is read from elsewhere at scrape time
(outbox depth from the database, the delivery worker's counters) is collected by `bot.web`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram, disable_created_metrics

disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created sample beside each counter and histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

UPDATES = Counter(
    "coffee_updates", "Telegram updates by type and outcome (handled, unhandled, error, unparsed)",
    ["type", "outcome"],
)
UPDATE_SECONDS = Histogram(
    "coffee_update_handling_seconds", "Time from an update entering the dispatcher to its handler finishing",
    ["type"], buckets=LATENCY_BUCKETS,
)
ROUNDS = Counter("coffee_rounds", "Scheduled round jobs run, by outcome (the start-up catch-up and /matchnow "
                 "are not counted here)", ["outcome"])
ROUND_SECONDS = Histogram(
    "coffee_round_duration_seconds", "Duration of a scheduled round job",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
SCHEDULER_LAG = Histogram(
    "coffee_scheduler_lag_seconds", "How late a scheduled job started after its scheduled time", ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 3600.0),
)


def count_unparsed_update() -> None:
    UPDATES.labels(type="unknown", outcome="unparsed").inc()


@contextmanager
def observe_round() -> Iterator[None]:
    """Count a round and time it; an exception counts as `failed` and propagates."""
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield
        outcome = "done"
    finally:
        ROUNDS.labels(outcome=outcome).inc()
        ROUND_SECONDS.observe(time.perf_counter() - started)
