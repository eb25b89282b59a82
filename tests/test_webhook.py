"""Webhook mode end to end: `python -m bot` with WEBHOOK_URL registers its webhook with a secret token, the fake
Telegram server POSTs updates to it, a questionnaire goes on through it, a wrong secret is refused, and the same
web server answers the probes and serves metrics."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot.config import Settings
from bot.db.engine import create_engine
from tests.support.catalogue import en
from tests.support.databases import MigratedTemplates, empty_all_tables
from tests.support.fake_telegram import FakeTelegram
from tests.support.process import TEST_TOKEN, Client, bot_process, free_port, output_of
from tests.support.prometheus import metric
from tests.support.updates import TgUser, UpdateFactory

pytestmark = pytest.mark.e2e
GROUP = -100555


@pytest.fixture
async def postgres_url(templates: MigratedTemplates) -> str:
    url = await templates.postgres()
    engine = create_engine(url)
    await empty_all_tables(engine)
    await engine.dispose()
    return url


async def test_webhook_mode_end_to_end(tg: FakeTelegram, postgres_url: str, tmp_path: Path) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/updates"
    base = f"http://127.0.0.1:{port}"
    updates = UpdateFactory()
    alice = Client(tg, updates, TgUser(2, "Alice Smith", username="alice"))
    secret = Settings(bot_token=TEST_TOKEN).webhook_secret_token  # type: ignore[arg-type]

    async with bot_process(tg, postgres_url, tmp_path, WEBHOOK_URL=hook, WEB_HOST="127.0.0.1",
                           WEB_PORT=str(port)) as process, ClientSession() as http:
        registered = await tg.wait_for_call("setWebhook", timeout=60)
        assert registered.params["url"] == hook and registered.params["secret_token"] == secret
        assert {"message", "callback_query", "my_chat_member"} <= set(registered.params["allowed_updates"])
        assert not tg.calls_of("getUpdates")

        mark = tg.mark()
        tg.push_update(updates.my_chat_member(TgUser(1, "Olga", username="olga"), GROUP, "Product Guild"))
        welcome = await tg.wait_for_message(GROUP, contains=en.text("group.welcome", community="Product Guild"),
                                            after=mark, timeout=20)
        code = welcome.buttons[0][1].split("start=")[1]  # type: ignore[union-attr]
        await alice.say(f"/start {code}", contains=en.text("q.progress", number=1, total=11))
        await alice.press(en.label("q.name.keep", name="Alice Smith"), contains=en.text("q.about", low=10, high=500))
        await alice.say("Product manager in fintech, ex-founder.", contains=en.text("q.interests", most=10))
        assert all(d.status == 200 for d in tg.webhook_deliveries)

        intruder = updates.message(TgUser(66, "Mallory"), "/help")
        assert await tg.post_to_webhook(intruder, secret="not-the-secret") == 401
        assert await tg.post_to_webhook(intruder, secret=None) == 401
        broken = {"update_id": 990_001, "message": {"message_id": "not a number", "chat": {"id": 5}}}
        assert await tg.post_to_webhook(broken, secret=secret) == 200
        bob = Client(tg, updates, TgUser(3, "Bob"))
        await bob.say("/help", contains=en.text("help").splitlines()[0])  # still answering
        assert tg.messages(66) == []
        assert "update cannot be read and is skipped" in output_of(process)

        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
        async with http.get(f"{base}/readyz") as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["status"] == "ok"
        async with http.get(f"{base}/metrics") as response:
            assert response.status == 200 and response.content_type == "text/plain"
            metrics = await response.text()
        assert metric(metrics, "coffee_updates_total", type="message", outcome="handled") >= 3
        assert metric(metrics, "coffee_updates_total", type="callback_query", outcome="handled") >= 1
        assert metric(metrics, "coffee_updates_total", type="unknown", outcome="unparsed") == 1
        assert metric(metrics, "coffee_update_handling_seconds_count", type="message") >= 3
        assert metric(metrics, "coffee_database_up") == 1
        assert "coffee_outbox_messages{" in metrics and "coffee_outbox_oldest_due_age_seconds" in metrics
        assert "coffee_delivery_messages_total{" in metrics and "coffee_scheduler_lag_seconds" in metrics

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    assert tg.webhook_url == hook, "a stopping replica leaves the webhook to the others"
    assert not tg.calls_of("deleteWebhook")
