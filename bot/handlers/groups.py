"""The bot in group chats: a community per group, and a one-tap Join button."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import JOIN_TRANSITION, ChatMemberUpdatedFilter, Command, CommandObject, CommandStart
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.presentation import keyboards
from bot.presentation.links import join_link
from bot.presentation.texts import Texts
from bot.scheduler import RoundScheduler
from bot.services import communities

GROUP_TYPES = {"group", "supergroup"}


async def post_join_button(bot: Bot, chat_id: int, community: Community, texts: Texts) -> None:
    await bot.send_message(
        chat_id, texts("group.welcome", community=community.name),
        reply_markup=keyboards.url_button(texts("group.join_button"), await join_link(bot, community.invite_code)),
    )


async def added_to_group(event: ChatMemberUpdated, bot: Bot, session: AsyncSession, texts: Texts,
                         settings: Settings, group_rights: GroupAdminCheck, user: User | None = None,
                         scheduler: RoundScheduler | None = None) -> None:
    link = await communities.attach_group(session, group_rights, event.chat.id, event.chat.title or "", user,
                                          settings.default_timezone)
    if link.created and scheduler is not None:
        scheduler.sync(link.community)
    await post_join_button(bot, event.chat.id, link.community, texts)


async def link_existing(message: Message, command: CommandObject, bot: Bot, session: AsyncSession, texts: Texts,
                        group_rights: GroupAdminCheck, user: User | None = None) -> None:
    if user is None:  # an anonymous admin or a channel speaking in the group: nobody whose rights can be checked
        await message.answer(texts("group.link_anonymous"))
        return
    community = await communities.by_invite_code(session, command.args or "")
    if community is None or not await communities.may_link(session, group_rights, community, message.chat.id, user):
        await message.answer(texts("group.link_denied"))
        return
    if not await communities.link_group(session, community, message.chat.id):
        await message.answer(texts("group.already_linked"))
        return
    await post_join_button(bot, message.chat.id, community, texts)


async def join_button(message: Message, bot: Bot, session: AsyncSession, texts: Texts) -> None:
    community = await communities.by_chat(session, message.chat.id)
    if community is None:
        await message.answer(texts("group.not_linked"))
        return
    await post_join_button(bot, message.chat.id, community, texts)


async def migrated(message: Message, session: AsyncSession) -> None:
    await communities.move_chat(session, message.chat.id, message.migrate_to_chat_id or message.chat.id)


def setup() -> Router:
    router = Router(name="groups")
    router.message.filter(F.chat.type.in_(GROUP_TYPES))
    router.my_chat_member.filter(F.chat.type.in_(GROUP_TYPES))
    router.my_chat_member.register(added_to_group, ChatMemberUpdatedFilter(member_status_changed=JOIN_TRANSITION))
    router.message.register(link_existing, CommandStart(deep_link=True))
    router.message.register(join_button, Command("join", "start"))
    router.message.register(migrated, F.migrate_to_chat_id)
    return router
