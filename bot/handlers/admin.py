"""Admin commands in private chats: /newcommunity, /invite, /rename (/members: admin_members). Rights are checked
on every call and every press."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_menus
from bot.config import Settings
from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin_access import community_for_button
from bot.handlers.groups import edit_join_message
from bot.handlers.replies import edit_or_send
from bot.presentation import keyboards
from bot.presentation.callbacks import RenameCb
from bot.presentation.links import add_to_group_link, join_link
from bot.presentation.texts import Html, Texts, pack
from bot.scheduler import RoundScheduler
from bot.services import communities

RENAME_KEY = "rename_to"  # chat state data: the name /rename was given, until the admin picks the community


async def new_community(message: Message, command: CommandObject, bot: Bot, session: AsyncSession, user: User,
                        texts: Texts, settings: Settings, group_rights: GroupAdminCheck,
                        scheduler: RoundScheduler | None = None) -> None:
    if not settings.may_create_communities(message.chat.id):
        await message.answer(texts("admin.create_not_allowed"))
        return
    name = communities.clean_name(command.args or "")
    if not name:
        await message.answer(texts("admin.newcommunity_usage"))
        return
    if length := communities.too_long(command.args or ""):
        await message.answer(texts("admin.name_too_long", length=length, limit=communities.NAME_LIMIT))
        return
    duplicate = await communities.name_taken(session, user, name)
    community = await communities.create_community(session, user, name, settings.default_timezone)
    if scheduler is not None:
        scheduler.sync(community)
    text = texts(
        "admin.created", community=community.name,
        link=await join_link(bot, community.invite_code),
        group_link=await add_to_group_link(bot, community.invite_code),
    )
    if duplicate:
        text = Html(f"{text}\n\n{texts('admin.duplicate_name', community=community.name)}")
    text = Html(f"{text}\n\n{texts('admin.join_yourself')}")
    await message.answer(text, disable_web_page_preview=True,
                         reply_markup=keyboards.join_as_member(texts, community.id))
    await command_menus.refresh(bot, session, group_rights, user)


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


async def rename_command(message: Message, command: CommandObject, bot: Bot, state: FSMContext,
                         session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    """/rename <new name>: the admin's only community at once; with several, buttons ask which one."""
    administered = await communities.administered_by(session, group_rights, user)
    if not administered:
        await message.answer(texts("admin.none"))
        return
    name = communities.clean_name(command.args or "")
    if not name:
        await message.answer(texts("admin.rename_usage"))
        return
    if length := communities.too_long(command.args or ""):
        await message.answer(texts("admin.name_too_long", length=length, limit=communities.NAME_LIMIT))
        return
    if len(administered) == 1:
        await message.answer(await rename(bot, session, user, texts, administered[0], name))
        return
    await state.update_data({RENAME_KEY: name})
    await message.answer(texts("admin.rename_pick", name=name),
                         reply_markup=keyboards.pick_community(texts, administered,
                                                               lambda cid: RenameCb(community_id=cid)))


async def rename_pressed(query: CallbackQuery, callback_data: RenameCb, bot: Bot, state: FSMContext,
                         session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    name = (await state.get_data()).get(RENAME_KEY)
    if not isinstance(name, str) or not communities.clean_name(name):
        await query.answer(texts.label("admin.rename_again"), show_alert=True)
        return
    await state.update_data({RENAME_KEY: None})
    await edit_or_send(query, bot, await rename(bot, session, user, texts, community, communities.clean_name(name)))


async def rename(bot: Bot, session: AsyncSession, user: User, texts: Texts, community: Community,
                 name: str) -> Html:
    """Rename (rights checked by the caller); the linked group's Join message shows the new name. The answer
    warns when another community the person runs has this name (allowed: they may mean two groups)."""
    old = community.name
    duplicate = await communities.name_taken(session, user, name, besides=community.id)
    await communities.rename(session, community, name)
    if community.chat_id is not None:
        await edit_join_message(bot, community.chat_id, community, texts)
    text = texts("admin.renamed", old=old, community=name)
    if duplicate:
        text = Html(f"{text}\n\n{texts('admin.duplicate_name', community=name)}")
    return text


def setup() -> Router:
    router = Router(name="admin")
    router.message.filter(F.chat.type == "private")
    router.message.register(new_community, Command("newcommunity"))
    router.message.register(invite, Command("invite"))
    router.message.register(rename_command, Command("rename"))
    router.callback_query.register(rename_pressed, RenameCb.filter())
    return router
