"""/announce for admins: write a text, see it as members will with the number of recipients, send or cancel;
and for members, muting a community's announcements (the button under each one, or /announcements).

Rights are checked on /announce, on the typed text and on every press; a draft can be sent only by its author,
once (see bot.services.announcements). Only text is announced: anything else gets a clear answer.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Community, User
from bot.domain.announcements import PER_WINDOW, TEXT_LIMIT, text_length
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin_access import community_for_button, with_community
from bot.handlers.replies import edit_or_send, help_mid_way, replace_buttons, stale_button
from bot.presentation import announcements as views
from bot.presentation.announcements import AnnounceCb, AnnouncementsMuteCb
from bot.presentation.texts import Html, Texts
from bot.services import announcements, communities

COMMUNITY = "announce_community"  # FSM data: the community the typed text is for


class Announcing(StatesGroup):
    text = State()


async def _opening(session: AsyncSession, user: User, texts: Texts, community: Community,
                   state: FSMContext) -> Html:
    """What /announce says for a community: why not now, or what to write (and wait for it)."""
    later = await announcements.next_possible(session, community, utcnow())
    if later is not None:
        return _limit(texts, user, community, later)
    count = await announcements.count_recipients(session, community)
    if not count:
        return texts("announce.nobody", community=community.name)
    await state.set_state(Announcing.text)
    await state.update_data({COMMUNITY: community.id})
    return texts("announce.ask", community=community.name, limit=TEXT_LIMIT, count=count)


def _limit(texts: Texts, user: User, community: Community, later: datetime) -> Html:
    """The weekly limit is reached: when the next one is possible, in the admin's zone (else the community's)."""
    when = views.moment(texts, later, user.timezone or community.timezone)
    return texts("announce.limit", community=community.name, limit=PER_WINDOW, when=when)


async def announce(message: Message, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
                   group_rights: GroupAdminCheck) -> None:
    async def start(community: Community) -> None:
        await message.answer(await _opening(session, user, texts, community, state))

    if await state.get_state() == Announcing.text.state:  # /announce again: start over
        await state.set_state(None)
    await with_community(message, session, group_rights, user, texts, lambda cid: AnnounceCb(community_id=cid), start)


async def typed(message: Message, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
                group_rights: GroupAdminCheck) -> None:
    community_id = (await state.get_data()).get(COMMUNITY)
    community = await communities.administered(session, group_rights, user, community_id) \
        if isinstance(community_id, int) else None
    if community is None:
        await state.set_state(None)
        await message.answer(texts("admin.not_admin"))
        return
    text = (message.text or "").strip()
    if not text:
        await message.answer(texts("announce.text_only"))
        return
    if text_length(text) > TEXT_LIMIT:
        await message.answer(texts("announce.too_long", length=text_length(text), limit=TEXT_LIMIT))
        return
    await state.set_state(None)
    draft = await announcements.write_draft(session, community, user, text, utcnow())
    count = await announcements.count_recipients(session, community)
    await message.answer(views.message(texts, community.name, text))
    await message.answer(texts("announce.confirm", count=count, community=community.name),
                         reply_markup=views.confirm(texts, community.id, draft.id, count))


async def not_text(message: Message, texts: Texts) -> None:
    """A photo, sticker, voice, file… while the text is awaited: say what is possible, keep waiting."""
    await message.answer(texts("announce.text_only"))


async def cancel_writing(message: Message, state: FSMContext, texts: Texts) -> None:
    await state.set_state(None)
    await message.answer(texts("announce.cancelled"))


async def help_while_writing(message: Message, texts: Texts) -> None:
    await help_mid_way(message, texts, texts("help.announce_goes_on"))


async def other_command(message: Message, state: FSMContext) -> None:
    """Another command while the text is awaited: stop waiting and let that command run."""
    await state.set_state(None)
    raise SkipHandler


async def pressed(query: CallbackQuery, callback_data: AnnounceCb, bot: Bot, state: FSMContext,
                  session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    action, announcement_id = callback_data.action, callback_data.announcement_id
    if not action:  # picked from "Which community?"
        await edit_or_send(query, bot, await _opening(session, user, texts, community, state))
    elif action == views.CANCEL:
        if await announcements.cancel(session, community, user, announcement_id):
            await edit_or_send(query, bot, texts("announce.cancelled"))
        else:
            await stale_button(query, texts)
    elif action == views.SEND:
        await _send(query, bot, session, user, texts, community, announcement_id)
    else:
        await stale_button(query, texts)


async def _send(query: CallbackQuery, bot: Bot, session: AsyncSession, user: User, texts: Texts,
                community: Community, announcement_id: int) -> None:
    sent = await announcements.send(session, community, user, announcement_id, utcnow())
    if sent.outcome is announcements.Sending.QUEUED:
        await edit_or_send(query, bot, texts("announce.queued", count=sent.recipients, community=community.name))
    elif sent.outcome is announcements.Sending.STALE:
        await stale_button(query, texts)
    else:  # the draft stays, with its buttons: it may be sent once possible
        await query.answer()
        text = texts("announce.nobody", community=community.name) if sent.next_possible is None \
            else _limit(texts, user, community, sent.next_possible)
        await bot.send_message(query.from_user.id, text)


async def mute_pressed(query: CallbackQuery, callback_data: AnnouncementsMuteCb, session: AsyncSession,
                       user: User, texts: Texts) -> None:
    """The button under an announcement, or a toggle in /announcements; only a member of that community."""
    community = await announcements.set_muted(session, user, callback_data.community_id, callback_data.mute)
    if community is None:
        await stale_button(query, texts)
        return
    if callback_data.listed:
        await replace_buttons(query, views.settings(texts, await announcements.muting_of(session, user)))
    else:
        await replace_buttons(query, views.mute_button(texts, community.id, muted=callback_data.mute))
    key = "announce.muted_alert" if callback_data.mute else "announce.unmuted_alert"
    await query.answer(texts.label(key, community=community.name), show_alert=callback_data.mute)


async def muting(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
    """/announcements: each community's announcements on or muted, a tap to change."""
    rows = await announcements.muting_of(session, user)
    if not rows:
        await message.answer(texts("announcements.none"))
        return
    await message.answer(texts("announcements.list"), reply_markup=views.settings(texts, rows))


def setup() -> Router:
    router = Router(name="admin_announce")
    private = F.chat.type == "private"
    router.message.register(cancel_writing, Command("cancel"), Announcing.text)
    router.message.register(announce, Command("announce"), private)
    command = F.text.startswith("/")
    router.message.register(help_while_writing, Command("help"), Announcing.text)
    router.message.register(other_command, Announcing.text, command)
    # Filters see the state the update arrived in: after other_command skips, these must not take the command.
    router.message.register(typed, Announcing.text, private, F.text, ~command)
    router.message.register(not_text, Announcing.text, private, ~F.text)
    router.message.register(muting, Command("announcements"), private)
    router.callback_query.register(pressed, AnnounceCb.filter())
    router.callback_query.register(mute_pressed, AnnouncementsMuteCb.filter())
    return router
