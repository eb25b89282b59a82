"""End to end: `python -m bot` as a real process, long-polling a local fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.support.fake_telegram import FakeTelegram
from tests.support.process import Client, bot_process
from tests.support.updates import TgUser, UpdateFactory

pytestmark = pytest.mark.e2e
GROUP = -100777


async def test_join_from_group_button_with_a_restart_mid_questionnaire(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    updates = UpdateFactory()
    olga = TgUser(1, "Olga", username="olga")
    alice = Client(tg, updates, TgUser(2, "Alice Smith", username="alice"))

    async with bot_process(tg, database_url, tmp_path) as process:
        await tg.wait_for_call("setMyCommands", timeout=60)
        assert tg.commands, "commands are registered"
        mark = tg.mark()
        tg.push_update(updates.my_chat_member(olga, GROUP, "Product Guild"))
        welcome = await tg.wait_for_message(GROUP, contains="Product Guild", after=mark, timeout=20)
        (_, url), = welcome.buttons
        assert url is not None
        code = url.split("start=")[1]

        await alice.say(f"/start {code}", contains="Question 1 of 8")
        await alice.press("Keep “Alice Smith”", contains="Who are you")
        await alice.say("Product manager in fintech, ex-founder.", contains="Pick your interests")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0

    async with bot_process(tg, database_url, tmp_path):
        alice.tap("product")  # the questionnaire resumes: the same interests keyboard is edited
        await tg.wait_for_edit(2, contains=None, timeout=20)
        assert "✅ product" in tg.last_keyboard_message(2).button_texts  # type: ignore[union-attr]
        await alice.press("Done ➡️", contains="How can you help others")
        await alice.say("Roadmaps and user research", contains="What are you looking for")
        await alice.say("Fintech founders", contains="How would you like to meet")
        await alice.press("💻 Online", contains="time zone")
        await alice.say("Europe/Berlin", contains="This is how your partners will see you")
        await alice.press("✅ Confirm", contains="you are in Product Guild")
        card = await alice.say("/profile", contains="Tap a field")
        for expected in ("Alice Smith", "Product manager in fintech", "product", "Roadmaps and user research",
                         "Fintech founders", "online", "Europe/Berlin", "@alice"):
            assert expected in card.plain_text


async def test_missing_token_is_one_clear_line(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"BOT_TOKEN"}}
    for token in (None, "not-a-token"):
        if token:
            env["BOT_TOKEN"] = token
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await process.communicate()
        assert process.returncode == 2
        lines = stderr.decode().strip().splitlines()
        assert len(lines) == 1 and "BOT_TOKEN" in lines[0] and "@BotFather" in lines[0], lines
        assert not (tmp_path / "coffee.db").exists()
