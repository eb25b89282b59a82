"""How services learn a person's rights in a Telegram group without calling Telegram themselves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

GroupAdminCheck = Callable[[int, int], Awaitable[bool]]
"""`await is_group_admin(chat_id, telegram_user_id)`: is this person an admin of that group right now?
Resolved per update by the handlers' layer (see `bot.rights`), so an answer is asked of Telegram once."""
