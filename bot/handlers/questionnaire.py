"""The profile questionnaire: one question per message, progress kept in persistent FSM storage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from zoneinfo import available_timezones

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Community, MeetingFormat, User
from bot.domain import profile
from bot.domain.draft import ProfileDraft, valid_fields
from bot.domain.membership import JoinOutcome
from bot.domain.profile import Step
from bot.domain.topics import MAX_TOPICS, MEETING_LANGUAGES, HelpTopic, suggested_languages
from bot.handlers.replies import replace_buttons, stale_button
from bot.presentation import keyboards
from bot.presentation.callbacks import NewQuestionsCb, ProfileEditCb, QuestionCb, TopicCb
from bot.presentation.joining import welcome
from bot.presentation.render import profile_card
from bot.presentation.texts import Html, Texts
from bot.services import communities, memberships, profiles


class Questionnaire(StatesGroup):
    name = State()
    about = State()
    interests = State()
    offer_topics = State()
    offers = State()
    need_topics = State()
    needs = State()
    languages = State()
    format = State()
    city = State()
    timezone = State()
    contact = State()
    preview = State()
    edit_menu = State()


STATE_OF: dict[Step, State] = {step: getattr(Questionnaire, step.value) for step in Step}
STEP_OF: dict[str | None, Step] = {state.state: step for step, state in STATE_OF.items()}
TEXT_STATES = [STATE_OF[step] for step in profile.TEXT_LIMITS]
TOPIC_STATES = (Questionnaire.offer_topics, Questionnaire.need_topics)
BUTTON_STATES = [Questionnaire.interests, *TOPIC_STATES, Questionnaire.languages, Questionnaire.format,
                 Questionnaire.preview, Questionnaire.edit_menu]
ACTION_STATE: dict[str, tuple[State, ...]] = {
    "keep": (Questionnaire.name,),
    "tag": (Questionnaire.interests,),
    "done": (Questionnaire.interests,),
    "topics": TOPIC_STATES,
    "lang": (Questionnaire.languages,),
    "langs": (Questionnaire.languages,),
    "fmt": (Questionnaire.format,),
    "tz": (Questionnaire.timezone,),
    "tzname": (Questionnaire.timezone,),
    "tglink": (Questionnaire.contact,),
    "confirm": (Questionnaire.preview,),
    "edit": (Questionnaire.preview,),
    "field": (Questionnaire.preview, Questionnaire.edit_menu),
    "back": tuple(STATE_OF.values()),
    "keep_answer": (*TEXT_STATES, Questionnaire.timezone),
}
FORMAT_CHOICES = tuple(choice.value for choice in MeetingFormat)


@dataclass(frozen=True)
class Progress:
    """The questionnaire's FSM data, read leniently: data from an older version never crashes, and an answer
    that does not parse counts as unanswered."""

    draft: ProfileDraft = field(default_factory=ProfileDraft)
    tags: tuple[str, ...] = ()
    topics: tuple[HelpTopic, ...] = ()  # the help topics to pick from, in the order shown
    community_name: str | None = None
    redo: Step | None = None
    back_to: Step | None = None  # after Back: the question the person had reached (asked again on the way forward)


async def progress(state: FSMContext) -> Progress:
    data = await state.get_data()
    found = valid_fields(Progress, {key: value for key, value in data.items() if key != "draft"})
    return Progress(**found, draft=ProfileDraft.from_storage(data.get("draft")))


async def start(
    bot: Bot, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
    community: Community | None, draft: ProfileDraft | None = None, redo: Step | None = None,
) -> None:
    """Begin (or restart) the questionnaire, optionally from an existing profile."""
    tags = await communities.tag_options(session, user, community)
    topics = await profiles.topic_options(session, user, community)
    await state.set_data({
        "draft": (draft if draft is not None else ProfileDraft()).to_storage(),
        "community_id": community.id if community else None,
        "community_name": community.name if community else None, "tags": tags,
        "topics": [asdict(topic) for topic in topics],
        "redo": redo.value if redo else None,
    })
    await advance(bot, state, user, texts)


async def advance(bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    now = await progress(state)
    step = profile.first_missing(now.draft, bool(user.username), now.redo)
    if step is None:
        await show_preview(bot, state, user, texts)
    else:
        await ask(bot, state, user, texts, step)


async def answer_step(bot: Bot, state: FSMContext, user: User, texts: Texts, step: Step,
                      draft: ProfileDraft) -> None:
    """Keep the draft with `step` answered (a question re-asked for editing is then done) and go on: after Back,
    question by question up to where the person was, then to the first question not answered yet."""
    now = await progress(state)
    update: dict[str, Any] = {"draft": draft.to_storage()}
    if now.redo is step:
        update["redo"] = None
    if now.back_to is not None:
        following = profile.following(step, draft, bool(user.username))
        ahead = following is not None and profile.STEPS.index(following) <= profile.STEPS.index(now.back_to)
        update["redo"] = following.value if following is not None and ahead else update.get("redo", now.redo)
        update["back_to"] = now.back_to.value if ahead and following is not now.back_to else None
    await state.update_data(update)
    await advance(bot, state, user, texts)


async def ask(bot: Bot, state: FSMContext, user: User, texts: Texts, step: Step) -> None:
    await state.set_state(STATE_OF[step])
    now = await progress(state)
    number, total = profile.position(step, now.draft, bool(user.username))
    header = texts("q.progress", number=number, total=total)
    body, markup = _question(texts, step, now, user)
    answer = profile.typed_answer(step, now.draft)
    current = "\n\n" + texts("q.current", value=answer) if answer else ""
    await bot.send_message(user.telegram_id or 0, f"{header}\n{body}{current}", reply_markup=markup)


def _question(texts: Texts, step: Step, now: Progress, user: User) -> tuple[Html, InlineKeyboardMarkup | None]:
    """The question's text and its buttons, with "Keep the current answer" and "Back" where they apply."""
    markup = None
    extra: dict[str, Any] = {}
    if step in profile.TEXT_LIMITS:
        low, high = profile.TEXT_LIMITS[step]
        extra = {"low": low, "high": high}
    if step is Step.NAME:
        markup = keyboards.keep_name(texts, user.first_name or "") if user.first_name else None
    elif step is Step.INTERESTS:
        markup = keyboards.interests(texts, now.tags, now.draft.interests)
        extra = {"most": profile.MAX_INTERESTS}
    elif step in profile.TOPIC_STEPS:
        markup = keyboards.help_topics(texts, step, now.topics, profile.topics_of(now.draft, step))
        extra = {"most": MAX_TOPICS}
    elif step is Step.LANGUAGES:
        markup = keyboards.meeting_languages(texts, chosen_languages(now.draft, user))
    elif step is Step.FORMAT:
        markup = keyboards.meeting_format(texts)
    elif step is Step.TIMEZONE:
        city_zone = profile.parse_timezone(now.draft.city or "")
        markup = keyboards.timezones(city_zone if city_zone and "/" in city_zone.name else None)
    elif step is Step.CONTACT:
        markup = keyboards.contact(texts)
    back = profile.previous(step, now.draft, bool(user.username)) is not None
    keep = profile.typed_answer(step, now.draft) is not None
    return texts(f"q.{step.value}", **extra), keyboards.question(texts, markup, step, back=back, keep=keep)


async def _refresh_buttons(query: CallbackQuery, state: FSMContext, user: User, texts: Texts, step: Step) -> None:
    """After a tick on a multiple-choice question: the same question's buttons, showing the new choice."""
    await replace_buttons(query, _question(texts, step, await progress(state), user)[1])


def chosen_languages(draft: ProfileDraft, user: User) -> tuple[str, ...]:
    """The languages ticked on the question: the person's choice, else the guess from their Telegram language
    and the script their answers are written in."""
    if draft.languages is not None:
        return draft.languages
    return suggested_languages(user.language, (draft.about, draft.offers, draft.needs))


async def show_preview(bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    await state.set_state(Questionnaire.preview)
    card = profile_card(texts, (await progress(state)).draft, user)
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
    draft = (await progress(state)).draft
    steps = [step for step in Step if profile.applies(step, draft, bool(user.username))]
    await bot.send_message(
        user.telegram_id or 0, texts("preview.pick_field"),
        reply_markup=keyboards.edit_fields(texts, steps, in_questionnaire=True),
    )


# --- messages ------------------------------------------------------------------------------------------


async def cancel(message: Message, state: FSMContext, user: User, texts: Texts) -> None:
    if await state.get_state() not in {s.state for s in Questionnaire.__states__}:
        await message.answer(texts("cancel.nothing"))
        return
    await state.set_state(None)  # the draft stays in the FSM data: /profile resumes it
    kept = "cancel.kept_profile" if user.has_confirmed_profile else "cancel.kept_draft"
    await message.answer(f"{texts('cancel.stopped')}\n{texts(kept)}")


async def command_mid_way(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    await reask(bot, state, user, texts, texts("q.command_mid_way"))


async def join_mid_way(message: Message, command: CommandObject, bot: Bot, state: FSMContext,
                       session: AsyncSession, user: User, texts: Texts, settings: Settings) -> None:
    """Another community's invite link opened in the middle of the questionnaire: joined (the profile being
    written is used there too), and the questionnaire goes on where it was."""
    community = await communities.by_invite_code(session, command.args or "")
    if community is None:
        await reask(bot, state, user, texts, texts("start.bad_code"))
        return
    outcome = await memberships.join(session, user, community, settings.erased_ban_secret)
    if outcome is None:
        await reask(bot, state, user, texts, texts("start.join_refused"))
        return
    if outcome is JoinOutcome.ALREADY:  # e.g. the link of the community this questionnaire is for: nothing new
        await reask(bot, state, user, texts, texts("q.command_mid_way"))
        return
    await reask(bot, state, user, texts, Html(f"{welcome(texts, community, outcome)}\n\n{texts('q.joined_mid_way')}"))


async def text_answer(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    step = STEP_OF[await state.get_state()]
    check = profile.check_text(step, message.text or "")
    if check.value is None:
        low, high = profile.TEXT_LIMITS[step]
        notice = texts(check.problem or "q.error.empty", low=low, high=high, length=check.length)
        await reask(bot, state, user, texts, notice)
        return
    draft = (await progress(state)).draft
    await answer_step(bot, state, user, texts, step, profile.with_text(draft, step, check.value))


async def timezone_answer(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    answer = profile.parse_timezone(message.text or "")
    if answer is None:
        await reask(bot, state, user, texts, texts("q.timezone.unknown"))
        return
    await _answer_timezone(bot, state, user, texts, answer)


async def _answer_timezone(bot: Bot, state: FSMContext, user: User, texts: Texts,
                           answer: profile.TimeZoneAnswer) -> None:
    draft = replace((await progress(state)).draft, timezone=answer.name, utc_offset=answer.utc_offset)
    await answer_step(bot, state, user, texts, Step.TIMEZONE, draft)


async def text_instead_of_button(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    await reask(bot, state, user, texts, texts("q.error.use_buttons"))


async def not_text(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    await reask(bot, state, user, texts, texts("q.error.not_text"))


# --- buttons -------------------------------------------------------------------------------------------


async def button(
    query: CallbackQuery, callback_data: QuestionCb, bot: Bot, state: FSMContext,
    session: AsyncSession, user: User, texts: Texts,
) -> None:
    """A questionnaire button: run its action if it belongs to the question the person is on."""
    allowed = ACTION_STATE.get(callback_data.action, ())
    if await state.get_state() not in {expected.state for expected in allowed}:
        await stale_button(query, texts)
        return
    await ACTIONS[callback_data.action](query, callback_data.value, bot, state, session, user, texts)


async def edit_saved_profile(
    query: CallbackQuery, callback_data: ProfileEditCb, bot: Bot, state: FSMContext,
    session: AsyncSession, user: User, texts: Texts,
) -> None:
    step = _step_or_none(callback_data.field)
    if not user.has_confirmed_profile or step is None:
        await stale_button(query, texts)
        return
    await query.answer()
    await start(bot, state, session, user, texts, None, profile.draft_from(user), redo=step)


def _step_or_none(value: str) -> Step | None:
    try:
        return Step(value)
    except ValueError:
        return None


async def go_back(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                  session: AsyncSession, user: User, texts: Texts) -> None:
    """Back to the question before the one the person is on (only from that question's own message); the
    answers given so far are kept, and after answering it the questionnaire goes on where it was."""
    step = STEP_OF[await state.get_state()]
    now = await progress(state)
    before = profile.previous(step, now.draft, bool(user.username))
    if value != step.value or before is None:
        await stale_button(query, texts)
        return
    await query.answer()
    await state.update_data(redo=before.value, back_to=profile.later(step, now.back_to).value)
    await ask(bot, state, user, texts, before)


async def keep_answer(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                      session: AsyncSession, user: User, texts: Texts) -> None:
    """"Keep the current answer" on a typed question asked again (after Back, or when editing)."""
    step = STEP_OF[await state.get_state()]
    draft = (await progress(state)).draft
    if value != step.value or profile.typed_answer(step, draft) is None:
        await stale_button(query, texts)
        return
    await query.answer()
    await answer_step(bot, state, user, texts, step, draft)


async def keep_name(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                    session: AsyncSession, user: User, texts: Texts) -> None:
    await query.answer()
    check = profile.check_text(Step.NAME, user.first_name or "")
    if check.value is None:
        await reask(bot, state, user, texts, texts("q.error.empty"))
        return
    draft = profile.with_text((await progress(state)).draft, Step.NAME, check.value)
    await answer_step(bot, state, user, texts, Step.NAME, draft)


async def toggle_tag(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                     session: AsyncSession, user: User, texts: Texts) -> None:
    now = await progress(state)
    if not (value.isascii() and value.isdigit()) or int(value) >= len(now.tags):
        await stale_button(query, texts)
        return
    tag, chosen = now.tags[int(value)], list(now.draft.interests)
    if tag in chosen:
        chosen.remove(tag)
    elif len(chosen) >= profile.MAX_INTERESTS:
        await query.answer(texts("q.interests.too_many", most=profile.MAX_INTERESTS), show_alert=True)
        return
    else:
        chosen.append(tag)
    await state.update_data(draft=replace(now.draft, interests=tuple(chosen)).to_storage())
    await query.answer()
    await _refresh_buttons(query, state, user, texts, Step.INTERESTS)


async def interests_done(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                         session: AsyncSession, user: User, texts: Texts) -> None:
    draft = (await progress(state)).draft
    if not draft.interests:
        await query.answer(texts("q.interests.none"), show_alert=True)
        return
    await query.answer()
    await answer_step(bot, state, user, texts, Step.INTERESTS, draft)


async def choose_format(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                        session: AsyncSession, user: User, texts: Texts) -> None:
    if value not in FORMAT_CHOICES:
        await stale_button(query, texts)
        return
    await query.answer()
    draft = replace((await progress(state)).draft, format=MeetingFormat(value))
    await answer_step(bot, state, user, texts, Step.FORMAT, draft)


async def choose_offset(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                        session: AsyncSession, user: User, texts: Texts) -> None:
    digits = value.removeprefix("-")
    minutes = int(value) if digits.isascii() and digits.isdigit() else None
    if minutes not in profile.OFFSET_CHOICES:
        await stale_button(query, texts)
        return
    await query.answer()
    await _answer_timezone(bot, state, user, texts, profile.TimeZoneAnswer(profile.offset_name(minutes), minutes))


async def choose_zone(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                      session: AsyncSession, user: User, texts: Texts) -> None:
    if value not in available_timezones():
        await stale_button(query, texts)
        return
    await query.answer()
    await _answer_timezone(bot, state, user, texts, profile.zone_answer(value))


async def telegram_link(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                        session: AsyncSession, user: User, texts: Texts) -> None:
    """"My Telegram link is fine": no contact text, and the question is answered."""
    await query.answer()
    draft = replace((await progress(state)).draft, contact=None, contact_answered=True)
    await answer_step(bot, state, user, texts, Step.CONTACT, draft)


async def confirm(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                  session: AsyncSession, user: User, texts: Texts) -> None:
    await query.answer()
    now = await progress(state)
    if profile.first_missing(now.draft, bool(user.username)) is not None:
        await advance(bot, state, user, texts)  # e.g. a stored draft with an answer that no longer parses
        return
    await profiles.save_profile(session, user, now.draft)
    await state.clear()
    await replace_buttons(query, None)
    name = now.community_name
    saved = texts("profile.saved_for", community=name) if name else texts("profile.saved")
    await bot.send_message(user.telegram_id or 0, saved)


async def edit(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
               session: AsyncSession, user: User, texts: Texts) -> None:
    await query.answer()
    await show_edit_menu(bot, state, user, texts)


async def pick_field(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                     session: AsyncSession, user: User, texts: Texts) -> None:
    step = _step_or_none(value)
    if step is None or not profile.applies(step, (await progress(state)).draft, bool(user.username)):
        await stale_button(query, texts)
        return
    await query.answer()
    await state.update_data(redo=step.value)
    await ask(bot, state, user, texts, step)


async def toggle_topic(
    query: CallbackQuery, callback_data: TopicCb, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
    texts: Texts,
) -> None:
    """A help topic on "I can help with" or "I'm looking for": only on that question, only a topic shown."""
    now = await progress(state)
    step = STEP_OF.get(await state.get_state())
    if step not in profile.TOPIC_STEPS or step.value != callback_data.step or not (
            0 <= callback_data.index < len(now.topics)):
        await stale_button(query, texts)
        return
    chosen = profile.with_choice(profile.topics_of(now.draft, step), now.topics[callback_data.index].id, MAX_TOPICS)
    if chosen is None:
        await query.answer(texts.label("q.topics.too_many", most=MAX_TOPICS), show_alert=True)
        return
    await state.update_data(draft=profile.with_topics(now.draft, step, chosen).to_storage())
    await query.answer()
    await _refresh_buttons(query, state, user, texts, step)


async def topics_done(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                      session: AsyncSession, user: User, texts: Texts) -> None:
    """Done (or "none of these") on a help topics question."""
    step = STEP_OF[await state.get_state()]
    draft = (await progress(state)).draft
    await query.answer()
    await answer_step(bot, state, user, texts, step, profile.with_topics(draft, step, profile.topics_of(draft, step)))


async def toggle_language(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                          session: AsyncSession, user: User, texts: Texts) -> None:
    if value not in MEETING_LANGUAGES:
        await stale_button(query, texts)
        return
    draft = (await progress(state)).draft
    chosen = profile.with_choice(chosen_languages(draft, user), value, len(MEETING_LANGUAGES)) or ()
    await state.update_data(draft=replace(draft, languages=chosen).to_storage())
    await query.answer()
    await _refresh_buttons(query, state, user, texts, Step.LANGUAGES)


async def languages_done(query: CallbackQuery, value: str, bot: Bot, state: FSMContext,
                         session: AsyncSession, user: User, texts: Texts) -> None:
    draft = (await progress(state)).draft
    chosen = chosen_languages(draft, user)
    if not chosen:
        await query.answer(texts.label("q.languages.none"), show_alert=True)
        return
    await query.answer()
    await answer_step(bot, state, user, texts, Step.LANGUAGES, replace(draft, languages=chosen))


# --- the one-time question to profiles saved before languages and help topics ----------------------------


async def ask_new_questions_once(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
    """Asked at most once, on the person's own /start or /profile: a saved profile without languages or help
    topics is still matched (defaults), and may add them with one tap."""
    if not profile.lacks_new_answers(user):
        return
    await profiles.mark_asked_for_topics(session, user)
    await message.answer(texts("newq.ask"), reply_markup=keyboards.new_questions(texts))


async def new_questions_answer(
    query: CallbackQuery, callback_data: NewQuestionsCb, bot: Bot, state: FSMContext, session: AsyncSession,
    user: User, texts: Texts,
) -> None:
    """"Add them now": the questionnaire asks only what is missing, then shows the card to confirm."""
    if not user.has_confirmed_profile:
        await stale_button(query, texts)
        return
    await query.answer()
    await replace_buttons(query, None)
    if not callback_data.add:
        await bot.send_message(user.telegram_id or 0, texts("newq.later_ok"))
        return
    await start(bot, state, session, user, texts, None, profile.draft_from(user))


Action = Callable[[CallbackQuery, str, Bot, FSMContext, AsyncSession, User, Texts], Awaitable[None]]
ACTIONS: dict[str, Action] = {
    "keep": keep_name, "tag": toggle_tag, "done": interests_done, "fmt": choose_format, "tz": choose_offset,
    "tzname": choose_zone, "tglink": telegram_link, "confirm": confirm, "edit": edit, "field": pick_field,
    "topics": topics_done, "lang": toggle_language, "langs": languages_done, "back": go_back,
    "keep_answer": keep_answer,
}


def setup() -> Router:
    router = Router(name="questionnaire")
    router.message.filter(F.chat.type == "private")
    in_questionnaire = StateFilter(Questionnaire)
    router.message.register(cancel, Command("cancel"))
    router.message.register(join_mid_way, in_questionnaire, CommandStart(deep_link=True))
    router.message.register(command_mid_way, in_questionnaire, F.text.startswith("/"))
    router.message.register(text_answer, StateFilter(*TEXT_STATES), F.text)
    router.message.register(timezone_answer, Questionnaire.timezone, F.text)
    router.message.register(text_instead_of_button, StateFilter(*BUTTON_STATES), F.text)
    router.message.register(not_text, in_questionnaire)
    router.callback_query.register(button, QuestionCb.filter())
    router.callback_query.register(edit_saved_profile, ProfileEditCb.filter())
    router.callback_query.register(toggle_topic, TopicCb.filter())
    router.callback_query.register(new_questions_answer, NewQuestionsCb.filter())
    return router
