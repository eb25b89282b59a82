"""Factories shared by `python -m bot` and the tests."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import ErrorEvent
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.fsm_storage import SqlStorage
from bot.handlers import (
    admin,
    admin_announce,
    admin_feedback,
    admin_members,
    admin_preview,
    admin_rounds,
    admin_settings,
    admin_stats,
    admin_team,
    fallback,
    groups,
    meetups,
    membership,
    personal_data,
    questionnaire,
    rounds,
    schedule,
    start,
)
from bot.instrumentation import UpdateMetricsMiddleware
from bot.middlewares import CleanTextMiddleware, DbSessionMiddleware, UserMiddleware
from bot.presentation.command_menus import ADMIN_COMMANDS, MEMBER_COMMANDS
from bot.presentation.texts import Texts
from bot.telegram_retry import ReleaseConnectionMiddleware, RetryAfterMiddleware

log = logging.getLogger(__name__)

__all__ = ["ADMIN_COMMANDS", "MEMBER_COMMANDS", "create_bot", "create_dispatcher", "on_error"]


def create_bot(settings: Settings) -> Bot:
    session = None
    if settings.telegram_api_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    bot = Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
    bot.session.middleware(ReleaseConnectionMiddleware())
    bot.session.middleware(RetryAfterMiddleware())
    return bot


def create_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    events_isolation: BaseEventIsolation | None = None,
    storage: BaseStorage | None = None,
    **workflow_data: Any,
) -> Dispatcher:
    """`storage` defaults to the SQL storage (our database); `python -m bot` passes Redis when REDIS_URL is set."""
    dispatcher = Dispatcher(
        storage=storage or SqlStorage(sessionmaker),
        events_isolation=events_isolation or SimpleEventIsolation(),
        settings=settings,
        sessionmaker=sessionmaker,
        **workflow_data,
    )
    dispatcher.update.outer_middleware(UpdateMetricsMiddleware())  # first: times the session and user lookup too
    dispatcher.update.outer_middleware(DbSessionMiddleware(sessionmaker))
    dispatcher.update.outer_middleware(UserMiddleware())
    dispatcher.message.outer_middleware(CleanTextMiddleware())
    # Order matters: the wizards intercept commands typed mid-way; the fallback comes last.
    dispatcher.include_routers(
        admin_announce.setup(), admin_settings.setup(),
        meetups.setup(), schedule.setup(),
        admin_members.setup(), admin_team.setup(), start.setup_help(), questionnaire.setup(), start.setup(),
        membership.setup(), rounds.setup(), admin.setup(), admin_rounds.setup(), admin_preview.setup(),
        admin_stats.setup(), admin_feedback.setup(), groups.setup(), personal_data.setup(), fallback.setup(),
    )
    dispatcher.errors.register(on_error)
    return dispatcher


async def on_error(event: ErrorEvent, texts: Texts | None = None) -> bool:
    """Log the failure, answer a pressed button (so its spinner stops) and tell the person something went
    wrong instead of going silent."""
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    query = event.update.callback_query
    if query is not None:
        with contextlib.suppress(Exception):  # the error path must not raise again (it may be answered already)
            await query.answer()
    message = event.update.message
    person = query.from_user.id if query is not None else (
        message.chat.id if message is not None and message.chat.type == "private" else None)
    bot = event.update.bot
    if person is not None and bot is not None and texts is not None:
        try:
            await bot.send_message(person, texts("error.generic"))
        except Exception:  # the error path must not raise again
            log.warning("could not report the error to chat %s", person)
    return True
