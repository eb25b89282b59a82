"""Last resort: anything no other handler took gets a clear answer, never silence or a crash."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.handlers.replies import stale_button
from bot.presentation.texts import Texts


async def unknown_command(message: Message, texts: Texts) -> None:
    await message.answer(texts("fallback.unknown_command"))


async def anything_else(message: Message, texts: Texts) -> None:
    await message.answer(texts("fallback.hint"))


def setup() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)  # a button no other handler knows
    router.message.register(unknown_command, F.chat.type == "private", F.text.startswith("/"))
    router.message.register(anything_else, F.chat.type == "private")
    return router
