"""/admins: the community's recorded admins, a one-time admin link (expires, single use), removing a co-admin (not
the creator); and opening such a link (`/start adm_…`). Rights are checked on every command and press."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.filters.command import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_menus
from bot.db.base import utcnow
from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin_access import community_for_button, with_community
from bot.handlers.replies import edit_or_send, stale_button
from bot.presentation import admin_views, keyboards
from bot.presentation.callbacks import AdminsCb
from bot.presentation.links import join_link
from bot.presentation.render import name_of
from bot.presentation.texts import Html, Texts
from bot.services import admins

ANSWERS = {admins.Accepted.DONE: "admins.accepted", admins.Accepted.ALREADY: "admins.already",
           admins.Accepted.USED: "admins.used", admins.Accepted.EXPIRED: "admins.expired"}


async def _listing(session: AsyncSession, texts: Texts, community: Community) -> tuple[Html, InlineKeyboardMarkup]:
    people = await admins.admins_of(session, community)
    removable = [person for person in people if person.id != community.owner_id]
    return (admin_views.admins_list(texts, community, people),
            keyboards.admins_menu(texts, community.id, removable))


async def list_admins(message: Message, session: AsyncSession, user: User, texts: Texts,
                      group_rights: GroupAdminCheck) -> None:
    async def show(community: Community) -> None:
        text, markup = await _listing(session, texts, community)
        await message.answer(text, reply_markup=markup)

    await with_community(message, session, group_rights, user, texts, lambda cid: AdminsCb(community_id=cid), show)


async def admins_pressed(query: CallbackQuery, callback_data: AdminsCb, bot: Bot, session: AsyncSession, user: User,
                         texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    if callback_data.action == "invite":
        invite = await admins.create_invite(session, community, user, utcnow())
        await edit_or_send(query, bot, texts("admins.invite_link", community=community.name,
                                             link=await join_link(bot, invite.code)))
    elif callback_data.action == "remove":
        await _remove(query, bot, session, texts, community, callback_data, group_rights)
    elif not callback_data.action:
        await edit_or_send(query, bot, *await _listing(session, texts, community))
    else:
        await stale_button(query, texts)


async def _remove(query: CallbackQuery, bot: Bot, session: AsyncSession, texts: Texts, community: Community,
                  data: AdminsCb, group_rights: GroupAdminCheck) -> None:
    people = {person.id: person for person in await admins.admins_of(session, community)}
    person = people.get(data.user_id)
    if person is None:
        await stale_button(query, texts)
    elif person.id == community.owner_id:
        await query.answer(texts.label("admins.creator_stays"), show_alert=True)
    elif not data.confirmed:
        await edit_or_send(query, bot, texts("admins.confirm_remove", name=name_of(person), community=community.name),
                           keyboards.admin_remove_confirm(texts, community.id, person.id))
    elif await admins.remove(session, community, person.id) is admins.Removed.DONE:
        text, markup = await _listing(session, texts, community)
        await edit_or_send(query, bot, Html(f"{texts('admins.removed', name=name_of(person))}\n\n{text}"), markup)
        await command_menus.refresh(bot, session, group_rights, person)  # their admin commands go, if nothing else
    else:
        await stale_button(query, texts)


async def open_admin_link(message: Message, command: CommandObject, bot: Bot, session: AsyncSession, user: User,
                          texts: Texts, group_rights: GroupAdminCheck) -> None:
    accepted = await admins.accept(session, user, command.args or "", utcnow())
    if accepted.community is None:
        await message.answer(texts("start.bad_code"))
    else:
        await message.answer(texts(ANSWERS[accepted.outcome], community=accepted.community.name))
        await command_menus.refresh(bot, session, group_rights, user)  # the admin commands appear in their menu


def setup() -> Router:
    router = Router(name="admin_team")
    private = F.chat.type == "private"
    admin_link = CommandStart(deep_link=True, magic=F.args.startswith(admins.INVITE_PREFIX))
    router.message.register(open_admin_link, admin_link, private)
    router.message.register(list_admins, Command("admins"), private)
    router.callback_query.register(admins_pressed, AdminsCb.filter())
    return router
