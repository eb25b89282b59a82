"""`python -m bot` as a real process against the fake Bot API server, and a person talking to it."""

from __future__ import annotations

import asyncio
import socket
import sys
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.support.updates import TgUser, UpdateFactory

TEST_TOKEN = "123456:TEST-token-for-the-coffee-bot"


def free_port() -> int:
    """A TCP port nobody listens on right now (for the bot's web server, or as a dead database address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_bot_once(workdir: Path, env: dict[str, str], limit: float = 60) -> tuple[int, str, float]:
    """`python -m bot` expected to stop by itself: (exit code, stderr, seconds it took)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=workdir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), limit)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stderr.decode(), loop.time() - started


@asynccontextmanager
async def bot_process(
    tg: FakeTelegram, database_url: str, workdir: Path, *, python: str = sys.executable, **extra_env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot` (with `python`: another interpreter, e.g. of a test venv) against the fake server."""
    env = tg.subprocess_env(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=database_url, LOG_LEVEL="INFO", **extra_env)
    process = await asyncio.create_subprocess_exec(
        python, "-m", "bot", cwd=workdir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    buffer = _outputs[process] = bytearray()
    reader = asyncio.create_task(_read_all(process, buffer))  # a full pipe would block the bot's logging
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        await reader
        assert b"Traceback" not in buffer, buffer.decode()


_outputs: weakref.WeakKeyDictionary[asyncio.subprocess.Process, bytearray] = weakref.WeakKeyDictionary()


async def _read_all(process: asyncio.subprocess.Process, buffer: bytearray) -> None:
    assert process.stdout is not None
    while chunk := await process.stdout.read(65536):
        buffer += chunk


def output_of(process: asyncio.subprocess.Process) -> str:
    """What a process started by bot_process has printed so far (stdout and stderr)."""
    return _outputs[process].decode(errors="replace")


class Client:
    """A person using Telegram: updates go into the fake server's getUpdates queue."""

    def __init__(self, tg: FakeTelegram, updates: UpdateFactory, user: TgUser) -> None:
        self.tg, self.updates, self.user = tg, updates, user

    async def say(self, text: str, contains: str) -> SentMessage:
        mark = self.tg.mark()
        self.tg.push_update(self.updates.message(self.user, text))
        return await self.tg.wait_for_message(self.user.id, contains=contains, after=mark, timeout=20)

    async def press(self, button: str, contains: str) -> SentMessage:
        mark = self.tap(button)
        return await self.tg.wait_for_message(self.user.id, contains=contains, after=mark, timeout=20)

    def tap(self, button: str) -> int:
        mark = self.tg.mark()
        message = next(m for m in reversed(self.tg.messages(self.user.id)) if button in m.button_texts)
        self.tg.push_update(self.updates.callback_from_button(self.user, message, button))
        return mark
