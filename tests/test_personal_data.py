"""/mydata: a person gets everything stored about them as a file, and nobody else's profile."""

from __future__ import annotations

import json

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.presentation.texts import Texts
from tests.conftest import PersonFactory
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.journeys import deliver


async def test_mydata_sends_the_persons_data_as_a_file(
    person: PersonFactory, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 2, long_about=True)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/matchnow")
    await admin.press_key("matchnow.yes")
    await deliver(bot, sessionmaker)
    me = person(seeded.member_telegram_ids[0], "Member0")
    sent = (await me.say("/mydata"))[-1]
    assert sent.document is not None and sent.document.filename == "coffee-my-data.json"
    assert sent.text == Texts("en")("mydata.caption")
    data = json.loads(sent.document.data)
    assert data["profile"]["telegram_id"] == me.id
    assert data["profile"]["about"].startswith("Member0 builds communities")
    assert [m["community"] for m in data["memberships"]] == ["Founders"]
    assert data["matches"][0]["partners"] == ["Member1"]
    assert [message["kind"] for message in data["messages"]] == ["intro"]
    # the partner's own profile is not in the file, only the intro that was sent to this person
    assert "Member1 builds communities" not in json.dumps(data["profile"]) + json.dumps(data["matches"])
