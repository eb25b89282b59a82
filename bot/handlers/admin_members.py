"""/members for admins: pages of members with search by name, and per member pause, resume, remove, ban and
unban. Every command, typed search and button press checks the caller's rights on the community again."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Community, Membership, User
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin_access import community_for_button, with_community
from bot.handlers.replies import edit_or_send, help_mid_way, stale_button
from bot.presentation import admin_views, keyboards
from bot.presentation.callbacks import MAX_PAGE, ErasedBansCb, MemberCb, MembersCb, MembersSearchCb, search_key
from bot.presentation.render import name_of
from bot.presentation.texts import Html, Texts
from bot.services import communities, members

NOTICES = {"pause": "members.notice_paused", "resume": "members.notice_resumed", "remove": "members.notice_ended",
           "ban": "members.notice_ended"}
CONFIRMED_ONLY = {"remove", "ban"}
SEARCH_COMMUNITY = "members_search_community"  # FSM data: the community a typed search is for


class MembersSearch(StatesGroup):
    waiting = State()


async def page_view(session: AsyncSession, texts: Texts, community: Community, page: int,
                    query: str) -> tuple[Html, InlineKeyboardMarkup]:
    shown = await members.page_of(session, community, page, query)
    text = admin_views.members_page(texts, community.name, shown.rows, shown.number, shown.pages, shown.total, query,
                                    shown.erased_bans)
    return text, keyboards.members_page(texts, community.id, shown.rows, shown.number, shown.pages, query,
                                        shown.erased_bans)


async def list_members(message: Message, command: CommandObject, session: AsyncSession, user: User, texts: Texts,
                       group_rights: GroupAdminCheck) -> None:
    """/members, or /members <name> to search right away."""
    query = search_key(command.args or "")

    async def show(community: Community) -> None:
        text, markup = await page_view(session, texts, community, 0, query)
        await message.answer(text, reply_markup=markup)

    await with_community(message, session, group_rights, user, texts,
                         lambda cid: MembersCb(community_id=cid, query=query), show)


async def turn_page(query: CallbackQuery, callback_data: MembersCb, bot: Bot, session: AsyncSession, user: User,
                    texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    if not 0 <= callback_data.page <= MAX_PAGE:
        await stale_button(query, texts)
        return
    text, markup = await page_view(session, texts, community, callback_data.page, search_key(callback_data.query))
    await edit_or_send(query, bot, text, markup)


async def lift_erased_bans(query: CallbackQuery, callback_data: ErasedBansCb, bot: Bot, session: AsyncSession,
                           user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    """"Lift the bans of erased people": asked first; then lifted and the list shown again with what changed."""
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    waiting = await members.erased_ban_count(session, community)
    if not waiting:
        await stale_button(query, texts)
        return
    if not callback_data.confirmed:
        await edit_or_send(query, bot, texts("members.confirm_lift", count=waiting, community=community.name),
                           keyboards.lift_erased_bans_confirm(texts, community.id, waiting))
        return
    lifted = await members.lift_erased_bans(session, community)
    text, markup = await page_view(session, texts, community, 0, "")
    await edit_or_send(query, bot, Html(f"{texts('members.done_lift', count=lifted)}\n\n{text}"), markup)


async def ask_search(query: CallbackQuery, callback_data: MembersSearchCb, bot: Bot, state: FSMContext,
                     session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    await state.set_state(MembersSearch.waiting)
    await state.update_data({SEARCH_COMMUNITY: community.id})
    await edit_or_send(query, bot, texts("members.search_ask", community=community.name))


async def typed_search(message: Message, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
                       group_rights: GroupAdminCheck) -> None:
    community_id = (await state.get_data()).get(SEARCH_COMMUNITY)
    await state.set_state(None)
    community = await communities.administered(session, group_rights, user, community_id) \
        if isinstance(community_id, int) else None
    if community is None:
        await message.answer(texts("admin.not_admin"))
        return
    text, markup = await page_view(session, texts, community, 0, search_key(message.text or ""))
    await message.answer(text, reply_markup=markup)


async def cancel_search(message: Message, state: FSMContext, texts: Texts) -> None:
    await state.set_state(None)
    await message.answer(texts("members.search_cancelled"))


async def help_while_searching(message: Message, texts: Texts) -> None:
    await help_mid_way(message, texts, texts("help.search_goes_on"))


async def member_pressed(query: CallbackQuery, callback_data: MemberCb, bot: Bot, session: AsyncSession,
                         user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    """A member's card, an action on them, or its confirmation."""
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    data = callback_data
    found = await members.member_of(session, community, data.user_id)
    valid = data.action in ("", *members.Action) and 0 <= data.page <= MAX_PAGE
    if found is None or not valid:
        await stale_button(query, texts)
        return
    membership = found[0]
    page, search = data.page, search_key(data.query)
    if data.action in CONFIRMED_ONLY and not data.confirmed:
        text = texts(f"members.confirm_{data.action}", name=name_of(membership.user),
                     community=community.name)
        await edit_or_send(query, bot, text, keyboards.member_confirm(texts, community.id, data.user_id, data.action,
                                                                      page, search))
        return
    done = ""
    if data.action:
        done = await _act(query, session, texts, group_rights, community, membership, members.Action(data.action))
        if not done:
            return
        found = await members.member_of(session, community, data.user_id) or found
    actions = [action.value for action in members.available(found[0])]
    await edit_or_send(query, bot, admin_views.member_card(texts, community.name, found, done),
                       keyboards.member_actions(texts, community.id, data.user_id, actions, page, search))


async def _act(query: CallbackQuery, session: AsyncSession, texts: Texts, group_rights: GroupAdminCheck,
               community: Community, membership: Membership, action: members.Action) -> str:
    """Apply the action; its "done" line, or "" after telling the presser why nothing changed."""
    def notice(person: User, what: str) -> str:
        return Texts(person.language)(NOTICES[what], community=community.name)

    outcome = await members.act(session, group_rights, community, membership, action, utcnow(), notice)
    if outcome is members.Outcome.ADMIN:
        await query.answer(texts.label("members.admin_target"), show_alert=True)
        return ""
    if outcome is members.Outcome.STALE:
        await stale_button(query, texts)
        return ""
    return texts(f"members.done_{action.value}")


def setup() -> Router:
    router = Router(name="admin_members")
    private = F.chat.type == "private"
    router.message.register(cancel_search, Command("cancel"), MembersSearch.waiting)
    router.message.register(help_while_searching, Command("help"), MembersSearch.waiting)
    router.message.register(list_members, Command("members"), private)
    router.message.register(typed_search, MembersSearch.waiting, private, F.text, ~F.text.startswith("/"))
    router.callback_query.register(turn_page, MembersCb.filter())
    router.callback_query.register(ask_search, MembersSearchCb.filter())
    router.callback_query.register(lift_erased_bans, ErasedBansCb.filter())
    router.callback_query.register(member_pressed, MemberCb.filter())
    return router
