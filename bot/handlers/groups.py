"""The bot in group chats: a community per group, one Join message that always works, and short answers that
point to the private chat."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import (
    JOIN_TRANSITION,
    LEAVE_TRANSITION,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
    CommandStart,
)
from aiogram.types import ChatMemberUpdated, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_menus
from bot.config import Settings
from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.presentation import keyboards
from bot.presentation.links import join_link, private_chat_link
from bot.presentation.texts import Html, Texts
from bot.scheduler import RoundScheduler
from bot.services import communities

GROUP_TYPES = {"group", "supergroup"}


async def _join_message(bot: Bot, community: Community, texts: Texts) -> tuple[Html, InlineKeyboardMarkup]:
    return (texts("group.welcome", community=community.name),
            keyboards.url_button(texts.label("group.join_button"), await join_link(bot, community.invite_code)))


async def post_join_button(bot: Bot, session: AsyncSession, chat_id: int, community: Community,
                           texts: Texts) -> None:
    """A new Join message (someone asked for it with /join, or the group has none); remembered so that it can be
    edited later instead of leaving a second one."""
    text, markup = await _join_message(bot, community, texts)
    sent = await bot.send_message(chat_id, text, reply_markup=markup)
    await communities.remember_join_message(session, community, sent.message_id)


async def edit_join_message(bot: Bot, chat_id: int, community: Community, texts: Texts) -> bool:
    """Point the group's Join message at `community` (as it is now); False if there is none to edit (never
    posted, deleted by someone, or the bot left the group meanwhile)."""
    if community.join_message_id is None:
        return False
    text, markup = await _join_message(bot, community, texts)
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=community.join_message_id,
                                    reply_markup=markup)
    except TelegramBadRequest as error:
        return "message is not modified" in error.message
    except TelegramAPIError:  # e.g. the bot is no longer in the group
        return False
    return True


async def show_join_button(bot: Bot, session: AsyncSession, chat_id: int, community: Community,
                           texts: Texts) -> None:
    """The group's one Join message names `community`: the message the group has is edited (it may name a
    community that was just replaced), else one is posted."""
    if not await edit_join_message(bot, chat_id, community, texts):
        await post_join_button(bot, session, chat_id, community, texts)


async def added_to_group(event: ChatMemberUpdated, bot: Bot, session: AsyncSession, texts: Texts,
                         settings: Settings, group_rights: GroupAdminCheck, user: User | None = None,
                         scheduler: RoundScheduler | None = None) -> None:
    link = await communities.attach_group(session, group_rights, event.chat.id, event.chat.title or "", user,
                                          settings.default_timezone)
    if link.created and scheduler is not None:
        scheduler.sync(link.community)
    await show_join_button(bot, session, event.chat.id, link.community, texts)
    if user is not None:
        await command_menus.refresh(bot, session, group_rights, user)


async def left_group(event: ChatMemberUpdated, session: AsyncSession) -> None:
    await communities.forget_group_messages(session, event.chat.id)


async def link_existing(message: Message, command: CommandObject, bot: Bot, session: AsyncSession, texts: Texts,
                        group_rights: GroupAdminCheck, user: User | None = None) -> None:
    """`/start <code>` in a group: what Telegram sends when someone adds the bot with a community's
    add-to-group link (right after the bot was added and posted a Join message for a new community), or an
    admin linking the group by hand. The Join message already there is edited to the linked community."""
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
    await show_join_button(bot, session, message.chat.id, community, texts)
    await command_menus.refresh(bot, session, group_rights, user)


async def join_button(message: Message, bot: Bot, session: AsyncSession, texts: Texts) -> None:
    community = await communities.by_chat(session, message.chat.id)
    if community is None:
        await message.answer(texts("group.not_linked"))
        return
    await post_join_button(bot, session, message.chat.id, community, texts)


async def group_help(message: Message, bot: Bot, session: AsyncSession, texts: Texts) -> None:
    """/help and /start addressed to the bot in a group: what it does here, and the way to the private chat."""
    community = await communities.by_chat(session, message.chat.id)
    text = (texts("group.help", community=community.name) if community is not None
            else texts("group.help_unlinked"))
    await message.answer(text, reply_markup=keyboards.url_button(texts.label("group.private_chat_button"),
                                                                  await private_chat_link(bot)))


async def migrated(message: Message, session: AsyncSession) -> None:
    await communities.move_chat(session, message.chat.id, message.migrate_to_chat_id or message.chat.id)


def setup() -> Router:
    router = Router(name="groups")
    router.message.filter(F.chat.type.in_(GROUP_TYPES))
    router.my_chat_member.filter(F.chat.type.in_(GROUP_TYPES))
    router.my_chat_member.register(added_to_group, ChatMemberUpdatedFilter(member_status_changed=JOIN_TRANSITION))
    router.my_chat_member.register(left_group, ChatMemberUpdatedFilter(member_status_changed=LEAVE_TRANSITION))
    router.message.register(link_existing, CommandStart(deep_link=True))
    router.message.register(join_button, Command("join"))
    router.message.register(group_help, Command("help", "start"))
    router.message.register(migrated, F.migrate_to_chat_id)
    return router
