"""The web server's probes and metrics (bot/web.py) in process, on both databases, plus the settings behind
webhook mode and the JSON log format."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import SECRET_PATTERN, Settings
from bot.db.base import utcnow
from bot.db.engine import create_engine
from bot.db.models import OutboxMessage, OutboxStatus
from bot.logs import ContextFilter, log_context, setup_logging
from bot.outbox import DeliveryStats
from bot.web import Health, Scrape, create_web_app
from tests.support.process import TEST_TOKEN, free_port
from tests.support.prometheus import metric
from tests.support.updates import TgUser, UpdateFactory


@pytest.fixture
async def web(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[TestClient, Health, DeliveryStats]]:
    stats = DeliveryStats()
    health = Health(engine)
    async with TestClient(TestServer(create_web_app(settings, health, Scrape(sessionmaker, stats)))) as client:
        yield client, health, stats
    await health.close()


async def test_probes(web: tuple[TestClient, Health, DeliveryStats]) -> None:
    client, health, _ = web
    assert (await client.get("/healthz")).status == 200
    starting = await client.get("/readyz")
    assert starting.status == 503 and (await starting.json())["problems"] == {"bot": "starting"}
    health.started = True
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json()) == {"status": "ok"}


async def test_readyz_checks_redis_when_it_is_configured(engine: AsyncEngine) -> None:
    for url, ready in (("redis://127.0.0.1:6379/15", True), (f"redis://127.0.0.1:{free_port()}/0", False)):
        health = Health(engine, redis_url=url, started=True)
        try:
            problems = await health.problems()
        finally:
            await health.close()
        assert ("redis" not in problems) is ready, problems
        assert "database" not in problems


async def test_readyz_reports_an_unreachable_database() -> None:
    dead = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/coffee")
    try:
        problems = await Health(dead, started=True).problems()
    finally:
        await dead.dispose()
    assert set(problems) == {"database"}


async def test_metrics_show_the_outbox_and_delivery(
    web: tuple[TestClient, Health, DeliveryStats], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client, _, stats = web
    now = utcnow()
    async with sessionmaker() as session:
        session.add_all([
            OutboxMessage(chat_id=1, kind="intro", text="a", status=OutboxStatus.PENDING,
                          not_before=now - timedelta(seconds=90)),
            OutboxMessage(chat_id=2, kind="intro", text="b", status=OutboxStatus.PENDING,
                          not_before=now + timedelta(hours=1)),
            OutboxMessage(chat_id=3, kind="intro", text="c", status=OutboxStatus.SENDING, not_before=now),
            OutboxMessage(chat_id=4, kind="intro", text="d", status=OutboxStatus.SENT, not_before=now),
        ])
        await session.commit()
    stats.sent, stats.blocked, stats.rate_limited = 7, 2, 3
    response = await client.get("/metrics")
    assert response.status == 200 and response.content_type == "text/plain"
    text = await response.text()
    assert metric(text, "coffee_outbox_messages", status="pending") == 2
    assert metric(text, "coffee_outbox_messages", status="sending") == 1
    assert 90 <= metric(text, "coffee_outbox_oldest_due_age_seconds") < 600
    assert metric(text, "coffee_delivery_messages_total", outcome="sent") == 7
    assert metric(text, "coffee_delivery_messages_total", outcome="blocked") == 2
    assert metric(text, "coffee_delivery_messages_total", outcome="rate_limited") == 3
    assert metric(text, "coffee_database_up") == 1
    assert "process_cpu_seconds_total" in text or "python_info" in text


async def test_updates_are_counted_by_type_and_outcome(
    dispatcher: Dispatcher, bot: Bot, updates: UpdateFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    scrape = Scrape(sessionmaker, None)
    before = await scrape.render()
    user = TgUser(31, "Ida")
    await dispatcher.feed_raw_update(bot, updates.message(user, "/help"))
    await dispatcher.feed_raw_update(bot, updates.callback(user, "no-such-button", 1))
    after = (await scrape.render()).decode()
    for kind in ("message", "callback_query"):
        counted = sum(metric(after, "coffee_updates_total", type=kind, outcome=outcome)
                      - metric(before.decode(), "coffee_updates_total", type=kind, outcome=outcome)
                      for outcome in ("handled", "unhandled", "error"))
        assert counted == 1, kind
    assert metric(after, "coffee_update_handling_seconds_count", type="message") >= 1


def test_webhook_secret_is_derived_from_the_token_unless_given() -> None:
    derived = Settings(bot_token=TEST_TOKEN).webhook_secret_token  # type: ignore[arg-type]
    assert derived == Settings(bot_token=TEST_TOKEN).webhook_secret_token  # type: ignore[arg-type]
    assert SECRET_PATTERN.match(derived) and TEST_TOKEN.split(":")[1] not in derived
    other = Settings(bot_token="123456:ANOTHER-token-for-the-coffee-bot").webhook_secret_token  # type: ignore[arg-type]
    assert other != derived
    given = Settings(bot_token=TEST_TOKEN, webhook_secret="shared-secret_1")  # type: ignore[arg-type]
    assert given.webhook_secret_token == "shared-secret_1"


def test_web_server_settings() -> None:
    polling = Settings(bot_token=TEST_TOKEN)  # type: ignore[arg-type]
    assert polling.serve_port is None
    assert Settings(bot_token=TEST_TOKEN, web_port=9100).serve_port == 9100  # type: ignore[arg-type]
    hooked = Settings(bot_token=TEST_TOKEN, webhook_url="https://bot.example.com/tg/hook")  # type: ignore[arg-type]
    assert hooked.serve_port == 8080 and hooked.webhook_path == "/tg/hook"
    assert Settings(bot_token=TEST_TOKEN, webhook_url="https://bot.example.com").webhook_path == "/"  # type: ignore[arg-type]
    assert Settings(bot_token=TEST_TOKEN, database_url="postgres://u:p@db/coffee").database_url == (  # type: ignore[arg-type]
        "postgresql+asyncpg://u:p@db/coffee")


def test_json_logs_carry_the_update_and_community_ids() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        setup_logging("INFO", "json")
        stream = io.StringIO()
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler) and any(isinstance(f, ContextFilter)
                                                                  for f in handler.filters)
        handler.setStream(stream)
        with log_context(update_id=77), log_context(community_id=5):
            logging.getLogger("bot.test").info("hello %s", "there")
        logging.getLogger("bot.test").info("outside")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["message"] == "hello there" and inside["update_id"] == 77 and inside["community_id"] == 5
    assert inside["level"] == "INFO" and inside["logger"] == "bot.test" and "time" in inside
    assert "update_id" not in outside
