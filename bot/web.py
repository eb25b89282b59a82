"""The bot's web server (aiohttp): Telegram's webhook in webhook mode, and in both modes /healthz (the process
answers), /readyz (started, database reachable, Redis too if REDIS_URL is set) and /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.availability import first_line, ping
from bot.db.base import utcnow
from bot.db.models import OutboxMessage, OutboxStatus
from bot.metrics import count_unparsed_update
from bot.outbox import DeliveryStats

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 3.0


@dataclass
class Health:
    """What the probes look at. `started` turns true once start-up (migrations, Telegram, catch-up) is done."""

    engine: AsyncEngine
    redis_url: str | None = None
    started: bool = False
    _redis: Any = field(default=None, repr=False)

    async def problems(self) -> dict[str, str]:
        checks = {"database": self._database()}
        if self.redis_url:
            checks["redis"] = self._redis_ping()
        results = dict(zip(checks, await asyncio.gather(*checks.values()), strict=True))
        if not self.started:
            results["bot"] = "starting"
        return {name: problem for name, problem in results.items() if problem}

    async def _database(self) -> str:
        try:
            await ping(self.engine, PROBE_TIMEOUT)
        except Exception as error:
            return first_line(error)
        return ""

    async def _redis_ping(self) -> str:
        from redis.asyncio import Redis  # only when REDIS_URL is set

        if self._redis is None:
            self._redis = Redis.from_url(self.redis_url or "", socket_timeout=PROBE_TIMEOUT,
                                         socket_connect_timeout=PROBE_TIMEOUT)
        try:
            await asyncio.wait_for(self._redis.ping(), PROBE_TIMEOUT)
        except Exception as error:
            return first_line(error)
        return ""

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


class DeliveryCollector(Collector):
    """The outbox worker's counters, read at scrape time (the worker keeps them in DeliveryStats)."""

    OUTCOMES = ("sent", "failed", "blocked", "rate_limited", "retried")

    def __init__(self, stats: DeliveryStats) -> None:
        self.stats = stats

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(
            "coffee_delivery_messages", "Outbox messages by outcome: sent, failed, blocked (403), rate_limited "
            "(429 answers), retried (network or server error, tried again later)", labels=["outcome"])
        for outcome in self.OUTCOMES:
            family.add_metric([outcome], getattr(self.stats, outcome))
        yield family


class Scrape:
    """Metrics read from the database on each scrape, plus the process-wide ones."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], stats: DeliveryStats | None) -> None:
        self.sessionmaker = sessionmaker
        self.registry = CollectorRegistry(auto_describe=True)
        self.depth = Gauge("coffee_outbox_messages", "Outbox rows waiting (pending) or being sent (sending)",
                           ["status"], registry=self.registry)
        self.oldest = Gauge("coffee_outbox_oldest_due_age_seconds",
                            "How long the oldest pending outbox message has been due (0: none due)",
                            registry=self.registry)
        self.database_up = Gauge("coffee_database_up", "1 if the last scrape could query the database",
                                 registry=self.registry)
        if stats is not None:
            self.registry.register(DeliveryCollector(stats))

    async def refresh(self) -> None:
        now = utcnow()
        try:
            async with asyncio.timeout(PROBE_TIMEOUT), self.sessionmaker() as session:
                counts = dict((await session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
                    .group_by(OutboxMessage.status))).tuples().all())
                oldest = await session.scalar(select(func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now))
        except Exception as error:
            log.warning("metrics: the outbox could not be read: %s", first_line(error))
            self.database_up.set(0)
            return
        self.database_up.set(1)
        for status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            self.depth.labels(status=status.value).set(counts.get(status, 0))
        self.oldest.set(max((now - oldest) / timedelta(seconds=1), 0.0) if oldest is not None else 0.0)

    async def render(self) -> bytes:
        await self.refresh()
        return generate_latest(REGISTRY) + generate_latest(self.registry)


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler (the secret token is checked first: 401 without it), answering Telegram only once the
    update has been handled, so an update in flight when a replica dies is delivered again; an update that
    cannot be read is logged and acknowledged instead of being retried by Telegram for ever."""

    async def handle(self, request: web.Request) -> web.Response:
        try:
            return await super().handle(request)
        except ValueError as error:  # pydantic's ValidationError and a body that is not JSON
            count_unparsed_update()
            log.error("a webhook update cannot be read and is skipped: %s", first_line(error))
            return web.json_response({})


def create_web_app(
    settings: Settings,
    health: Health,
    scrape: Scrape,
    *,
    dispatcher: Dispatcher | None = None,
    bot: Bot | None = None,
) -> web.Application:
    """The routes; with a dispatcher and bot, also Telegram's webhook at the path of WEBHOOK_URL."""
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        problems = await health.problems()
        if problems:
            return web.json_response({"status": "unavailable", "problems": problems}, status=503)
        return web.json_response({"status": "ok"})

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=await scrape.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    if dispatcher is not None and bot is not None:
        WebhookHandler(dispatcher, bot, handle_in_background=False,
                       secret_token=settings.webhook_secret_token).register(app, path=settings.webhook_path)
        setup_application(app, dispatcher, bot=bot)
    return app


async def start_web_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=30.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("web server on %s:%s (/healthz /readyz /metrics)", host, port)
    return runner
