"""Request middlewares for every Bot API call the bot makes: no database connection held while waiting for
Telegram, and Telegram's 429 `retry_after` honoured."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.db.update_session import release_connection

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Wait as long as Telegram asks after a 429, and back off after a 5xx or a network error, a bounded
    number of times: a reply to a person survives a short Telegram outage, as outbox messages do. (As there,
    a request that timed out may have arrived: a rare repeated reply is better than a lost one.)"""

    def __init__(self, attempts: int = 4, longest_wait: float = 60.0, backoff: float = 0.5) -> None:
        self.attempts = attempts
        self.longest_wait = longest_wait
        self.backoff = backoff

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts or error.retry_after > self.longest_wait:
                    raise
                log.warning("429 on %s: waiting %s s", type(method).__name__, error.retry_after)
                await asyncio.sleep(error.retry_after)
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt == self.attempts:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                log.warning("%s on %s: retrying in %.1f s", error.message, type(method).__name__, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


class ReleaseConnectionMiddleware(BaseRequestMiddleware):
    """Ends the update's open read transaction before a Bot API call: a slow Telegram (or a 429 being slept
    out) must not keep a pooled connection, or a crowd of updates queues behind it."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        await release_connection()
        return await make_request(bot, method)
