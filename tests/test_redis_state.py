"""Redis (REDIS_URL set), against the real Redis server: the questionnaire's state in aiogram's RedisStorage, /delete
erasing it in every chat through the storage interface, the shared send pacer (global rate, per-chat spacing,
a 429 pausing every replica, pacing alone while Redis is down); and migrations by several processes at once."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_dispatcher
from bot.config import Settings
from bot.outbox.pacing import SharedPacer
from bot.redis_state import IndexedRedisStorage, redis_state
from tests.support.databases import SERVER_URL, _on_server
from tests.support.driver import Person
from tests.support.fake_telegram import FakeTelegram
from tests.support.process import free_port
from tests.support.replicas import REDIS_URL, redis_prefix
from tests.support.updates import TgUser, UpdateFactory

__all__ = ["redis_prefix"]  # the fixture


@pytest.fixture
async def redis(redis_prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
async def redis_dispatcher(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], redis_prefix: str
                           ) -> AsyncIterator[Dispatcher]:
    storage, isolation = redis_state(REDIS_URL, redis_prefix)
    yield create_dispatcher(settings, sessionmaker, isolation, storage)
    await storage.close()


async def keys_of(redis: Redis, prefix: str, user_id: int) -> list[bytes]:
    return [key async for key in redis.scan_iter(match=f"{prefix}:*") if f":{user_id}:".encode() in key + b":"]


async def test_delete_erases_the_persons_state_in_every_chat(
        redis_dispatcher: Dispatcher, bot: Bot, tg: FakeTelegram, redis: Redis, redis_prefix: str) -> None:
    updates = UpdateFactory()
    alice = Person(TgUser(7, "Alice"), redis_dispatcher, bot, tg, updates)
    admin = Person(TgUser(8, "Olga"), redis_dispatcher, bot, tg, updates)
    created = admin.like("admin.created", community="Guild").search(
        " ".join(m.plain_text for m in await admin.say("/newcommunity Guild")))
    assert created is not None
    await alice.say(f"/start {created['link'].split('?start=')[1]}")  # the questionnaire begins: state in Redis
    storage = redis_dispatcher.storage
    assert isinstance(storage, IndexedRedisStorage)
    in_group = StorageKey(bot_id=bot.id, chat_id=-100123, user_id=alice.id)
    await storage.set_state(in_group, "Elsewhere:waiting")  # state in another chat (a group)
    await storage.set_data(in_group, {"note": "kept about Alice"})
    bob = StorageKey(bot_id=bot.id, chat_id=9, user_id=9)
    await storage.set_data(bob, {"note": "Bob's"})
    assert len(await keys_of(redis, redis_prefix, alice.id)) >= 4  # state and data in two chats, and the index

    await alice.say("/cancel")  # the draft is kept
    await alice.say("/delete")
    await alice.press_key("delete.yes")
    assert alice.last is not None and alice.last.plain_text == alice.tr("delete.done")
    assert await keys_of(redis, redis_prefix, alice.id) == []
    assert await storage.get_state(in_group) is None and await storage.get_data(in_group) == {}
    assert await storage.get_data(bob) == {"note": "Bob's"}  # nobody else's state is touched


async def test_shared_pacer_keeps_one_rate_and_per_chat_spacing_across_replicas(redis_prefix: str) -> None:
    clients = [Redis.from_url(REDIS_URL) for _ in range(3)]
    pacers = [SharedPacer(client, redis_prefix, 42, rate=40.0) for client in clients]
    sent: list[tuple[float, int]] = []

    async def send(index: int, chat: int) -> None:
        await pacers[index % 3].acquire(chat)
        sent.append((time.monotonic(), chat))

    try:
        await asyncio.gather(*(send(i, 1000 + i) for i in range(120)))  # 120 chats: the global rate
        times = sorted(at for at, _ in sent)
        sent.clear()
        await asyncio.gather(*(send(i, i % 3) for i in range(15)))  # 3 chats, 5 each: 1 per second per chat
    finally:
        for client in clients:
            await client.aclose()
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 0.9 * 40 <= rate <= 1.05 * 40, rate
    for chat in range(3):
        at = sorted(t for t, c in sent if c == chat)
        assert len(at) == 5 and min(b - a for a, b in itertools.pairwise(at)) >= 0.95, chat


async def test_a_429_pauses_every_replica(redis_prefix: str) -> None:
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        one, other = SharedPacer(first, redis_prefix, 42, 10.0), SharedPacer(second, redis_prefix, 42, 10.0)
        await one.acquire(1)
        one.pause(1.5)
        await asyncio.sleep(0.1)  # the pause is shared in the background
        started = time.monotonic()
        await other.acquire(2)
        assert time.monotonic() - started >= 1.2
    finally:
        await first.aclose()
        await second.aclose()


async def test_without_redis_a_replica_paces_itself(caplog: pytest.LogCaptureFixture) -> None:
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    pacer = SharedPacer(dead, "coffee_test_unreachable", 42, rate=20.0)
    started = time.monotonic()
    try:
        for chat in range(11):
            await pacer.acquire(chat)
    finally:
        await dead.aclose()
    assert time.monotonic() - started >= 10 / 20
    assert "pacing this replica alone" in caplog.text


async def test_replicas_starting_together_migrate_one_after_another() -> None:
    """Three processes migrate one fresh PostgreSQL database at the same moment: all succeed (advisory lock)."""
    name = f"coffee_test_{os.getpid()}_{secrets.token_hex(4)}_migrate"
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    await _on_server(f'CREATE DATABASE "{name}"')
    try:
        code = f"from bot.db.migrate import upgrade_to_head; upgrade_to_head({url!r})"
        processes = [await asyncio.create_subprocess_exec(sys.executable, "-c", code,
                                                          stderr=asyncio.subprocess.PIPE) for _ in range(3)]
        results = [await asyncio.wait_for(process.communicate(), 300) for process in processes]
        assert [process.returncode for process in processes] == [0, 0, 0], [err.decode()[-2000:]
                                                                              for _, err in results]
    finally:
        await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
