"""`python -m bot` as a real process against the fake Bot API server, and a person talking to it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.support.updates import TgUser, UpdateFactory

TEST_TOKEN = "123456:TEST-token-for-the-coffee-bot"


@asynccontextmanager
async def bot_process(
    tg: FakeTelegram, database_url: str, workdir: Path, **extra_env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = tg.subprocess_env(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=database_url, LOG_LEVEL="INFO", **extra_env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=workdir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        output, _ = await process.communicate()
        assert b"Traceback" not in output, output.decode()


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
