"""/schedule: the day, time of day (a button or typed HH:MM), time zone (a button or a typed city or IANA
name), frequency, round shape and reminder day of a community's rounds. Rights are checked on every press and
on every typed answer; a changed schedule re-arms the community's job at once."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.domain.schedule import TYPED_FIELDS
from bot.domain.zones import parse_time_of_day, parse_zone
from bot.handlers.admin_access import community_for_button, with_community
from bot.handlers.replies import edit_or_send, help_mid_way, stale_button
from bot.presentation import keyboards, schedule_views
from bot.presentation.callbacks import ScheduleCb
from bot.presentation.texts import Html, Texts
from bot.scheduler import RoundScheduler
from bot.services import communities, schedules


class ScheduleInput(StatesGroup):
    """A time of day or a zone may be typed while its buttons are shown."""

    time = State()
    zone = State()


def menu_text(texts: Texts, community: Community, user: User) -> Html:
    return schedule_views.schedule_text(texts, community, utcnow(), user)


async def schedule(message: Message, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
                   group_rights: GroupAdminCheck) -> None:
    async def show(community: Community) -> None:
        await _leave_typing(state)
        await message.answer(menu_text(texts, community, user),
                             reply_markup=keyboards.schedule_menu(texts, community.id, ""))

    await with_community(message, session, group_rights, user, texts, lambda cid: ScheduleCb(community_id=cid), show)


async def schedule_choice(query: CallbackQuery, callback_data: ScheduleCb, bot: Bot, state: FSMContext,
                          session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck,
                          scheduler: RoundScheduler | None = None) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    field, value = callback_data.field, callback_data.value
    if field and value:
        if not await schedules.change_schedule(session, community, field, value):
            await stale_button(query, texts)
            return
        if scheduler is not None:
            scheduler.sync(community)
        await _leave_typing(state)
        await edit_or_send(query, bot, menu_text(texts, community, user),
                           keyboards.schedule_menu(texts, community.id, ""))
        return
    if field in TYPED_FIELDS:  # its buttons, and the question for a typed answer
        await state.set_state(ScheduleInput.time if field == "time" else ScheduleInput.zone)
        await state.update_data(schedule_community_id=community.id)
        prompt = schedule_views.ask_time(texts, community) if field == "time" else schedule_views.ask_zone(texts)
        await edit_or_send(query, bot, Html(f"{menu_text(texts, community, user)}\n\n{prompt}"),
                           keyboards.schedule_menu(texts, community.id, field))
        return
    await _leave_typing(state)
    await edit_or_send(query, bot, menu_text(texts, community, user),
                       keyboards.schedule_menu(texts, community.id, field))


async def typed_value(message: Message, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
                      group_rights: GroupAdminCheck, scheduler: RoundScheduler | None = None) -> None:
    """A typed time ("18:30") or zone ("Berlin", "Europe/Berlin"): checked, saved, and the schedule shown."""
    typing_time = await state.get_state() == ScheduleInput.time.state
    community_id = (await state.get_data()).get("schedule_community_id")
    community = await communities.administered(session, group_rights, user, int(community_id or 0))
    if community is None:
        await state.clear()
        await message.answer(texts("admin.not_admin"))
        return
    typed = message.text or ""
    if typing_time:
        parsed = parse_time_of_day(typed)
        value = None if parsed is None else f"{parsed[0]:02d}{parsed[1]:02d}"
    else:
        value = parse_zone(typed)
    if value is None:
        await message.answer(schedule_views.bad_time(texts, typed) if typing_time else
                             schedule_views.bad_zone(texts, typed))
        return
    await schedules.change_schedule(session, community, "time" if typing_time else "zone", value)
    if scheduler is not None:
        scheduler.sync(community)
    await state.clear()
    await message.answer(menu_text(texts, community, user),
                         reply_markup=keyboards.schedule_menu(texts, community.id, ""))


async def not_text(message: Message, state: FSMContext, texts: Texts) -> None:
    """A sticker, photo or voice where a time or zone is typed."""
    typing_time = await state.get_state() == ScheduleInput.time.state
    await message.answer(texts("schedule.not_text_time" if typing_time else "schedule.not_text_zone"))


async def help_while_typing(message: Message, state: FSMContext, texts: Texts) -> None:
    typing_time = await state.get_state() == ScheduleInput.time.state
    await help_mid_way(message, texts, texts("help.schedule_time_goes_on" if typing_time else
                                             "help.schedule_zone_goes_on"))


async def cancel(message: Message, state: FSMContext, texts: Texts) -> None:
    await state.clear()
    await message.answer(texts("schedule.cancelled"))


_TYPED_STATES = (ScheduleInput.time.state, ScheduleInput.zone.state)


async def _leave_typing(state: FSMContext) -> None:
    """A button answered instead of typing: stop waiting for a typed value (other flows' states are kept)."""
    if await state.get_state() in _TYPED_STATES:
        await state.clear()


def setup() -> Router:
    router = Router(name="schedule")
    private = F.chat.type == "private"
    typing = StateFilter(ScheduleInput)
    router.message.register(schedule, Command("schedule"), private)
    router.message.register(cancel, Command("cancel"), typing, private)
    router.message.register(help_while_typing, Command("help"), typing, private)
    # Any other command in the middle goes to its own handler; only plain text is read as the answer.
    router.message.register(typed_value, typing, private, F.text, ~F.text.startswith("/"))
    router.message.register(not_text, typing, private, ~F.text)
    router.callback_query.register(schedule_choice, ScheduleCb.filter())
    return router
