"""`python -m bot`: load settings, migrate the database, start long polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from bot.app import create_bot, create_dispatcher, register_commands
from bot.config import Settings, SettingsError, load_settings
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade_to_head

log = logging.getLogger("bot")


async def run(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    bot = create_bot(settings)
    dispatcher = create_dispatcher(settings, sessionmaker)
    try:
        me = await bot.get_me()
        log.info("starting @%s", me.username)
        await bot.delete_webhook(drop_pending_updates=False)
        await register_commands(bot)
        await dispatcher.start_polling(bot, polling_timeout=25)
    finally:
        await bot.session.close()
        await engine.dispose()


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    upgrade_to_head(settings.database_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
