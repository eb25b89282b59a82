"""Group sessions (meetups): the admin's /session wizard, RSVP buttons, /sessions and /formgroups."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Community, MeetingFormat, User
from bot.domain.meetups import Rsvp
from bot.domain.rights import GroupAdminCheck
from bot.domain.zones import community_zone
from bot.handlers.admin_access import community_for_button, with_community
from bot.handlers.replies import edit_or_send, help_mid_way, replace_buttons, stale_button
from bot.presentation import keyboards, meetup_views
from bot.presentation.callbacks import (
    OPEN_ANSWERS,
    FormGroupsCb,
    GroupPlaceCb,
    MeetupAnswersCb,
    MeetupConnectCb,
    MeetupRateCb,
    RsvpCb,
    WizardCb,
)
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
    zone = community_zone(community.timezone)  # the admin types times in the community's zone; stored in UTC
    example = (utcnow() + timedelta(days=7)).astimezone(zone.rules).strftime("%Y-%m-%d 18:30")
    await state.set_data({"community_id": community.id, "timezone": zone.name, "example": example})
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


async def help_in_wizard(message: Message, bot: Bot, state: FSMContext, texts: Texts) -> None:
    """/help while a session is being created: the help, then the question the admin is on, again."""
    await help_mid_way(message, texts, texts("help.meetup_goes_on"))
    now = await state.get_state()
    current = next(step for step in MeetupWizard.__states__ if step.state == now)
    await ask(bot, message.chat.id, state, texts, current)


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
    starts_at = local.replace(tzinfo=community_zone(data["timezone"]).rules)
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
    await bot.send_message(query.from_user.id, meetup_views.meetup_created(texts, created, user, community))


RSVP_SAVED = {Rsvp.YES: "meetup.rsvp_yes", Rsvp.MAYBE: "meetup.rsvp_maybe", Rsvp.NO: "meetup.rsvp_no"}


async def rsvp(query: CallbackQuery, callback_data: RsvpCb, bot: Bot, session: AsyncSession, user: User,
               texts: Texts) -> None:
    """An answer to an invitation. In the private chat the invitation itself then shows the answer (and its
    buttons mark it); pressed on the group chat's invitation, the answer is confirmed in the private chat."""
    meetup = await meetups.by_id(session, callback_data.meetup_id)
    answer = Rsvp.parse(callback_data.answer)
    if meetup is None or answer is None:
        await stale_button(query, texts)
        return
    outcome = await meetups.answer_rsvp(session, user, meetup, answer, utcnow())
    if outcome is not RsvpOutcome.SAVED:
        await query.answer(texts.label(f"meetup.rsvp_{outcome.value}", title=meetup.title), show_alert=True)
        return
    await query.answer(texts.label(RSVP_SAVED[answer], title=meetup.title))
    yes = (await meetups.answer_counts(session, meetup.id))[0]
    if isinstance(query.message, Message) and query.message.chat.type == "private":
        text = meetup_views.invitation_with_answer(texts, meetup, meetup.community, user, answer, yes)
        with suppress(TelegramBadRequest):  # the same answer again: the message is already so
            await query.message.edit_text(text, reply_markup=keyboards.rsvp(texts, meetup.id, answer))
        return
    with suppress(TelegramForbiddenError, TelegramBadRequest):  # never opened the private chat: the popup says it
        await bot.send_message(query.from_user.id, texts(RSVP_SAVED[answer], title=meetup.title))


async def upcoming(message: Message, session: AsyncSession, user: User, texts: Texts,
                   group_rights: GroupAdminCheck) -> None:
    """Upcoming meetups with the reader's answer; the ones they organise also with the answers so far."""
    organised = [community.id for community in await communities.administered_by(session, group_rights, user)]
    found = await meetups.upcoming_for(session, user, utcnow(), organised)
    if not found:
        await message.answer(texts("meetup.none_upcoming"))
        return
    for item in found:
        meetup, community = item.session, item.session.community
        if item.organiser:
            counts = meetup_views.Counts(*item.counts)
            text = meetup_views.organiser_view(texts, meetup, community, user, counts, item.answer, item.member)
            markup = keyboards.rsvp(texts, meetup.id, item.answer, item.counts) if item.member \
                else keyboards.meetup_answers(texts, meetup.id, item.counts)
        else:
            text = meetup_views.invitation_with_answer(texts, meetup, community, user, item.answer, item.yes)
            markup = keyboards.rsvp(texts, meetup.id, item.answer)
        await message.answer(text, reply_markup=markup)


async def answers_page(query: CallbackQuery, callback_data: MeetupAnswersCb, bot: Bot, session: AsyncSession,
                       user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    """A page of who answered a meetup, for its community's admins only (rights checked on every press)."""
    meetup = await meetups.by_id(session, callback_data.meetup_id)
    if meetup is None:
        await stale_button(query, texts)
        return
    community = await community_for_button(query, session, group_rights, user, texts, meetup.community_id)
    if community is None:
        return
    pages = meetup_views.answers_pages(texts, meetup, community, user, await meetups.answers_to(session, meetup.id))
    page = min(max(callback_data.page, 0), len(pages) - 1)
    markup = keyboards.answer_pages(meetup.id, page, len(pages))
    if callback_data.page == OPEN_ANSWERS:  # from /sessions: a new message, the session's own stays in view
        await query.answer()
        await bot.send_message(query.from_user.id, pages[page], reply_markup=markup)
        return
    await edit_or_send(query, bot, pages[page], markup)  # ◀️ / ▶️: the page in place


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
    router.message.register(help_in_wizard, Command("help"), in_wizard)
    router.message.register(command_mid_way, in_wizard, F.text.startswith("/"))
    router.message.register(wizard_title, MeetupWizard.title, F.text)
    router.message.register(wizard_when, MeetupWizard.when, F.text)
    router.message.register(wizard_place, MeetupWizard.place, F.text)
    router.message.register(wizard_other_input, in_wizard)
    router.callback_query.register(wizard_pressed, WizardCb.filter())
    router.callback_query.register(rsvp, RsvpCb.filter())
    router.callback_query.register(answers_page, MeetupAnswersCb.filter())
    router.message.register(upcoming, Command("sessions"), private)
    router.message.register(form_groups, Command("formgroups"), private)
    router.callback_query.register(form_now, FormGroupsCb.filter())
    router.callback_query.register(place_for_group, GroupPlaceCb.filter())
    router.message.register(group_place_text, GroupPlace.waiting, F.text, ~F.text.startswith("/"))
    router.callback_query.register(rated, MeetupRateCb.filter())
    router.callback_query.register(connected, MeetupConnectCb.filter())
    return router
