"""/communities, /pause, /resume, /leave, /delete and /language."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Membership, MembershipStatus, User
from bot.domain import membership
from bot.domain.membership import PauseLength
from bot.handlers.replies import edit_or_send
from bot.presentation import keyboards
from bot.presentation.callbacks import ALL_COMMUNITIES, DeleteCb, DismissCb, LanguageCb, LeaveCb, PauseCb, ResumeCb
from bot.presentation.render import membership_line
from bot.presentation.texts import Texts
from bot.services import memberships, profiles, users


def names(chosen: Sequence[Membership]) -> str:
    return ", ".join(m.community.name for m in chosen)


def setup() -> Router:
    router = Router(name="membership")
    router.message.filter(F.chat.type == "private")

    @router.message(Command("communities"))
    async def list_communities(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
        joined = await memberships.memberships_of(session, user, include_left=True)
        if not joined:
            await message.answer(f"{texts('start.no_communities')}\n\n{texts('start.how_to')}")
            return
        lines = "\n".join(membership_line(texts, m) for m in joined)
        note = "" if user.has_confirmed_profile else "\n\n" + texts("communities.profile_missing")
        await message.answer(f"{texts('start.your_communities')}\n{lines}{note}")

    @router.message(Command("pause"))
    async def pause(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
        active = [m for m in await memberships.memberships_of(session, user) if m.status is MembershipStatus.ACTIVE]
        if not active:
            await message.answer(texts("pause.nothing"))
        elif len(active) == 1:
            await message.answer(texts("pause.how_long", community=active[0].community.name),
                                 reply_markup=keyboards.pause_lengths(texts, active[0].community_id))
        else:
            await message.answer(texts("pause.which"), reply_markup=keyboards.community_scope(texts, active, PauseCb))

    @router.callback_query(PauseCb.filter())
    async def pause_choice(query: CallbackQuery, callback_data: PauseCb, bot: Bot, session: AsyncSession,
                           user: User, texts: Texts) -> None:
        scope = None if callback_data.community_id == ALL_COMMUNITIES else callback_data.community_id
        if callback_data.days == -1:
            await edit_or_send(query, bot, texts("pause.how_long_any"),
                               keyboards.pause_lengths(texts, callback_data.community_id))
            return
        if PauseLength(callback_data.days) not in membership.PAUSE_CHOICES:
            await query.answer(texts("button.stale"), show_alert=True)
            return
        paused = await memberships.pause(session, user, scope, PauseLength(callback_data.days))
        if not paused:
            await query.answer(texts("button.stale"), show_alert=True)
            return
        until = paused[0].paused_until
        text = (texts("pause.done_until", communities=names(paused), date=until.strftime("%Y-%m-%d"))
                if until else texts("pause.done", communities=names(paused)))
        await edit_or_send(query, bot, text)

    @router.message(Command("resume"))
    async def resume(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
        paused = [m for m in await memberships.memberships_of(session, user) if m.status is MembershipStatus.PAUSED]
        if not paused:
            await message.answer(texts("resume.nothing"))
        elif len(paused) == 1:
            await memberships.resume(session, user, paused[0].community_id)
            await message.answer(texts("resume.done", communities=names(paused)))
        else:
            await message.answer(texts("resume.which"), reply_markup=keyboards.community_scope(texts, paused, ResumeCb))

    @router.callback_query(ResumeCb.filter())
    async def resume_choice(query: CallbackQuery, callback_data: ResumeCb, bot: Bot, session: AsyncSession,
                            user: User, texts: Texts) -> None:
        scope = None if callback_data.community_id == ALL_COMMUNITIES else callback_data.community_id
        resumed = await memberships.resume(session, user, scope)
        if not resumed:
            await query.answer(texts("button.stale"), show_alert=True)
            return
        await edit_or_send(query, bot, texts("resume.done", communities=names(resumed)))

    @router.message(Command("leave"))
    async def leave(message: Message, session: AsyncSession, user: User, texts: Texts) -> None:
        joined = await memberships.memberships_of(session, user)
        if not joined:
            await message.answer(texts("leave.nothing"))
        elif len(joined) == 1:
            await message.answer(texts("leave.confirm", community=joined[0].community.name),
                                 reply_markup=keyboards.leave_confirm(texts, joined[0].community_id))
        else:
            await message.answer(texts("leave.which"), reply_markup=keyboards.leave_choices(joined))

    @router.callback_query(LeaveCb.filter())
    async def leave_choice(query: CallbackQuery, callback_data: LeaveCb, bot: Bot, session: AsyncSession,
                           user: User, texts: Texts) -> None:
        joined = {m.community_id: m for m in await memberships.memberships_of(session, user)}
        membership = joined.get(callback_data.community_id)
        if membership is None:
            await query.answer(texts("button.stale"), show_alert=True)
            return
        name = membership.community.name
        if not callback_data.confirmed:
            await edit_or_send(query, bot, texts("leave.confirm", community=name),
                               keyboards.leave_confirm(texts, callback_data.community_id))
            return
        await memberships.leave(session, user, callback_data.community_id)
        await edit_or_send(query, bot, texts("leave.done", community=name))

    @router.message(Command("delete"))
    async def delete(message: Message, texts: Texts) -> None:
        await message.answer(texts("delete.confirm"), reply_markup=keyboards.delete_confirm(texts))

    @router.callback_query(DeleteCb.filter(F.confirmed))
    async def delete_confirmed(query: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession,
                               user: User, texts: Texts) -> None:
        await state.clear()
        await profiles.erase_person(session, user)
        await edit_or_send(query, bot, texts("delete.done"))

    @router.callback_query(DismissCb.filter())
    async def dismissed(query: CallbackQuery, callback_data: DismissCb, bot: Bot, state: FSMContext,
                        texts: Texts) -> None:
        if callback_data.what == "comment":  # "Skip" the optional check-in comment
            await state.clear()
            await edit_or_send(query, bot, texts("checkin.comment_saved"))
            return
        await edit_or_send(query, bot, texts("common.nothing_changed"))

    @router.message(Command("language"))
    async def language(message: Message, texts: Texts) -> None:
        await message.answer(texts("language.choose"), reply_markup=keyboards.languages())

    @router.callback_query(LanguageCb.filter())
    async def language_choice(query: CallbackQuery, callback_data: LanguageCb, bot: Bot, session: AsyncSession,
                              user: User, texts: Texts) -> None:
        if not await users.set_language(session, user, callback_data.code):
            await query.answer(texts("button.stale"), show_alert=True)
            return
        await edit_or_send(query, bot, Texts(callback_data.code)("language.done"))

    return router
