"""/stats (a summary in words with "Feedback of round N" buttons, and charts as photos) and /export (CSV files as
documents) for admins."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, FSInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.handlers.admin_access import CommunityPicker, community_for_button, with_community
from bot.presentation import admin_views, feedback_views
from bot.presentation.callbacks import ExportCb, StatsCb
from bot.presentation.charts import render_charts
from bot.presentation.texts import Texts
from bot.services import export, feedback, stats

Report = type[StatsCb] | type[ExportCb]


async def send_stats(bot: Bot, chat_id: int, session: AsyncSession, texts: Texts, community: Community) -> None:
    rounds = await feedback.recent_rounds(session, community)
    numbers = await stats.community_stats(session, community, utcnow())
    await bot.send_message(chat_id, admin_views.stats_summary(texts, community.name, numbers),
                           reply_markup=feedback_views.round_buttons(texts, community.id, rounds))
    await bot.send_chat_action(chat_id, "upload_photo")
    charts = await asyncio.to_thread(render_charts, texts, numbers)  # matplotlib is CPU-bound: off the event loop
    if not charts:
        await bot.send_message(chat_id, texts("stats.little_data"))
    for chart in charts:
        await bot.send_photo(chat_id, BufferedInputFile(chart.png, f"{chart.name}.png"), caption=chart.caption)


async def send_export(bot: Bot, chat_id: int, session: AsyncSession, texts: Texts, community: Community) -> None:
    await bot.send_message(chat_id, texts("export.sending", community=community.name))
    stamp = utcnow().strftime("%Y-%m-%d")
    with tempfile.TemporaryDirectory(prefix="coffee-export-") as folder:
        for kind, path in await export.export_all(session, community, Path(folder)):
            await bot.send_document(chat_id, FSInputFile(path, filename=f"{path.stem}-{stamp}.csv"),
                                    caption=texts(f"export.caption.{kind}"))


SENDERS = {StatsCb: send_stats, ExportCb: send_export}


async def _command(message: Message, bot: Bot, session: AsyncSession, user: User, texts: Texts,
                   group_rights: GroupAdminCheck, report: Report) -> None:
    async def send(community: Community) -> None:
        await SENDERS[report](bot, message.chat.id, session, texts, community)

    picker: CommunityPicker = lambda cid: report(community_id=cid)  # noqa: E731
    await with_community(message, session, group_rights, user, texts, picker, send)


async def stats_command(message: Message, bot: Bot, session: AsyncSession, user: User, texts: Texts,
                        group_rights: GroupAdminCheck) -> None:
    await _command(message, bot, session, user, texts, group_rights, StatsCb)


async def export_command(message: Message, bot: Bot, session: AsyncSession, user: User, texts: Texts,
                         group_rights: GroupAdminCheck) -> None:
    await _command(message, bot, session, user, texts, group_rights, ExportCb)


async def report_for(query: CallbackQuery, callback_data: StatsCb | ExportCb, bot: Bot, session: AsyncSession,
                     user: User, texts: Texts, group_rights: GroupAdminCheck) -> None:
    community = await community_for_button(query, session, group_rights, user, texts, callback_data.community_id)
    if community is not None:
        await query.answer()
        await SENDERS[type(callback_data)](bot, query.from_user.id, session, texts, community)


def setup() -> Router:
    router = Router(name="admin_stats")
    private = F.chat.type == "private"
    router.message.register(stats_command, Command("stats"), private)
    router.message.register(export_command, Command("export"), private)
    router.callback_query.register(report_for, StatsCb.filter())
    router.callback_query.register(report_for, ExportCb.filter())
    return router
