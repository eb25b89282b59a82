"""Several `python -m bot` replicas in webhook mode on one PostgreSQL and one real Redis, behind a round-robin
"reverse proxy" (FakeTelegram.webhook_targets), and a Redis key prefix of this test's own.

Redis is the real server at TEST_REDIS_URL (default redis://127.0.0.1:6379/0). Every test uses a unique key
prefix and deletes only the keys under it afterwards; nothing else in that Redis is touched."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import ClientError, ClientSession, ClientTimeout
from redis.asyncio import Redis

from tests.support.fake_telegram import FakeTelegram
from tests.support.process import bot_process, free_port, output_of

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STARTUP_SECONDS = 240.0
"""Three replicas import aiogram, SQLAlchemy and numpy at once on a small, busy machine: be patient."""


async def delete_prefix(redis: Redis, prefix: str) -> int:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)
    return len(keys)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"coffee_test_{os.getpid()}_{secrets.token_hex(4)}"
    yield prefix
    redis = Redis.from_url(REDIS_URL)
    try:
        await delete_prefix(redis, prefix)
    finally:
        await redis.aclose()


@dataclass
class Replica:
    port: int
    process: asyncio.subprocess.Process

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return output_of(self.process)


async def wait_ready(replica: Replica, timeout: float = STARTUP_SECONDS) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with ClientSession(timeout=ClientTimeout(total=5)) as http:
        while True:
            assert replica.process.returncode is None, replica.output()
            try:
                async with http.get(f"{replica.base}/readyz") as response:
                    if response.status == 200:
                        return
            except (ClientError, OSError, TimeoutError):
                pass
            assert loop.time() < deadline, f"replica on {replica.port} not ready:\n{replica.output()[-3000:]}"
            await asyncio.sleep(0.5)


@asynccontextmanager
async def replicas(tg: FakeTelegram, database_url: str, workdir: Path, redis_prefix: str, count: int = 3,
                   **env: str) -> AsyncIterator[list[Replica]]:
    """`count` replicas, all ready (webhook set, database and Redis answering) when this yields."""
    ports = [free_port() for _ in range(count)]
    public = f"http://127.0.0.1:{ports[0]}/telegram"  # the proxy's URL; each replica serves its path
    tg.webhook_targets = [f"http://127.0.0.1:{port}" for port in ports]
    async with AsyncExitStack() as stack:
        started = []
        for port in ports:
            process = await stack.enter_async_context(bot_process(
                tg, database_url, workdir, WEBHOOK_URL=public, WEB_HOST="127.0.0.1", WEB_PORT=str(port),
                REDIS_URL=REDIS_URL, REDIS_PREFIX=redis_prefix, **env))
            started.append(Replica(port, process))
        await asyncio.gather(*(wait_ready(replica) for replica in started))
        yield started
