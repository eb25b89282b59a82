"""Replying to button presses: replace the pressed message, tell about stale buttons; never an error for a
second press of the same button."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.presentation.texts import Html, Texts


async def edit_or_send(
    query: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the buttons' message so an old keyboard cannot be pressed twice. A second press that would
    show the same text changes nothing and is not an error."""
    await query.answer()
    await show_instead(query, bot, text, markup)


async def show_instead(query: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None = None
                       ) -> None:
    """`edit_or_send` for a press that was answered already (with its own popup)."""
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as error:
            if "message is not modified" not in error.message:
                raise
    else:
        await bot.send_message(query.from_user.id, text, reply_markup=markup)


async def stale_button(query: CallbackQuery, texts: Texts) -> None:
    """The button belongs to something that has changed or is not the presser's: say so, change nothing."""
    await query.answer(texts("button.stale"), show_alert=True)


async def replace_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """Show new buttons (or none) on the pressed message; a press that changes nothing is not an error."""
    if isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=markup)
        except TelegramBadRequest as error:
            if "message is not modified" not in error.message:
                raise


async def help_mid_way(message: Message, texts: Texts, goes_on: str) -> None:
    """/help in the middle of a flow that waits for typed input: the help, then what the flow still waits for.
    The flow goes on; the command is not taken as the input."""
    await message.answer(Html(f"{texts('help')}\n\n{goes_on}"))
