"""/mydata: the person receives everything stored about them as a JSON file."""

from __future__ import annotations

import json

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User
from bot.presentation.texts import Texts
from bot.services.personal_data import personal_data


async def my_data(message: Message, bot: Bot, session: AsyncSession, user: User, texts: Texts) -> None:
    data = await personal_data(session, user)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    await bot.send_document(message.chat.id, BufferedInputFile(body, filename="coffee-my-data.json"),
                            caption=texts("mydata.caption"))


def setup() -> Router:
    router = Router(name="personal_data")
    router.message.register(my_data, Command("mydata"), F.chat.type == "private")
    return router
