"""Group sessions: the admin's /session wizard, RSVP buttons, /sessions and /formgroups."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Community, GroupSession, MeetingFormat, SessionGroup, User
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin_access import community_for_button as admin_community
from bot.handlers.admin_access import with_community as pick_community
from bot.handlers.replies import edit_or_send
from bot.presentation import keyboards, render
from bot.presentation.callbacks import FormGroupsCb, GroupPlaceCb, RsvpCb, SessionConnectCb, SessionRateCb, WizardCb
from bot.presentation.texts import Texts
from bot.services import communities, sessions
from bot.services.sessions import NewSession, RsvpOutcome

SIZES = (4, 6, 8, 10, 20, 30)
DEADLINE_HOURS = (1, 24, 48)
TITLE_LIMIT = 100
PLACE_LIMIT = 300
WHEN_FORMAT = "%Y-%m-%d %H:%M"


class GroupPlace(StatesGroup):
    waiting = State()


class SessionWizard(StatesGroup):
    title = State()
    when = State()
    size = State()
    format = State()
    place = State()
    deadline = State()
    mode = State()


def choices(step: str, options: list[tuple[str, str]], columns: int = 3) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for label, value in options:
        builder.button(text=label, callback_data=WizardCb(step=step, value=value))
    builder.adjust(columns)
    return builder.as_markup()


async def ask(bot: Bot, chat_id: int, state: FSMContext, texts: Texts, step: State) -> None:
    await state.set_state(step)
    data = await state.get_data()
    markup = None
    if step == SessionWizard.size:
        markup = choices("size", [(str(size), str(size)) for size in SIZES])
    elif step == SessionWizard.format:
        markup = choices("format", [(texts("session.online"), "online"), (texts("session.offline"), "offline")], 2)
    elif step == SessionWizard.place:
        markup = choices("place", [(texts("session.skip_place"), "")], 1)
    elif step == SessionWizard.deadline:
        markup = choices("deadline", [(texts(f"session.deadline_{hours}"), str(hours)) for hours in DEADLINE_HOURS])
    elif step == SessionWizard.mode:
        markup = choices("mode", [(texts("session.mixed"), "mixed"), (texts("session.by_interest"), "interest")], 1)
    name = (step.state or "").split(":")[-1]
    await bot.send_message(chat_id, texts(f"session.ask_{name}", timezone=data.get("timezone", "UTC"),
                                          example=data.get("example", "")), reply_markup=markup)


def setup() -> Router:
    router = Router(name="sessions")
    in_wizard = StateFilter(SessionWizard)

    @router.message(Command("cancel"), in_wizard)
    async def cancel(message: Message, state: FSMContext, texts: Texts) -> None:
        await state.clear()
        await message.answer(texts("session.cancelled"))

    @router.message(Command("session"), F.chat.type == "private")
    async def start(message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                    texts: Texts, group_rights: GroupAdminCheck) -> None:
        async def begin(community: Community) -> None:
            await begin_wizard(bot, message.chat.id, state, texts, community)

        await pick_community(message, session, group_rights, user, texts,
                             lambda cid: WizardCb(step="community", value=str(cid)), begin)

    @router.message(in_wizard, F.text.startswith("/"))
    async def command_mid_way(message: Message, state: FSMContext, texts: Texts) -> None:
        await message.answer(texts("session.command_mid_way"))

    @router.message(SessionWizard.title, F.text)
    async def title(message: Message, bot: Bot, state: FSMContext, texts: Texts) -> None:
        text = " ".join((message.text or "").split())
        if not text or len(text) > TITLE_LIMIT:
            await message.answer(texts("session.bad_title", high=TITLE_LIMIT))
            return
        await state.update_data(title=text)
        await ask(bot, message.chat.id, state, texts, SessionWizard.when)

    @router.message(SessionWizard.when, F.text)
    async def when(message: Message, bot: Bot, state: FSMContext, texts: Texts) -> None:
        data = await state.get_data()
        try:
            local = datetime.strptime(" ".join((message.text or "").split()), WHEN_FORMAT)
        except ValueError:
            await message.answer(texts("session.bad_when", example=data["example"]))
            return
        starts_at = local.replace(tzinfo=ZoneInfo(data["timezone"]))
        if starts_at <= utcnow():
            await message.answer(texts("session.past_when"))
            return
        await state.update_data(starts_at=starts_at.isoformat())
        await ask(bot, message.chat.id, state, texts, SessionWizard.size)

    @router.message(SessionWizard.place, F.text)
    async def place(message: Message, bot: Bot, state: FSMContext, texts: Texts) -> None:
        text = (message.text or "").strip()
        if len(text) > PLACE_LIMIT:
            await message.answer(texts("q.error.too_long", length=len(text), high=PLACE_LIMIT))
            return
        await state.update_data(place=text or None)
        await ask(bot, message.chat.id, state, texts, SessionWizard.deadline)

    @router.message(in_wizard)
    async def anything_else(message: Message, texts: Texts) -> None:
        await message.answer(texts("session.use_answer"))

    @router.callback_query(WizardCb.filter())
    async def pressed(query: CallbackQuery, callback_data: WizardCb, bot: Bot, state: FSMContext,
                      session: AsyncSession, user: User, texts: Texts,
        group_rights: GroupAdminCheck,
    ) -> None:
        step, value = callback_data.step, callback_data.value
        current = await state.get_state()
        if step == "community":
            community = await admin_community(query, session, group_rights, user, texts,
                                              int(value) if value.isdigit() else 0)
            if community is not None:
                await query.answer()
                await begin_wizard(bot, query.from_user.id, state, texts, community)
            return
        expected = {"size": SessionWizard.size, "format": SessionWizard.format, "place": SessionWizard.place,
                    "deadline": SessionWizard.deadline, "mode": SessionWizard.mode}.get(step)
        if expected is None or current != expected.state or not valid(step, value):
            await query.answer(texts("button.stale"), show_alert=True)
            return
        await query.answer()
        if step == "mode":
            await finish(query, bot, state, session, user, texts, value == "interest", group_rights)
            return
        following = {"size": SessionWizard.format, "format": SessionWizard.place, "place": SessionWizard.deadline,
                     "deadline": SessionWizard.mode}[step]
        await state.update_data({step: value or None})
        await ask(bot, query.from_user.id, state, texts, following)

    @router.callback_query(RsvpCb.filter())
    async def rsvp(query: CallbackQuery, callback_data: RsvpCb, session: AsyncSession, user: User,
                   texts: Texts) -> None:
        gs = await session.get(GroupSession, callback_data.session_id)
        if gs is None:
            await query.answer(texts("button.stale"), show_alert=True)
            return
        outcome = await sessions.answer_rsvp(session, user, gs, callback_data.coming, utcnow())
        key = ("session.rsvp_yes" if callback_data.coming else "session.rsvp_no") \
            if outcome is RsvpOutcome.SAVED else f"session.rsvp_{outcome.value}"
        await query.answer(texts.label(key, title=gs.title), show_alert=True)

    @router.message(Command("sessions"), F.chat.type == "private")
    async def upcoming(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
        found = await sessions.upcoming_for(session, user, utcnow())
        if not found:
            await message.answer(texts("session.none_upcoming"))
            return
        for item in found:
            status = {True: "session.status_yes", False: "session.status_no", None: "session.status_none"}[item.coming]
            text = f"{render.session_invitation(texts, item.session, item.session.community)}\n\n" \
                   f"{texts(status, yes=item.yes)}"
            await message.answer(text, reply_markup=keyboards.rsvp(texts, item.session.id))

    @router.message(Command("formgroups"), F.chat.type == "private")
    async def form_groups(message: Message, session: AsyncSession, user: User, texts: Texts,
                          group_rights: GroupAdminCheck) -> None:
        administered = await communities.administered_by(session, group_rights, user)
        open_ones = await sessions.open_sessions(session, [c.id for c in administered])
        if not open_ones:
            await message.answer(texts("session.none_open"))
            return
        builder = InlineKeyboardBuilder()
        for gs in open_ones:
            builder.button(text=gs.title, callback_data=FormGroupsCb(session_id=gs.id))
        builder.adjust(1)
        await message.answer(texts("session.pick_to_form"), reply_markup=builder.as_markup())

    @router.callback_query(FormGroupsCb.filter())
    async def form_now(query: CallbackQuery, callback_data: FormGroupsCb, bot: Bot, session: AsyncSession,
                       user: User, texts: Texts,
        group_rights: GroupAdminCheck,
    ) -> None:
        gs = await session.get(GroupSession, callback_data.session_id)
        if gs is None or await admin_community(query, session, group_rights, user, texts, gs.community_id) is None:
            if gs is None:
                await query.answer(texts("button.stale"), show_alert=True)
            return
        formed = await sessions.form_session_groups(session, gs)
        if formed is None:
            await edit_or_send(query, bot, texts("session.already_formed"))
            return
        builder = InlineKeyboardBuilder()
        for group in await sessions.groups_of(session, gs.id):
            builder.button(text=texts.label("session.set_place", number=group.number),
                           callback_data=GroupPlaceCb(group_id=group.id))
        builder.adjust(3)
        await edit_or_send(query, bot, texts("session.formed", title=gs.title, groups=formed.groups,
                                             people=formed.participants, repeats=formed.repeats),
                           builder.as_markup())

    @router.callback_query(GroupPlaceCb.filter())
    async def place_for_group(query: CallbackQuery, callback_data: GroupPlaceCb, bot: Bot, state: FSMContext,
                              session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
        group = await session.get(SessionGroup, callback_data.group_id)
        gs = await session.get(GroupSession, group.session_id) if group else None
        if group is None or gs is None:
            await query.answer(texts("button.stale"), show_alert=True)
            return
        if await admin_community(query, session, group_rights, user, texts, gs.community_id) is None:
            return
        await query.answer()
        await state.set_state(GroupPlace.waiting)
        await state.update_data(place_group_id=group.id)
        await bot.send_message(query.from_user.id, texts("session.ask_group_place", number=group.number))

    @router.message(GroupPlace.waiting, F.text, ~F.text.startswith("/"))
    async def group_place_text(message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                               texts: Texts,
        group_rights: GroupAdminCheck,
    ) -> None:
        group_id = (await state.get_data()).get("place_group_id")
        await state.clear()
        group = await session.get(SessionGroup, int(group_id or 0))
        gs = await session.get(GroupSession, group.session_id) if group else None
        place = (message.text or "").strip()
        community = await session.get(Community, gs.community_id) if gs else None
        if group is None or community is None or not await communities.is_admin(session, group_rights, community, user):
            await message.answer(texts("admin.not_admin"))
            return
        if not place or len(place) > PLACE_LIMIT:
            await message.answer(texts("q.error.too_long", length=len(place), high=PLACE_LIMIT))
            return
        assert group is not None
        told = await sessions.set_group_place(session, group, place)
        await message.answer(texts("session.place_sent", number=group.number, count=told))

    @router.callback_query(SessionRateCb.filter())
    async def rated(query: CallbackQuery, callback_data: SessionRateCb, bot: Bot, session: AsyncSession,
                    user: User, texts: Texts) -> None:
        seat = await sessions.group_seat(session, user, callback_data.group_id)
        if seat is None or not await sessions.rate_session(session, seat, callback_data.stars):
            await query.answer(texts("button.stale"), show_alert=True)
            return
        await edit_or_send(query, bot, texts("session.connect_prompt"),
                           keyboards.session_connections(texts, callback_data.group_id, seat.others, seat.connected))

    @router.callback_query(SessionConnectCb.filter())
    async def connected(query: CallbackQuery, callback_data: SessionConnectCb, bot: Bot, session: AsyncSession,
                        user: User, texts: Texts) -> None:
        seat = await sessions.group_seat(session, user, callback_data.group_id)
        if seat is None:
            await query.answer(texts("button.stale"), show_alert=True)
            return
        if callback_data.other_id == 0:
            await edit_or_send(query, bot, texts("session.connections_saved", count=len(seat.connected)))
            return
        if not await sessions.toggle_connection(session, seat, callback_data.other_id):
            await query.answer(texts("button.stale"), show_alert=True)
            return
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=keyboards.session_connections(
                texts, callback_data.group_id, seat.others, seat.connected))

    return router


def valid(step: str, value: str) -> bool:
    allowed = {"size": {str(s) for s in SIZES}, "format": {"online", "offline"}, "place": {""},
               "deadline": {str(h) for h in DEADLINE_HOURS}, "mode": {"mixed", "interest"}}
    return value in allowed.get(step, set())


async def begin_wizard(bot: Bot, chat_id: int, state: FSMContext, texts: Texts, community: Community) -> None:
    example = (utcnow() + timedelta(days=7)).astimezone(ZoneInfo(community.timezone)).strftime("%Y-%m-%d 18:30")
    await state.set_data({"community_id": community.id, "timezone": community.timezone, "example": example})
    await ask(bot, chat_id, state, texts, SessionWizard.title)


async def finish(query: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                 texts: Texts, by_interest: bool, group_rights: GroupAdminCheck) -> None:
    data = await state.get_data()
    await state.clear()
    community = await admin_community(query, session, group_rights, user, texts, data["community_id"])
    if community is None:
        return
    starts_at = datetime.fromisoformat(data["starts_at"])
    deadline = starts_at - timedelta(hours=int(data["deadline"]))
    if deadline <= utcnow():
        deadline = starts_at - (starts_at - utcnow()) / 2  # too close for the chosen notice: halfway from now
    created = await sessions.create_session(session, community, NewSession(
        title=data["title"], starts_at=starts_at, rsvp_deadline=deadline, group_size=int(data["size"]),
        meeting_format=MeetingFormat(data["format"]), place=data.get("place"), by_interest=by_interest))
    await bot.send_message(query.from_user.id, texts("session.created", title=created.title,
                                                      deadline=render.local_time(deadline, community.timezone)))
