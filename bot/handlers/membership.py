"""/communities, /pause, /resume, /leave, /delete and /language."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import command_menus
from bot.config import Settings
from bot.db.models import Membership, MembershipStatus, User
from bot.domain.membership import PAUSE_CHOICES, PauseLength
from bot.handlers.replies import edit_or_send, stale_button
from bot.presentation import keyboards, moments
from bot.presentation.callbacks import ALL_COMMUNITIES, DeleteCb, DismissCb, LanguageCb, LeaveCb, PauseCb, ResumeCb
from bot.presentation.render import membership_line
from bot.presentation.texts import Texts
from bot.redis_state import forget_person
from bot.services import erasure, memberships, users


def names(chosen: Sequence[Membership]) -> str:
    return ", ".join(m.community.name for m in chosen)


def scope_of(community_id: int) -> int | None:
    """A button's community, or None for "all of them"."""
    return None if community_id == ALL_COMMUNITIES else community_id


async def list_communities(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
    joined = await memberships.memberships_of(session, user, include_left=True)
    if not joined:
        await message.answer(f"{texts('start.no_communities')}\n\n{texts('start.how_to')}")
        return
    lines = "\n".join(membership_line(texts, m, user) for m in joined)
    note = "" if user.has_confirmed_profile else "\n\n" + texts("communities.profile_missing")
    await message.answer(f"{texts('start.your_communities')}\n{lines}{note}")


async def pause(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
    active = [m for m in await memberships.memberships_of(session, user) if m.status is MembershipStatus.ACTIVE]
    if not active:
        await message.answer(texts("pause.nothing"))
    elif len(active) == 1:
        await message.answer(texts("pause.how_long", community=active[0].community.name),
                             reply_markup=keyboards.pause_lengths(texts, active[0].community_id))
    else:
        await message.answer(texts("pause.which"), reply_markup=keyboards.community_scope(texts, active, PauseCb))


async def pause_choice(query: CallbackQuery, callback_data: PauseCb, bot: Bot, session: AsyncSession,
                       user: User, texts: Texts) -> None:
    if callback_data.days == -1:
        await edit_or_send(query, bot, texts("pause.how_long_any"),
                           keyboards.pause_lengths(texts, callback_data.community_id))
        return
    length = PauseLength(callback_data.days)
    paused = (await memberships.pause(session, user, scope_of(callback_data.community_id), length)
              if length in PAUSE_CHOICES else [])
    if not paused:
        await stale_button(query, texts)
        return
    until = paused[0].paused_until
    when = None if until is None else moments.for_reader(texts, until, user, paused[0].community)
    text = (texts("pause.done_until", communities=names(paused), date=when)
            if until else texts("pause.done", communities=names(paused)))
    await edit_or_send(query, bot, text)


async def resume(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
    paused = [m for m in await memberships.memberships_of(session, user) if m.status is MembershipStatus.PAUSED]
    if not paused:
        await message.answer(texts("resume.nothing"))
    elif len(paused) == 1:
        await memberships.resume(session, user, paused[0].community_id)
        await message.answer(texts("resume.done", communities=names(paused)))
    else:
        await message.answer(texts("resume.which"), reply_markup=keyboards.community_scope(texts, paused, ResumeCb))


async def resume_choice(query: CallbackQuery, callback_data: ResumeCb, bot: Bot, session: AsyncSession,
                        user: User, texts: Texts) -> None:
    resumed = await memberships.resume(session, user, scope_of(callback_data.community_id))
    if not resumed:
        await stale_button(query, texts)
        return
    await edit_or_send(query, bot, texts("resume.done", communities=names(resumed)))


async def leave(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
    joined = await memberships.memberships_of(session, user)
    if not joined:
        await message.answer(texts("leave.nothing"))
    elif len(joined) == 1:
        await message.answer(texts("leave.confirm", community=joined[0].community.name),
                             reply_markup=keyboards.leave_confirm(texts, joined[0].community_id))
    else:
        await message.answer(texts("leave.which"), reply_markup=keyboards.leave_choices(joined))


async def leave_choice(query: CallbackQuery, callback_data: LeaveCb, bot: Bot, session: AsyncSession,
                       user: User, texts: Texts) -> None:
    joined = {m.community_id: m for m in await memberships.memberships_of(session, user)}
    chosen = joined.get(callback_data.community_id)
    if chosen is None:
        await stale_button(query, texts)
        return
    name = chosen.community.name
    if not callback_data.confirmed:
        await edit_or_send(query, bot, texts("leave.confirm", community=name),
                           keyboards.leave_confirm(texts, callback_data.community_id))
        return
    await memberships.leave(session, user, callback_data.community_id)
    await edit_or_send(query, bot, texts("leave.done", community=name))


async def delete(message: Message, texts: Texts) -> None:
    await message.answer(texts("delete.confirm"), reply_markup=keyboards.delete_confirm(texts))


async def delete_confirmed(query: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession,
                           user: User, texts: Texts, settings: Settings) -> None:
    chat, menu = user.telegram_id, user.command_menu
    await forget_person(state.storage, state.key)  # this chat, and every other one where the storage knows of
    await erasure.erase_person(session, user, settings.erased_ban_secret)
    await edit_or_send(query, bot, texts("delete.done"))
    await command_menus.forget(bot, chat, menu)


async def dismissed(query: CallbackQuery, callback_data: DismissCb, bot: Bot, state: FSMContext,
                    texts: Texts) -> None:
    if callback_data.what == "comment":  # "Skip" the optional check-in comment
        await state.clear()
        await edit_or_send(query, bot, texts("checkin.comment_saved"))
        return
    await edit_or_send(query, bot, texts("common.nothing_changed"))


async def language(message: Message, texts: Texts) -> None:
    await message.answer(texts("language.choose"), reply_markup=keyboards.languages())


async def language_choice(query: CallbackQuery, callback_data: LanguageCb, bot: Bot, session: AsyncSession,
                          user: User, texts: Texts) -> None:
    if not await users.set_language(session, user, callback_data.code):
        await stale_button(query, texts)
        return
    await edit_or_send(query, bot, Texts(callback_data.code)("language.done"))


def setup() -> Router:
    router = Router(name="membership")
    router.message.filter(F.chat.type == "private")
    router.message.register(list_communities, Command("communities"))
    router.message.register(pause, Command("pause"))
    router.callback_query.register(pause_choice, PauseCb.filter())
    router.message.register(resume, Command("resume"))
    router.callback_query.register(resume_choice, ResumeCb.filter())
    router.message.register(leave, Command("leave"))
    router.callback_query.register(leave_choice, LeaveCb.filter())
    router.message.register(delete, Command("delete"))
    router.callback_query.register(delete_confirmed, DeleteCb.filter(F.confirmed))
    router.callback_query.register(dismissed, DismissCb.filter())
    router.message.register(language, Command("language"))
    router.callback_query.register(language_choice, LanguageCb.filter())
    return router
