"""Admin commands for rounds: /matchnow, /checkin (/schedule is in handlers.schedule)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.domain.schedule import extra_period_key, minute_stamp
from bot.handlers.admin_access import community_for_button, with_community
from bot.handlers.replies import edit_or_send
from bot.presentation import keyboards
from bot.presentation.callbacks import CheckinNowCb, MatchNowCb
from bot.presentation.render import round_summary
from bot.presentation.texts import Html, Texts
from bot.services import checkins, rounds


async def match_now(message: Message, session: AsyncSession, user: User, texts: Texts,
                    group_rights: GroupAdminCheck) -> None:
    async def confirm(community: Community) -> None:
        await message.answer(texts("matchnow.confirm", community=community.name),
                             reply_markup=keyboards.confirm_match_now(texts, community.id, minute_stamp(utcnow())))

    await with_community(message, session, group_rights, user, texts, lambda cid: MatchNowCb(community_id=cid),
                         confirm)


async def match_now_choice(query: CallbackQuery, callback_data: MatchNowCb, bot: Bot, session: AsyncSession,
                           user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is None:
        return
    if community.archived_at is not None:  # archived in /settings: no rounds until brought back
        await edit_or_send(query, bot, texts("matchnow.archived", community=community.name))
        return
    if not callback_data.confirmed or callback_data.stamp <= 0:
        await edit_or_send(query, bot, texts("matchnow.confirm", community=community.name),
                           keyboards.confirm_match_now(texts, community.id, minute_stamp(utcnow())))
        return
    summary = await rounds.create_round(session, community, extra_period_key(callback_data.stamp), utcnow())
    if summary is None:
        await edit_or_send(query, bot, texts("matchnow.already"))
        return
    await edit_or_send(query, bot, round_summary(texts, community.name, summary.shape))


async def checkin_now(message: Message, session: AsyncSession, user: User, texts: Texts,
                      group_rights: GroupAdminCheck) -> None:
    async def send(community: Community) -> None:
        await message.answer(await _checkins_now(session, community, texts))

    await with_community(message, session, group_rights, user, texts, lambda cid: CheckinNowCb(community_id=cid),
                         send)


async def checkin_now_choice(query: CallbackQuery, callback_data: CheckinNowCb, bot: Bot, session: AsyncSession,
                             user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is not None:
        await edit_or_send(query, bot, await _checkins_now(session, community, texts))


async def _checkins_now(session: AsyncSession, community: Community, texts: Texts) -> Html:
    sent = await checkins.send_checkins_now(session, community, utcnow())
    return texts("checkin_now.no_round") if sent is None else texts("checkin_now.done", count=sent)


def setup() -> Router:
    router = Router(name="admin_rounds")
    router.message.filter(F.chat.type == "private")
    router.message.register(match_now, Command("matchnow"))
    router.callback_query.register(match_now_choice, MatchNowCb.filter())
    router.message.register(checkin_now, Command("checkin"))
    router.callback_query.register(checkin_now_choice, CheckinNowCb.filter())
    return router
