"""A round's feedback digest from /stats ("Feedback of round N"), and /moments: the community's group post after
each round, on or off. Rights are checked on every press; a round of another community is refused."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin_access import CommunityPicker, community_for_button, with_community
from bot.handlers.replies import show_instead
from bot.presentation import feedback_views, moments
from bot.presentation.callbacks import FeedbackCb, MomentsCb
from bot.presentation.texts import Texts
from bot.services import feedback


async def feedback_pressed(query: CallbackQuery, callback_data: FeedbackCb, bot: Bot, session: AsyncSession,
                           user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    found = await feedback.feedback_for(session, community, callback_data.round_id)
    if found is None:
        await query.answer(texts("button.stale"), show_alert=True)
        return
    await query.answer()
    for part in feedback_views.digest(texts, community.name, found, moments.zone_of(user, community.timezone)):
        await bot.send_message(query.from_user.id, part)


async def moments_command(message: Message, session: AsyncSession, user: User, texts: Texts,
                          group_rights: GroupAdminCheck) -> None:
    async def show(community: Community) -> None:
        await message.answer(_setting(texts, community), reply_markup=_toggle(texts, community))

    picker: CommunityPicker = lambda cid: MomentsCb(community_id=cid)  # noqa: E731
    await with_community(message, session, group_rights, user, texts, picker, show)


async def moments_pressed(query: CallbackQuery, callback_data: MomentsCb, bot: Bot, session: AsyncSession,
                          user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    if callback_data.action not in ("show", "on", "off"):
        await query.answer(texts("button.stale"), show_alert=True)
        return
    if callback_data.action != "show":
        await feedback.set_moments(session, community, callback_data.action == "on")
        await query.answer(texts.label("moments.turned_on" if community.moments else "moments.turned_off"))
    else:
        await query.answer()
    await show_instead(query, bot, _setting(texts, community), _toggle(texts, community))


def _setting(texts: Texts, community: Community) -> str:
    return feedback_views.moments_setting(texts, community.name, community.moments, community.chat_id is not None)


def _toggle(texts: Texts, community: Community) -> InlineKeyboardMarkup:
    return feedback_views.moments_toggle(texts, community.id, community.moments)


def setup() -> Router:
    router = Router(name="admin_feedback")
    router.message.register(moments_command, Command("moments"), F.chat.type == "private")
    router.callback_query.register(feedback_pressed, FeedbackCb.filter())
    router.callback_query.register(moments_pressed, MomentsCb.filter())
    return router
