"""/start (with or without an invite code), /help and /profile in private chats."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Community, User
from bot.domain import profile as profile_values
from bot.domain.membership import JoinOutcome
from bot.handlers import questionnaire
from bot.handlers.replies import replace_buttons, stale_button
from bot.presentation import keyboards
from bot.presentation.callbacks import JoinCb
from bot.presentation.render import membership_line, profile_card
from bot.presentation.texts import Texts
from bot.services import communities, memberships


def welcome(texts: Texts, community: Community, outcome: JoinOutcome) -> str:
    key = "start.already_member" if outcome is JoinOutcome.ALREADY else "start.welcome"
    text = texts(key, community=community.name)
    if not community.description:
        return text
    return f"{text}\n\n{texts('start.description', description=community.description)}"


async def start_with_code(message: Message, command: CommandObject, bot: Bot, state: FSMContext,
                          session: AsyncSession, user: User, texts: Texts) -> None:
    community = await communities.by_invite_code(session, command.args or "")
    if community is None:
        await message.answer(texts("start.bad_code"))
        return
    outcome = await memberships.join(session, user, community)
    if outcome is None:
        await message.answer(texts("start.join_refused"))
        return
    await message.answer(welcome(texts, community, outcome))
    if not user.has_confirmed_profile:
        await questionnaire.start(bot, state, session, user, texts, community)
    elif outcome is not JoinOutcome.ALREADY:
        await message.answer(texts("join.existing_profile"),
                             reply_markup=keyboards.existing_profile(texts, community.id))


async def start_plain(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
    joined = await memberships.memberships_of(session, user)
    lines = "\n".join(membership_line(texts, m) for m in joined) or texts("start.no_communities")
    await message.answer(f"{texts('start.intro')}\n\n{texts('start.your_communities')}\n{lines}\n\n"
                         f"{texts('start.how_to')}")
    await questionnaire.ask_new_questions_once(message, session, user, texts)


async def show_help(message: Message, texts: Texts) -> None:
    await message.answer(texts("help"))


async def profile(message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user: User,
                  texts: Texts) -> None:
    if user.has_confirmed_profile:
        draft = profile_values.draft_from(user)
        steps = [s for s in profile_values.Step if profile_values.applies(s, draft, bool(user.username))]
        await message.answer(f"{profile_card(texts, draft, user)}\n\n{texts('profile.edit_hint')}",
                             reply_markup=keyboards.edit_fields(texts, steps, in_questionnaire=False))
        await questionnaire.ask_new_questions_once(message, session, user, texts)
    elif (await state.get_data()).get("draft") is not None:
        await message.answer(texts("profile.resume"))
        await questionnaire.advance(bot, state, user, texts)
    else:
        await message.answer(texts("profile.none"))


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


def setup() -> Router:
    router = Router(name="start")
    router.message.filter(F.chat.type == "private")
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.message.register(start_plain, CommandStart())
    router.message.register(show_help, Command("help"))
    router.message.register(profile, Command("profile"))
    router.callback_query.register(existing_profile_choice, JoinCb.filter())
    return router
