"""Deep links to the bot (payload ≤ 64 chars of A-Z a-z 0-9 _ -)."""

from __future__ import annotations

from aiogram import Bot


async def bot_username(bot: Bot) -> str:
    return (await bot.me()).username or ""


async def join_link(bot: Bot, invite_code: str) -> str:
    return f"https://t.me/{await bot_username(bot)}?start={invite_code}"


async def add_to_group_link(bot: Bot, invite_code: str) -> str:
    return f"https://t.me/{await bot_username(bot)}?startgroup={invite_code}"


async def private_chat_link(bot: Bot) -> str:
    """Opens the private chat with the bot (its /start lists the person's communities)."""
    return f"https://t.me/{await bot_username(bot)}"
