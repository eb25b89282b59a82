"""`python -m bot`: load settings, migrate the database, start long polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import User

from bot.app import create_bot, create_dispatcher, register_commands
from bot.config import Settings, SettingsError, load_settings
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade_to_head
from bot.jobs import Jobs
from bot.outbox import DeliverySettings, DeliveryWorker, wake_on_commit
from bot.scheduler import RoundScheduler
from bot.services import replacements

log = logging.getLogger("bot")


async def run(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    bot = create_bot(settings)
    worker = DeliveryWorker(bot, sessionmaker, DeliverySettings(
        rate_per_second=settings.delivery_rate, lease_seconds=settings.delivery_lease_seconds),
                            on_blocked=replacements.on_blocked)
    wake_on_commit(sessionmaker, worker.wake)
    jobs = Jobs(sessionmaker)
    scheduler = RoundScheduler(jobs.round, jobs.housekeeping, settings.housekeeping_seconds)
    dispatcher = create_dispatcher(settings, sessionmaker, worker=worker, scheduler=scheduler)
    worker_task: asyncio.Task[None] | None = None
    try:
        me = await wait_for_telegram(bot)
        log.info("starting @%s", me.username)
        await bot.delete_webhook(drop_pending_updates=False)
        await register_commands(bot)
        worker_task = asyncio.create_task(worker.run(), name="delivery")
        scheduler.start(await jobs.communities())
        await jobs.catch_up()
        await jobs.housekeeping()
        await dispatcher.start_polling(bot, polling_timeout=25)
    finally:
        scheduler.shutdown()
        if worker_task is not None:
            worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker_task
        await bot.session.close()
        await engine.dispose()


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


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    upgrade_to_head(settings.database_url)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(settings))
    except TelegramUnauthorizedError:
        print("error: Telegram rejected BOT_TOKEN: check the token @BotFather gave you", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
