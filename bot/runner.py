"""The running bot: wait for the database and migrate it, reach Telegram, start delivery and the scheduler, then
take updates by webhook (WEBHOOK_URL set) or long polling, with the web server for probes and metrics.

Imported by `bot.lifecycle` only after the settings were checked and the database answered (this module pulls
in aiogram, SQLAlchemy's models and the matching engine, which take seconds)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.types import User
from aiohttp import web

from bot.app import create_bot, create_dispatcher
from bot.command_menus import MenuSync
from bot.config import Settings
from bot.db.availability import first_line, safe_url
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.instrumentation import timed_round, watch_scheduler
from bot.jobs import Jobs
from bot.lifecycle import Lifecycle, StartupError
from bot.outbox import DeliverySettings, DeliveryWorker, wake_on_commit
from bot.outbox.pacing import SendPacer, SharedPacer
from bot.polling import Poller
from bot.redis_state import redis_state
from bot.scheduler import RoundScheduler
from bot.services import apart, replacements
from bot.web import Health, Scrape, create_web_app, start_web_server

log = logging.getLogger("bot")


async def migrate(database_url: str) -> None:
    try:
        await asyncio.to_thread(upgrade_to_head, database_url)
    except Exception as error:
        log.debug("migration failed", exc_info=True)
        raise StartupError(f"migrating the database at DATABASE_URL ({safe_url(database_url)}) failed: "
                           f"{first_line(error)} (LOG_LEVEL=DEBUG shows the traceback)", code=1) from error


async def serve(settings: Settings, lifecycle: Lifecycle) -> None:
    """Run until lifecycle.stop is set. The database answered already (bot.lifecycle waited for it)."""
    await migrate(settings.database_url)
    runtime = Runtime(settings, lifecycle)
    try:
        await runtime.start()
        await runtime.receive_updates()
    finally:
        await runtime.close()


class Runtime:
    """The parts of a running bot, wired together; start → receive_updates → close."""

    def __init__(self, settings: Settings, lifecycle: Lifecycle) -> None:
        self.settings, self.lifecycle = settings, lifecycle
        self.engine = create_engine(settings.database_url)
        self.health = Health(self.engine, settings.redis_url)
        sessionmaker = create_sessionmaker(self.engine)
        self.bot = create_bot(settings)
        delivery = DeliverySettings(rate_per_second=settings.delivery_rate,
                                    lease_seconds=settings.delivery_lease_seconds)
        storage, isolation, pacer = shared_state(settings, self.bot.id, delivery)
        self.worker = DeliveryWorker(self.bot, sessionmaker, delivery, on_blocked=replacements.on_blocked,
                                     pacer=pacer)
        wake_on_commit(sessionmaker, self.worker.wake)
        self.jobs = Jobs(sessionmaker)
        self.scheduler = RoundScheduler(timed_round(self.jobs.round), self.jobs.housekeeping,
                                        settings.housekeeping_seconds)
        watch_scheduler(self.scheduler.scheduler)
        self.dispatcher = create_dispatcher(settings, sessionmaker, isolation, storage, worker=self.worker,
                                            scheduler=self.scheduler)
        self.scrape = Scrape(sessionmaker, self.worker.stats)
        self.menus = MenuSync(self.bot, sessionmaker)
        self.web_runner: web.AppRunner | None = None
        self.worker_task: asyncio.Task[None] | None = None
        self.menus_task: asyncio.Task[None] | None = None

    @property
    def webhook(self) -> bool:
        return self.settings.webhook_url is not None

    async def start(self) -> None:
        """Web server (if any: probes answer "starting" meanwhile), Telegram, delivery, scheduler, catch-up."""
        port = self.settings.serve_port
        if port is not None:
            app = create_web_app(self.settings, self.health, self.scrape,
                                 dispatcher=self.dispatcher if self.webhook else None,
                                 bot=self.bot if self.webhook else None)
            try:
                self.web_runner = await start_web_server(app, self.settings.web_host, port)
            except OSError as error:
                raise StartupError(f"the web server cannot listen on WEB_HOST={self.settings.web_host} "
                                   f"WEB_PORT={port}: {error.strerror or error}") from None
        try:
            me = await wait_for_telegram(self.bot)
        except TelegramUnauthorizedError:
            raise StartupError("Telegram rejected BOT_TOKEN: check the token @BotFather gave you") from None
        log.info("starting @%s in %s mode", me.username, "webhook" if self.webhook else "polling")
        # Command menus in the background: a slow or rate-limiting Telegram must not hold start-up.
        self.menus_task = asyncio.create_task(self.menus.run(), name="command-menus")
        self.worker_task = asyncio.create_task(self.worker.run(), name="delivery")
        apart.start_worker("bot.services.rounds")  # rounds run there: its imports are done before the first
        self.scheduler.start(await self.jobs.communities())
        await self.jobs.catch_up()
        await self.jobs.housekeeping()

    async def receive_updates(self) -> None:
        allowed = self.dispatcher.resolve_used_update_types()
        if self.settings.webhook_url is not None:
            try:
                await self.bot.set_webhook(self.settings.webhook_url, allowed_updates=allowed,
                                           secret_token=self.settings.webhook_secret_token,
                                           drop_pending_updates=False)
            except TelegramBadRequest as error:
                raise StartupError(f"Telegram refused WEBHOOK_URL={self.settings.webhook_url}: "
                                   f"{error.message}") from None
            self.lifecycle.started = self.health.started = True
            log.info("webhook set: %s (the secret token is checked on every request)", self.settings.webhook_url)
            await self.lifecycle.stop.wait()
            return
        await self.bot.delete_webhook(drop_pending_updates=False)
        self.lifecycle.started = self.health.started = True
        data = {"bot": self.bot, "dispatcher": self.dispatcher, **self.dispatcher.workflow_data}
        await self.dispatcher.emit_startup(**data)
        try:
            await Poller(self.dispatcher, self.bot, allowed).run(self.lifecycle.stop)
        finally:
            await self.dispatcher.emit_shutdown(**data)

    async def close(self) -> None:
        self.scheduler.shutdown()
        if self.web_runner is not None:
            await self.web_runner.cleanup()  # waits for webhook requests in flight
        for task in (self.menus_task, self.worker_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await asyncio.to_thread(apart.stop_worker)  # a round in flight finishes first
        await self.health.close()
        await self.dispatcher.fsm.storage.close()
        await self.dispatcher.fsm.events_isolation.close()
        await self.bot.session.close()
        await self.engine.dispose()


def shared_state(settings: Settings, bot_id: int, delivery: DeliverySettings
                 ) -> tuple[BaseStorage | None, BaseEventIsolation | None, SendPacer | None]:
    """With REDIS_URL: conversation state, per-person update locks and send pacing shared by every replica
    through Redis. Without: the SQL storage, in-process locks and pacing (the defaults)."""
    if settings.redis_url is None:
        return None, None, None
    storage, isolation = redis_state(settings.redis_url, settings.redis_prefix)
    pacer = SharedPacer(storage.redis, settings.redis_prefix, bot_id, delivery.rate_per_second,
                        delivery.per_chat_interval)
    log.info("Redis: shared conversation state, update locks and a global send rate of %s/s",
             delivery.rate_per_second)
    return storage, isolation, pacer


async def wait_for_telegram(bot: Bot) -> User:
    """getMe until Telegram answers: a network outage at start-up is waited out, a bad token is not."""
    delay = 1.0
    while True:
        try:
            return await bot.get_me()
        except TelegramNetworkError as error:
            log.warning("Telegram is unreachable (%s); retrying in %.0f s", error.message, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
