"""Admin commands in private chats: /newcommunity, /invite (/members: admin_members). Rights are checked on every
call."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import User
from bot.domain.rights import GroupAdminCheck
from bot.presentation.links import add_to_group_link, join_link
from bot.presentation.texts import Texts, pack
from bot.scheduler import RoundScheduler
from bot.services import communities


async def new_community(message: Message, command: CommandObject, bot: Bot, session: AsyncSession, user: User,
                        texts: Texts, settings: Settings, scheduler: RoundScheduler | None = None) -> None:
    if not settings.may_create_communities(message.chat.id):
        await message.answer(texts("admin.create_not_allowed"))
        return
    name = communities.clean_name(command.args or "")
    if not name:
        await message.answer(texts("admin.newcommunity_usage"))
        return
    community = await communities.create_community(session, user, name, settings.default_timezone)
    if scheduler is not None:
        scheduler.sync(community)
    await message.answer(texts(
        "admin.created", community=community.name,
        link=await join_link(bot, community.invite_code),
        group_link=await add_to_group_link(bot, community.invite_code),
    ), disable_web_page_preview=True)


async def invite(message: Message, bot: Bot, session: AsyncSession, user: User, texts: Texts,
                 group_rights: GroupAdminCheck) -> None:
    administered = await communities.administered_by(session, group_rights, user)
    if not administered:
        await message.answer(texts("admin.none"))
        return
    lines = [texts("admin.invite_line", community=c.name, link=await join_link(bot, c.invite_code))
             for c in administered]
    for part in pack(lines):
        await message.answer(part, disable_web_page_preview=True)


def setup() -> Router:
    router = Router(name="admin")
    router.message.filter(F.chat.type == "private")
    router.message.register(new_community, Command("newcommunity"))
    router.message.register(invite, Command("invite"))
    return router
