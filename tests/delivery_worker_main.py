"""Only the outbox delivery worker, as its own process (the kill -9 test starts and kills it).

    DATABASE_URL=… TELEGRAM_API_URL=… BOT_TOKEN=… python -m tests.delivery_worker_main

Optional: DELIVERY_RATE (messages/second), DELIVERY_LEASE_SECONDS, DELIVERY_CONCURRENCY.
"""

from __future__ import annotations

import asyncio
import logging
import os

from bot.app import create_bot
from bot.config import Settings
from bot.db.engine import create_engine, create_sessionmaker
from bot.outbox import DeliverySettings, DeliveryWorker


async def main() -> None:
    settings = Settings()  # type: ignore[call-arg]  # BOT_TOKEN comes from the environment
    engine = create_engine(settings.database_url)
    bot = create_bot(settings)
    delivery = DeliverySettings(
        rate_per_second=float(os.environ.get("DELIVERY_RATE", "25")),
        lease_seconds=float(os.environ.get("DELIVERY_LEASE_SECONDS", "30")),
        concurrency=int(os.environ.get("DELIVERY_CONCURRENCY", "8")),
        poll_interval=0.2,
    )
    try:
        await DeliveryWorker(bot, create_sessionmaker(engine), delivery).run()
    finally:
        await bot.session.close()
        await engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
