"""/start (with or without an invite code), /help and /profile in private chats."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_menus
from bot.config import Settings
from bot.db.models import Community, User
from bot.domain import profile as profile_values
from bot.domain.membership import JoinOutcome
from bot.domain.rights import GroupAdminCheck
from bot.handlers import questionnaire
from bot.handlers.admin_access import community_for_button
from bot.handlers.replies import replace_buttons, stale_button
from bot.presentation import keyboards
from bot.presentation.callbacks import JoinCb
from bot.presentation.joining import welcome
from bot.presentation.render import membership_line, profile_card
from bot.presentation.texts import Html, Texts, pack
from bot.services import communities, memberships

QUESTIONNAIRE_STATES = frozenset(state.state for state in questionnaire.Questionnaire.__states__)


async def welcome_member(bot: Bot, state: FSMContext, session: AsyncSession, user: User, texts: Texts,
                         community: Community, outcome: JoinOutcome | None) -> None:
    """After joining (an invite link, or the creator's "Join as a member"): welcome, then the questionnaire
    for a new profile or the choice to reuse the saved one."""
    chat = user.telegram_id or 0
    if outcome is None:
        await bot.send_message(chat, texts("start.join_refused"))
        return
    await bot.send_message(chat, welcome(texts, community, outcome))
    if not user.has_confirmed_profile:
        await questionnaire.start(bot, state, session, user, texts, community)
    elif outcome is not JoinOutcome.ALREADY:
        await bot.send_message(chat, texts("join.existing_profile"),
                               reply_markup=keyboards.existing_profile(texts, community.id))


async def start_with_code(message: Message, command: CommandObject, bot: Bot, state: FSMContext,
                          session: AsyncSession, user: User, texts: Texts, settings: Settings) -> None:
    community = await communities.by_invite_code(session, command.args or "")
    if community is None:
        await message.answer(texts("start.bad_code"))
        return
    outcome = await memberships.join(session, user, community, settings.erased_ban_secret)
    await welcome_member(bot, state, session, user, texts, community, outcome)


async def has_draft(state: FSMContext) -> bool:
    return (await state.get_data()).get("draft") is not None


async def start_plain(message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                      texts: Texts, group_rights: GroupAdminCheck) -> None:
    """What the bot does; the communities the person runs and those they are in; a reminder of an unfinished
    profile with a button to go on."""
    run = await communities.administered_by(session, group_rights, user)
    joined = await memberships.memberships_of(session, user)
    pieces: list[Html] = [texts("start.intro"), Html("")]
    if run:
        pieces += [texts("start.you_run"), *(texts("start.run_line", community=c.name) for c in run), Html("")]
    pieces.append(texts("start.member_of" if run else "start.your_communities"))
    if joined:
        pieces += [membership_line(texts, m) for m in joined]
    else:
        pieces.append(texts("start.not_a_member" if run else "start.no_communities"))
    unfinished = not user.has_confirmed_profile and (bool(joined) or await has_draft(state))
    if unfinished:
        pieces += [Html(""), texts("start.unfinished_profile")]
    pieces += [Html(""), texts("start.how_to")]
    parts = pack(pieces)
    for number, part in enumerate(parts, 1):
        last = number == len(parts)
        await message.answer(part, reply_markup=keyboards.continue_profile(texts) if last and unfinished else None)
    await command_menus.refresh(bot, session, group_rights, user)
    await questionnaire.ask_new_questions_once(message, session, user, texts)


async def show_help(message: Message, bot: Bot, state: FSMContext, user: User, texts: Texts) -> None:
    """/help anywhere in the private chat; in the middle of the questionnaire it is not an answer: the help,
    then the question the person is on."""
    if await state.get_state() in QUESTIONNAIRE_STATES:
        await questionnaire.reask(bot, state, user, texts,
                                  Html(f"{texts('help')}\n\n{texts('help.questionnaire_goes_on')}"))
        return
    await message.answer(texts("help"))


async def profile(message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                  texts: Texts) -> None:
    if user.has_confirmed_profile:
        draft = profile_values.draft_from(user)
        steps = [s for s in profile_values.Step if profile_values.applies(s, draft, bool(user.username))]
        await message.answer(f"{profile_card(texts, draft, user)}\n\n{texts('profile.edit_hint')}",
                             reply_markup=keyboards.edit_fields(texts, steps, in_questionnaire=False))
        await questionnaire.ask_new_questions_once(message, session, user, texts)
    elif await has_draft(state):
        await message.answer(texts("profile.resume"))
        await questionnaire.advance(bot, state, user, texts)
    else:
        await message.answer(texts("profile.none"))


async def join_pressed(query: CallbackQuery, callback_data: JoinCb, bot: Bot, state: FSMContext,
                       session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck,
                       settings: Settings) -> None:
    if callback_data.action == "member":
        await creator_joins(query, callback_data, bot, state, session, user, texts, group_rights, settings)
    elif callback_data.action == "resume":
        await continue_profile(query, bot, state, session, user, texts)
    else:
        await existing_profile_choice(query, callback_data, bot, state, session, user, texts)


async def creator_joins(query: CallbackQuery, callback_data: JoinCb, bot: Bot, state: FSMContext,
                        session: AsyncSession, user: User, texts: Texts, group_rights: GroupAdminCheck,
                        settings: Settings) -> None:
    """"Join as a member" under /newcommunity's answer: only for someone who runs the community now (the id in
    a forged button is no way in without the invite link)."""
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    await query.answer()
    await replace_buttons(query, None)
    outcome = await memberships.join(session, user, community, settings.erased_ban_secret)
    await welcome_member(bot, state, session, user, texts, community, outcome)


async def continue_profile(query: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                           texts: Texts) -> None:
    """/start's "Continue my profile": the draft where it stopped, or the questionnaire of a community the
    person joined before any answer was kept."""
    if user.has_confirmed_profile:
        await stale_button(query, texts)
        return
    if await has_draft(state):
        await query.answer()
        await bot.send_message(user.telegram_id or 0, texts("profile.resume"))
        await questionnaire.advance(bot, state, user, texts)
        return
    joined = await memberships.memberships_of(session, user)
    if not joined:
        await stale_button(query, texts)
        return
    await query.answer()
    await questionnaire.start(bot, state, session, user, texts, joined[0].community)


async def existing_profile_choice(query: CallbackQuery, callback_data: JoinCb, bot: Bot, state: FSMContext,
                                  session: AsyncSession, user: User, texts: Texts) -> None:
    community = await communities.by_id(session, callback_data.community_id)
    if community is None or not user.has_confirmed_profile or callback_data.action not in ("asis", "edit"):
        await stale_button(query, texts)
        return
    await query.answer()
    await replace_buttons(query, None)
    if callback_data.action == "asis":
        await bot.send_message(user.telegram_id or 0, texts("profile.saved_for", community=community.name))
        return
    await questionnaire.start(bot, state, session, user, texts, community, profile_values.draft_from(user))


def setup_help() -> Router:
    """/help before the questionnaire's handlers (which take any command typed mid-way as no answer)."""
    router = Router(name="help")
    router.message.filter(F.chat.type == "private")
    router.message.register(show_help, Command("help"))
    return router


def setup() -> Router:
    router = Router(name="start")
    router.message.filter(F.chat.type == "private")
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.message.register(start_plain, CommandStart())
    router.message.register(profile, Command("profile"))
    router.callback_query.register(join_pressed, JoinCb.filter())
    return router
