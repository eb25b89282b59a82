"""The profile questionnaire: one question per message, progress kept in persistent FSM storage."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Community, User
from bot.domain import profile
from bot.domain.profile import Draft, Step
from bot.presentation import keyboards
from bot.presentation.callbacks import ProfileEditCb, QuestionCb
from bot.presentation.render import profile_card
from bot.presentation.texts import Texts
from bot.services import communities, profiles


class Questionnaire(StatesGroup):
    name = State()
    about = State()
    interests = State()
    offers = State()
    needs = State()
    format = State()
    city = State()
    timezone = State()
    contact = State()
    preview = State()
    edit_menu = State()


STATE_OF: dict[Step, State] = {step: getattr(Questionnaire, step.value) for step in Step}
STEP_OF: dict[str | None, Step] = {state.state: step for step, state in STATE_OF.items()}
TEXT_STATES = [STATE_OF[step] for step in profile.TEXT_LIMITS]
BUTTON_STATES = [Questionnaire.interests, Questionnaire.format, Questionnaire.preview, Questionnaire.edit_menu]
ACTION_STATE: dict[str, State | tuple[State, ...]] = {
    "keep": Questionnaire.name,
    "tag": Questionnaire.interests,
    "done": Questionnaire.interests,
    "fmt": Questionnaire.format,
    "tz": Questionnaire.timezone,
    "tzname": Questionnaire.timezone,
    "tglink": Questionnaire.contact,
    "confirm": Questionnaire.preview,
    "edit": Questionnaire.preview,
    "field": (Questionnaire.preview, Questionnaire.edit_menu),
}


async def start(
    bot: Bot, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
    community: Community | None, draft: Draft | None = None, redo: Step | None = None,
) -> None:
    """Begin (or restart) the questionnaire, optionally from an existing profile."""
    tags = await communities.tag_options(session, user, community)
    await state.set_data({
        "draft": draft or {}, "community_id": community.id if community else None,
        "community_name": community.name if community else None, "tags": tags,
        "redo": redo.value if redo else None,
    })
    await advance(bot, state, user, texts)


async def advance(bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    data = await state.get_data()
    redo = Step(data["redo"]) if data.get("redo") else None
    step = profile.first_missing(data["draft"], bool(user.username), redo)
    if step is None:
        await show_preview(bot, state, user, texts)
    else:
        await ask(bot, state, user, texts, step)


async def ask(bot: Bot, state: FSMContext, user: User, texts: Texts, step: Step) -> None:
    await state.set_state(STATE_OF[step])
    data = await state.get_data()
    draft: Draft = data["draft"]
    number, total = profile.position(step, draft, bool(user.username))
    header = texts("q.progress", number=number, total=total)
    markup = None
    extra: dict[str, Any] = {}
    if step in profile.TEXT_LIMITS:
        low, high = profile.TEXT_LIMITS[step]
        extra = {"low": low, "high": high}
    if step is Step.NAME:
        markup = keyboards.keep_name(texts, user.first_name or "") if user.first_name else None
    elif step is Step.INTERESTS:
        markup = keyboards.interests(texts, data["tags"], draft.get("interests") or [])
        extra = {"most": profile.MAX_INTERESTS}
    elif step is Step.FORMAT:
        markup = keyboards.meeting_format(texts)
    elif step is Step.TIMEZONE:
        city_zone = profile.parse_timezone(draft.get("city") or "")
        markup = keyboards.timezones(city_zone if city_zone and "/" in city_zone.name else None)
    elif step is Step.CONTACT:
        markup = keyboards.contact(texts)
    current = _current_value(texts, step, draft)
    body = texts(f"q.{step.value}", **extra)
    await bot.send_message(user.telegram_id or 0, f"{header}\n{body}{current}", reply_markup=markup)


def _current_value(texts: Texts, step: Step, draft: Draft) -> str:
    value = draft.get(step.value)
    if step in profile.TEXT_LIMITS and value:
        return "\n\n" + texts("q.current", value=value)
    return ""


async def show_preview(bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    await state.set_state(Questionnaire.preview)
    draft = (await state.get_data())["draft"]
    card = profile_card(texts, draft, user)
    await bot.send_message(
        user.telegram_id or 0, f"{texts('preview.title')}\n\n{card}", reply_markup=keyboards.preview(texts)
    )


async def reask(bot: Bot, state: FSMContext, user: User, texts: Texts, notice: str) -> None:
    """A clear notice, then the question the person is on, so nothing is lost."""
    await bot.send_message(user.telegram_id or 0, notice)
    current = await state.get_state()
    if current == Questionnaire.preview.state:
        await show_preview(bot, state, user, texts)
    elif current == Questionnaire.edit_menu.state:
        await show_edit_menu(bot, state, user, texts)
    elif current in STEP_OF:
        await ask(bot, state, user, texts, STEP_OF[current])


async def show_edit_menu(bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    await state.set_state(Questionnaire.edit_menu)
    draft = (await state.get_data())["draft"]
    steps = [step for step in Step if profile.applies(step, draft, bool(user.username))]
    await bot.send_message(
        user.telegram_id or 0, texts("preview.pick_field"),
        reply_markup=keyboards.edit_fields(texts, steps, in_questionnaire=True),
    )


async def store(state: FSMContext, step: Step, **answer: Any) -> None:
    data = await state.get_data()
    data["draft"].update(answer)
    if data.get("redo") == step.value:
        data["redo"] = None
    await state.set_data(data)


def setup() -> Router:
    router = Router(name="questionnaire")
    router.message.filter(F.chat.type == "private")
    in_questionnaire = StateFilter(Questionnaire)

    @router.message(Command("cancel"))
    async def cancel(message: Message, state: FSMContext, user: User, texts: Texts) -> None:
        if await state.get_state() not in {s.state for s in Questionnaire.__states__}:
            await message.answer(texts("cancel.nothing"))
            return
        await state.set_state(None)  # the draft stays in the FSM data: /profile resumes it
        kept = "cancel.kept_profile" if user.has_confirmed_profile else "cancel.kept_draft"
        await message.answer(f"{texts('cancel.stopped')}\n{texts(kept)}")

    @router.message(in_questionnaire, F.text.startswith("/"))
    async def command_mid_way(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
        await reask(bot, state, user, texts, texts("q.command_mid_way"))

    @router.message(StateFilter(*TEXT_STATES), F.text)
    async def text_answer(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
        step = STEP_OF[await state.get_state()]
        check = profile.check_text(step, message.text or "")
        if check.value is None:
            low, high = profile.TEXT_LIMITS[step]
            notice = texts(check.problem or "q.error.empty", low=low, high=high, length=check.length)
            await reask(bot, state, user, texts, notice)
            return
        await store(state, step, **{step.value: check.value})
        await advance(bot, state, user, texts)

    @router.message(Questionnaire.timezone, F.text)
    async def timezone_answer(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
        answer = profile.parse_timezone(message.text or "")
        if answer is None:
            await reask(bot, state, user, texts, texts("q.timezone.unknown"))
            return
        await store(state, Step.TIMEZONE, timezone=answer.name, utc_offset=answer.utc_offset)
        await advance(bot, state, user, texts)

    @router.message(StateFilter(*BUTTON_STATES), F.text)
    async def text_instead_of_button(
        message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts
    ) -> None:
        await reask(bot, state, user, texts, texts("q.error.use_buttons"))

    @router.message(in_questionnaire)
    async def not_text(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
        await reask(bot, state, user, texts, texts("q.error.not_text"))

    @router.callback_query(QuestionCb.filter())
    async def button(
        query: CallbackQuery, callback_data: QuestionCb, bot: Bot, state: FSMContext,
        session: AsyncSession, user: User, texts: Texts,
    ) -> None:
        expected = ACTION_STATE.get(callback_data.action)
        current = await state.get_state()
        allowed = expected if isinstance(expected, tuple) else (expected,)
        if expected is None or current not in {s.state for s in allowed if s is not None}:
            await query.answer(texts("button.stale"), show_alert=True)
            return
        await ACTIONS[callback_data.action](query, callback_data.value, bot, state, session, user, texts)

    @router.callback_query(ProfileEditCb.filter())
    async def edit_saved_profile(
        query: CallbackQuery, callback_data: ProfileEditCb, bot: Bot, state: FSMContext,
        session: AsyncSession, user: User, texts: Texts,
    ) -> None:
        step = _step_or_none(callback_data.field)
        if not user.has_confirmed_profile or step is None:
            await query.answer(texts("button.stale"), show_alert=True)
            return
        await query.answer()
        await start(bot, state, session, user, texts, None, profile.draft_from(user), redo=step)

    return router


def _step_or_none(value: str) -> Step | None:
    try:
        return Step(value)
    except ValueError:
        return None


async def _keep_name(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                     session: AsyncSession, user: User, texts: Texts) -> None:
    await query.answer()
    check = profile.check_text(Step.NAME, user.first_name or "")
    if check.value is None:
        await reask(bot, state, user, texts, texts("q.error.empty"))
        return
    await store(state, Step.NAME, name=check.value)
    await advance(bot, state, user, texts)


async def _toggle_tag(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                      session: AsyncSession, user: User, texts: Texts) -> None:
    data = await state.get_data()
    tags: list[str] = data["tags"]
    if not value.isdigit() or int(value) >= len(tags):
        await query.answer(texts("button.stale"), show_alert=True)
        return
    tag, chosen = tags[int(value)], list(data["draft"].get("interests") or [])
    if tag in chosen:
        chosen.remove(tag)
    elif len(chosen) >= profile.MAX_INTERESTS:
        await query.answer(texts("q.interests.too_many", most=profile.MAX_INTERESTS), show_alert=True)
        return
    else:
        chosen.append(tag)
    data["draft"]["interests"] = chosen
    await state.set_data(data)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=keyboards.interests(texts, tags, chosen))


async def _interests_done(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                          session: AsyncSession, user: User, texts: Texts) -> None:
    data = await state.get_data()
    if not data["draft"].get("interests"):
        await query.answer(texts("q.interests.none"), show_alert=True)
        return
    await query.answer()
    await store(state, Step.INTERESTS)
    await advance(bot, state, user, texts)


async def _format(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                  session: AsyncSession, user: User, texts: Texts) -> None:
    if value not in ("online", "offline", "any"):
        await query.answer(texts("button.stale"), show_alert=True)
        return
    await query.answer()
    await store(state, Step.FORMAT, format=value)
    await advance(bot, state, user, texts)


async def _offset(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                  session: AsyncSession, user: User, texts: Texts) -> None:
    minutes = int(value) if value.lstrip("-").isdigit() else None
    if minutes not in profile.OFFSET_CHOICES:
        await query.answer(texts("button.stale"), show_alert=True)
        return
    await query.answer()
    await store(state, Step.TIMEZONE, timezone=profile.offset_name(minutes), utc_offset=minutes)
    await advance(bot, state, user, texts)


async def _zone(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                session: AsyncSession, user: User, texts: Texts) -> None:
    if value not in available_timezones():
        await query.answer(texts("button.stale"), show_alert=True)
        return
    await query.answer()
    answer = profile.zone_answer(value)
    await store(state, Step.TIMEZONE, timezone=answer.name, utc_offset=answer.utc_offset)
    await advance(bot, state, user, texts)


async def _telegram_link(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                         session: AsyncSession, user: User, texts: Texts) -> None:
    await query.answer()
    await store(state, Step.CONTACT, contact=None)
    await advance(bot, state, user, texts)


async def _confirm(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                   session: AsyncSession, user: User, texts: Texts) -> None:
    await query.answer()
    data = await state.get_data()
    await profiles.save_profile(session, user, data["draft"])
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    name = data.get("community_name")
    saved = texts("profile.saved_for", community=name) if name else texts("profile.saved")
    await bot.send_message(user.telegram_id or 0, saved)


async def _edit(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                session: AsyncSession, user: User, texts: Texts) -> None:
    await query.answer()
    await show_edit_menu(bot, state, user, texts)


async def _field(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                 session: AsyncSession, user: User, texts: Texts) -> None:
    step = _step_or_none(value)
    draft = (await state.get_data())["draft"]
    if step is None or not profile.applies(step, draft, bool(user.username)):
        await query.answer(texts("button.stale"), show_alert=True)
        return
    await query.answer()
    data = await state.get_data()
    data["redo"] = step.value
    await state.set_data(data)
    await ask(bot, state, user, texts, step)


ACTIONS = {
    "keep": _keep_name, "tag": _toggle_tag, "done": _interests_done, "fmt": _format, "tz": _offset,
    "tzname": _zone, "tglink": _telegram_link, "confirm": _confirm, "edit": _edit, "field": _field,
}
