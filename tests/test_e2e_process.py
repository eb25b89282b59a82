"""End to end: `python -m bot` as a real process, long-polling a local fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.domain.topics import DEFAULT_BY_ID
from tests.support.catalogue import en
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
        welcome = await tg.wait_for_message(GROUP, contains=en.text("group.welcome", community="Product Guild"),
                                            after=mark, timeout=20)
        (_, url), = welcome.buttons
        assert url is not None
        code = url.split("start=")[1]

        await alice.say(f"/start {code}", contains=en.text("q.progress", number=1, total=11))
        await alice.press(en.label("q.name.keep", name="Alice Smith"), contains=en.text("q.about", low=10, high=500))
        await alice.say("Product manager in fintech, ex-founder.", contains=en.text("q.interests", most=10))
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0

    async with bot_process(tg, database_url, tmp_path):
        alice.tap(en.label("tag.product"))  # the questionnaire resumes: the same interests keyboard is edited
        await tg.wait_for_edit(2, contains=None, timeout=60)  # includes the new process's start-up, like above
        assert f"✅ {en.label('tag.product')}" in tg.last_keyboard_message(2).button_texts  # type: ignore[union-attr]
        await alice.press(en.label("q.interests.done"), contains=en.text("q.offer_topics", most=5))
        alice.tap(DEFAULT_BY_ID["product"].en)  # ticked in place: the keyboard is edited
        await tg.wait_for_edit(2, contains=None, timeout=20)
        await alice.press(en.label("q.interests.done"), contains=en.text("q.offers", high=300))
        await alice.say("Roadmaps and user research", contains=en.text("q.need_topics", most=5))
        await alice.press(en.label("q.topics.none_fit"), contains=en.text("q.needs", high=300))
        await alice.say("Fintech founders", contains=en.text("q.languages"))
        await alice.press(en.label("q.interests.done"), contains=en.text("q.format"))
        await alice.press(en.label("q.format.online"), contains=en.text("q.timezone"))
        await alice.say("Europe/Berlin", contains=en.text("preview.title"))
        await alice.press(en.label("preview.confirm"), contains=en.text("profile.saved_for", community="Product Guild"))
        card = await alice.say("/profile", contains=en.text("profile.edit_hint"))
        for expected in ("Alice Smith", "Product manager in fintech", en.text("tag.product"),
                         "Roadmaps and user research", "Fintech founders", en.text("format.online"), "Europe/Berlin",
                         en.text("card.contact_username", username="alice")):
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
