"""Last resort: anything no other handler took gets a clear answer, never silence or a crash."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.presentation.texts import Texts


def setup() -> Router:
    router = Router(name="fallback")

    @router.callback_query()
    async def stale_button(query: CallbackQuery, texts: Texts) -> None:
        await query.answer(texts("button.stale"), show_alert=True)

    @router.message(F.chat.type == "private", F.text.startswith("/"))
    async def unknown_command(message: Message, texts: Texts) -> None:
        await message.answer(texts("fallback.unknown_command"))

    @router.message(F.chat.type == "private")
    async def anything_else(message: Message, texts: Texts) -> None:
        await message.answer(texts("fallback.hint"))

    return router
