"""/preview for admins: the next round as the engine would make it now, with scores and reasons; shown to the
admin only, nothing sent to members and nothing recorded."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin_access import community_for_button, with_community
from bot.presentation import admin_views
from bot.presentation.callbacks import PreviewCb
from bot.presentation.texts import Html, Texts
from bot.services import preview


async def _dry_run(bot: Bot, chat_id: int, session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession],
                   texts: Texts, community: Community) -> None:
    await bot.send_chat_action(chat_id, "typing")
    shown = await preview.preview_round(session, sessionmaker, community, utcnow())
    if not shown.eligible:
        parts: list[Html] = [texts("dryrun.empty", community=community.name)]
    else:
        parts = admin_views.split_messages(admin_views.preview_pieces(
            texts, community.name, shown.result, shown.names, shown.group_size, shown.seconds))
    for part in parts:
        await bot.send_message(chat_id, part)


async def dry_run(message: Message, bot: Bot, session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession],
                  user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    async def run(community: Community) -> None:
        await _dry_run(bot, message.chat.id, session, sessionmaker, texts, community)

    await with_community(message, session, group_rights, user, texts, lambda cid: PreviewCb(community_id=cid), run)


async def dry_run_for(query: CallbackQuery, callback_data: PreviewCb, bot: Bot, session: AsyncSession,
                      sessionmaker: async_sessionmaker[AsyncSession], user: User, texts: Texts,
                      group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is not None:
        await query.answer()
        await _dry_run(bot, query.from_user.id, session, sessionmaker, texts, community)


def setup() -> Router:
    router = Router(name="admin_preview")
    router.message.register(dry_run, Command("preview"), F.chat.type == "private")
    router.callback_query.register(dry_run_for, PreviewCb.filter())
    return router
