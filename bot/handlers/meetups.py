"""Group sessions (meetups): the admin's /session wizard, RSVP buttons, /sessions and /formgroups."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Community, MeetingFormat, User
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin_access import community_for_button, with_community
from bot.handlers.replies import edit_or_send, replace_buttons, stale_button
from bot.presentation import keyboards, render
from bot.presentation.callbacks import FormGroupsCb, GroupPlaceCb, MeetupConnectCb, MeetupRateCb, RsvpCb, WizardCb
from bot.presentation.texts import Texts
from bot.services import communities, meetups
from bot.services.meetups import NewMeetup, RsvpOutcome

TITLE_LIMIT = 100
PLACE_LIMIT = 300
WHEN_FORMAT = "%Y-%m-%d %H:%M"


class GroupPlace(StatesGroup):
    waiting = State()


class MeetupWizard(StatesGroup):
    title = State()
    when = State()
    size = State()
    format = State()
    place = State()
    deadline = State()
    mode = State()


BUTTON_STEPS = {"size": MeetupWizard.size, "format": MeetupWizard.format, "place": MeetupWizard.place,
                "deadline": MeetupWizard.deadline, "mode": MeetupWizard.mode}  # a button's step → its state
FOLLOWING = {"size": MeetupWizard.format, "format": MeetupWizard.place, "place": MeetupWizard.deadline,
             "deadline": MeetupWizard.mode}


async def ask(bot: Bot, chat_id: int, state: FSMContext, texts: Texts, step: State) -> None:
    await state.set_state(step)
    data = await state.get_data()
    name = (step.state or "").split(":")[-1]
    await bot.send_message(chat_id, texts(f"meetup.ask_{name}", timezone=data.get("timezone", "UTC"),
                                          example=data.get("example", "")),
                           reply_markup=keyboards.meetup_wizard(texts, name))


def valid(texts: Texts, step: str, value: str) -> bool:
    """Whether `value` is one of the buttons the wizard offers at `step`."""
    return value in {choice for _, choice in keyboards.meetup_wizard_choices(texts, step)}


async def begin_wizard(bot: Bot, chat_id: int, state: FSMContext, texts: Texts, community: Community) -> None:
    example = (utcnow() + timedelta(days=7)).astimezone(ZoneInfo(community.timezone)).strftime("%Y-%m-%d 18:30")
    await state.set_data({"community_id": community.id, "timezone": community.timezone, "example": example})
    await ask(bot, chat_id, state, texts, MeetupWizard.title)


async def cancel_wizard(message: Message, state: FSMContext, texts: Texts) -> None:
    await state.clear()
    await message.answer(texts("meetup.cancelled"))


async def new_meetup(message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                     texts: Texts, group_rights: GroupAdminCheck) -> None:
    async def begin(community: Community) -> None:
        await begin_wizard(bot, message.chat.id, state, texts, community)

    await with_community(message, session, group_rights, user, texts,
                         lambda cid: WizardCb(step="community", value=str(cid)), begin)


async def command_mid_way(message: Message, texts: Texts) -> None:
    await message.answer(texts("meetup.command_mid_way"))


async def wizard_title(message: Message, bot: Bot, state: FSMContext, texts: Texts) -> None:
    text = " ".join((message.text or "").split())
    if not text or len(text) > TITLE_LIMIT:
        await message.answer(texts("meetup.bad_title", high=TITLE_LIMIT))
        return
    await state.update_data(title=text)
    await ask(bot, message.chat.id, state, texts, MeetupWizard.when)


async def wizard_when(message: Message, bot: Bot, state: FSMContext, texts: Texts) -> None:
    data = await state.get_data()
    try:
        local = datetime.strptime(" ".join((message.text or "").split()), WHEN_FORMAT)
    except ValueError:
        await message.answer(texts("meetup.bad_when", example=data["example"]))
        return
    starts_at = local.replace(tzinfo=ZoneInfo(data["timezone"]))
    if starts_at <= utcnow():
        await message.answer(texts("meetup.past_when"))
        return
    await state.update_data(starts_at=starts_at.isoformat())
    await ask(bot, message.chat.id, state, texts, MeetupWizard.size)


async def wizard_place(message: Message, bot: Bot, state: FSMContext, texts: Texts) -> None:
    text = (message.text or "").strip()
    if len(text) > PLACE_LIMIT:
        await message.answer(texts("q.error.too_long", length=len(text), high=PLACE_LIMIT))
        return
    await state.update_data(place=text or None)
    await ask(bot, message.chat.id, state, texts, MeetupWizard.deadline)


async def wizard_other_input(message: Message, texts: Texts) -> None:
    await message.answer(texts("meetup.use_answer"))


async def wizard_pressed(query: CallbackQuery, callback_data: WizardCb, bot: Bot, state: FSMContext,
                         session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    step, value = callback_data.step, callback_data.value
    if step == "community":
        community = await community_for_button(query, session, group_rights, user, texts,
                                               int(value) if value.isdecimal() else 0)
        if community is not None:
            await query.answer()
            await begin_wizard(bot, query.from_user.id, state, texts, community)
        return
    expected = BUTTON_STEPS.get(step)
    if expected is None or await state.get_state() != expected.state or not valid(texts, step, value):
        await stale_button(query, texts)
        return
    await query.answer()
    if step == "mode":
        await finish(query, bot, state, session, user, texts, value == "interest", group_rights)
        return
    await state.update_data({step: value or None})
    await ask(bot, query.from_user.id, state, texts, FOLLOWING[step])


async def finish(query: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                 texts: Texts, by_interest: bool, group_rights: GroupAdminCheck) -> None:
    data = await state.get_data()
    await state.clear()
    community = await community_for_button(query, session, group_rights, user, texts, data["community_id"])
    if community is None:
        return
    starts_at = datetime.fromisoformat(data["starts_at"])
    deadline = starts_at - timedelta(hours=int(data["deadline"]))
    if deadline <= utcnow():
        deadline = starts_at - (starts_at - utcnow()) / 2  # too close for the chosen notice: halfway from now
    created = await meetups.create_meetup(session, community, NewMeetup(
        title=data["title"], starts_at=starts_at, rsvp_deadline=deadline, group_size=int(data["size"]),
        meeting_format=MeetingFormat(data["format"]), place=data.get("place"), by_interest=by_interest))
    await bot.send_message(query.from_user.id, texts("meetup.created", title=created.title,
                                                      deadline=render.local_time(deadline, community.timezone)))


async def rsvp(query: CallbackQuery, callback_data: RsvpCb, session: AsyncSession, user: User,
               texts: Texts) -> None:
    meetup = await meetups.by_id(session, callback_data.meetup_id)
    if meetup is None:
        await stale_button(query, texts)
        return
    outcome = await meetups.answer_rsvp(session, user, meetup, callback_data.coming, utcnow())
    key = ("meetup.rsvp_yes" if callback_data.coming else "meetup.rsvp_no") \
        if outcome is RsvpOutcome.SAVED else f"meetup.rsvp_{outcome.value}"
    await query.answer(texts.label(key, title=meetup.title), show_alert=True)


async def upcoming(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
    found = await meetups.upcoming_for(session, user, utcnow())
    if not found:
        await message.answer(texts("meetup.none_upcoming"))
        return
    for item in found:
        await message.answer(render.meetup_with_answer(texts, item.session, item.coming, item.yes),
                             reply_markup=keyboards.rsvp(texts, item.session.id))


async def form_groups(message: Message, session: AsyncSession, user: User, texts: Texts,
                      group_rights: GroupAdminCheck) -> None:
    administered = await communities.administered_by(session, group_rights, user)
    open_ones = await meetups.open_meetups(session, [c.id for c in administered])
    if not open_ones:
        await message.answer(texts("meetup.none_open"))
        return
    await message.answer(texts("meetup.pick_to_form"), reply_markup=keyboards.meetups_to_form(open_ones))


async def form_now(query: CallbackQuery, callback_data: FormGroupsCb, bot: Bot, session: AsyncSession,
                   user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    meetup = await meetups.by_id(session, callback_data.meetup_id)
    if meetup is None:
        await stale_button(query, texts)
        return
    if await community_for_button(query, session, group_rights, user, texts, meetup.community_id) is None:
        return
    formed = await meetups.form_meetup_groups(session, meetup)
    if formed is None:
        await edit_or_send(query, bot, texts("meetup.already_formed"))
        return
    await edit_or_send(query, bot, texts("meetup.formed", title=meetup.title, groups=formed.groups,
                                         people=formed.participants, repeats=formed.repeats),
                       keyboards.group_places(texts, await meetups.groups_of(session, meetup.id)))


async def place_for_group(query: CallbackQuery, callback_data: GroupPlaceCb, bot: Bot, state: FSMContext,
                          session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    found = await meetups.group_and_meetup(session, callback_data.group_id)
    if found is None:
        await stale_button(query, texts)
        return
    group, meetup = found
    if await community_for_button(query, session, group_rights, user, texts, meetup.community_id) is None:
        return
    await query.answer()
    await state.set_state(GroupPlace.waiting)
    await state.update_data(place_group_id=group.id)
    await bot.send_message(query.from_user.id, texts("meetup.ask_group_place", number=group.number))


async def group_place_text(message: Message, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
                           group_rights: GroupAdminCheck) -> None:
    group_id = (await state.get_data()).get("place_group_id")
    await state.clear()
    found = await meetups.group_and_meetup(session, int(group_id or 0))
    if found is None or await communities.administered(session, group_rights, user, found[1].community_id) is None:
        await message.answer(texts("admin.not_admin"))
        return
    group, place = found[0], (message.text or "").strip()
    if not place or len(place) > PLACE_LIMIT:
        await message.answer(texts("q.error.too_long", length=len(place), high=PLACE_LIMIT))
        return
    told = await meetups.set_group_place(session, group, place)
    await message.answer(texts("meetup.place_sent", number=group.number, count=told))


async def rated(query: CallbackQuery, callback_data: MeetupRateCb, bot: Bot, session: AsyncSession,
                user: User, texts: Texts) -> None:
    seat = await meetups.group_seat(session, user, callback_data.group_id)
    if seat is None or not await meetups.rate_meetup(session, seat, callback_data.stars):
        await stale_button(query, texts)
        return
    await edit_or_send(query, bot, texts("meetup.connect_prompt"),
                       keyboards.meetup_connections(texts, callback_data.group_id, seat.others, seat.connected))


async def connected(query: CallbackQuery, callback_data: MeetupConnectCb, bot: Bot, session: AsyncSession,
                    user: User, texts: Texts) -> None:
    seat = await meetups.group_seat(session, user, callback_data.group_id)
    if seat is None:
        await stale_button(query, texts)
        return
    if callback_data.other_id == 0:
        await edit_or_send(query, bot, texts("meetup.connections_saved", count=len(seat.connected)))
        return
    if not await meetups.toggle_connection(session, seat, callback_data.other_id):
        await stale_button(query, texts)
        return
    await query.answer()
    await replace_buttons(query, keyboards.meetup_connections(texts, callback_data.group_id, seat.others,
                                                               seat.connected))


def setup() -> Router:
    router = Router(name="sessions")
    in_wizard = StateFilter(MeetupWizard)
    private = F.chat.type == "private"
    router.message.register(cancel_wizard, Command("cancel"), in_wizard)
    router.message.register(new_meetup, Command("session"), private)
    router.message.register(command_mid_way, in_wizard, F.text.startswith("/"))
    router.message.register(wizard_title, MeetupWizard.title, F.text)
    router.message.register(wizard_when, MeetupWizard.when, F.text)
    router.message.register(wizard_place, MeetupWizard.place, F.text)
    router.message.register(wizard_other_input, in_wizard)
    router.callback_query.register(wizard_pressed, WizardCb.filter())
    router.callback_query.register(rsvp, RsvpCb.filter())
    router.message.register(upcoming, Command("sessions"), private)
    router.message.register(form_groups, Command("formgroups"), private)
    router.callback_query.register(form_now, FormGroupsCb.filter())
    router.callback_query.register(place_for_group, GroupPlaceCb.filter())
    router.message.register(group_place_text, GroupPlace.waiting, F.text, ~F.text.startswith("/"))
    router.callback_query.register(rated, MeetupRateCb.filter())
    router.callback_query.register(connected, MeetupConnectCb.filter())
    return router
