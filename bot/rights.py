"""Telegram group rights for the current update: asked of Telegram once per (chat, person) and update."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

TELEGRAM_ADMIN_STATUSES = {"creator", "administrator"}


class TelegramGroupRights:
    """A `bot.domain.rights.GroupAdminCheck` backed by getChatMember, remembered for one update."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._known: dict[tuple[int, int], bool] = {}

    async def __call__(self, chat_id: int, telegram_user_id: int) -> bool:
        key = (chat_id, telegram_user_id)
        if key not in self._known:
            try:
                member = await self._bot.get_chat_member(chat_id, telegram_user_id)
            except TelegramAPIError:
                self._known[key] = False
            else:
                self._known[key] = member.status in TELEGRAM_ADMIN_STATUSES
        return self._known[key]
