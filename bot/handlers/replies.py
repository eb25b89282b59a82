"""Answering a button press by replacing its message, so an old keyboard cannot be pressed twice."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def edit_or_send(
    query: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the buttons' message so an old keyboard cannot be pressed twice."""
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)
    else:
        await bot.send_message(query.from_user.id, text, reply_markup=markup)
