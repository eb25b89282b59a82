"""Long polling that loses nothing and never stalls (used instead of aiogram's `start_polling`).

aiogram confirms an update (advances getUpdates' offset past it) as soon as it has read it, so updates being
handled when the process is killed are gone; and it parses a whole batch at once, so one update it cannot read
fails every getUpdates again, for ever. Here:

- each update of a batch is parsed on its own; one that cannot be read is logged, counted and skipped (its id is
  confirmed like a handled one);
- updates are handled concurrently (as aiogram does), but the offset only moves past an update once it and
  every update before it have been handled. A getUpdates while some are still in flight returns those again;
  they are recognised and not handled twice. If the process dies, the unconfirmed ones come again to the next
  one: at most the few updates handled in the last moment before a kill -9 are handled a second time.
- while an update is in flight, new ones are fetched every `busy_poll_interval` (Telegram answers a getUpdates
  at once while unconfirmed updates are waiting), so one slow handler does not hold up everybody else;
- on stop (SIGTERM), updates in flight are finished and confirmed before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from pydantic import ValidationError

from bot.metrics import count_unparsed_update

log = logging.getLogger(__name__)


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates answered as plain dicts, so that each update is parsed (and may fail) on its own."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class Poller:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        allowed_updates: list[str],
        *,
        timeout: int = 25,
        busy_poll_interval: float = 0.25,
        drain_seconds: float = 30.0,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.busy_poll_interval = busy_poll_interval
        self.drain_seconds = drain_seconds
        self._offset: int | None = None
        """Every update below this id has been handled (or skipped)."""
        self._confirmed: int | None = None
        """The offset last sent to Telegram."""
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._done: set[int] = set()
        """Handled update ids at or above `_offset` (an update before them is still in flight)."""
        self._abandoned: int | None = None
        """The lowest update cancelled unfinished at shutdown: never confirmed, so the next process gets it."""

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and handle until `stop` is set; then finish what is in flight and confirm it."""
        delay = 1.0
        try:
            while not stop.is_set():
                try:
                    batch = await self._fetch(stop)
                except Exception as error:
                    log.error("getUpdates failed (%s: %s); retrying in %.0f s", type(error).__name__, error, delay)
                    await _sleep_unless(stop, delay)
                    delay = min(delay * 2, 30.0)
                    continue
                delay = 1.0
                if batch is None:
                    break
                if not self._start(batch) and self._in_flight:
                    # Nothing new: only updates still being handled came back. Wait a little (or until one is
                    # done) instead of asking Telegram again at once.
                    await asyncio.wait([*self._in_flight.values()], timeout=self.busy_poll_interval,
                                       return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self._drain()
            await self._confirm()

    async def _fetch(self, stop: asyncio.Event) -> list[dict[str, Any]] | None:
        """One getUpdates (which also confirms what is done); None if `stop` was set meanwhile."""
        offset = self._advance()
        request = asyncio.ensure_future(self.bot(
            GetRawUpdates(offset=offset, timeout=self.timeout, allowed_updates=self.allowed_updates),
            request_timeout=self.timeout + 10,
        ))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({request, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not request.done():
                request.cancel()  # the answer is not read: whatever it held stays unconfirmed and comes again
        if request.cancelled():
            return None
        self._confirmed = offset
        return request.result()

    def _start(self, batch: list[dict[str, Any]]) -> int:
        """Start handling the updates not seen before; return how many there were."""
        fresh = 0
        for raw in batch:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int):
                log.error("getUpdates returned an entry without an update_id; ignored: %.200r", raw)
                continue
            if (self._offset is not None and update_id < self._offset) or update_id in self._done \
                    or update_id in self._in_flight:
                continue
            fresh += 1
            try:
                update = Update.model_validate(raw, context={"bot": self.bot})
            except ValidationError as error:
                count_unparsed_update()
                log.error("update %s cannot be read and is skipped: %s", update_id,
                          "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3]))
                self._done.add(update_id)
                continue
            task = asyncio.create_task(self._handle(update), name=f"update-{update_id}")
            self._in_flight[update_id] = task
            task.add_done_callback(functools.partial(self._finished, update_id))
        return fresh

    async def _handle(self, update: Update) -> None:
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:  # the dispatcher's error handler has had its chance; never lose the loop over it
            log.exception("update %s failed", update.update_id)

    def _finished(self, update_id: int, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(update_id, None)
        if task.cancelled():
            self._abandoned = min(update_id, self._abandoned if self._abandoned is not None else update_id)
        else:
            self._done.add(update_id)

    def _advance(self) -> int | None:
        """The offset that confirms exactly the updates handled so far (none before them still in flight)."""
        if self._in_flight:
            offset = min(self._in_flight)
        elif self._done:
            offset = max(self._done) + 1
        else:
            return self._offset
        if self._abandoned is not None:
            offset = min(offset, self._abandoned)
        if self._offset is None or offset > self._offset:
            self._offset = offset
            self._done = {done for done in self._done if done >= offset}
        return self._offset

    async def _drain(self) -> None:
        if not self._in_flight:
            return
        log.info("finishing %d update(s) in flight", len(self._in_flight))
        _, late = await asyncio.wait([*self._in_flight.values()], timeout=self.drain_seconds)
        for task in late:  # not confirmed: Telegram gives them to the next process
            task.cancel()
        if late:
            await asyncio.wait(late)

    async def _confirm(self) -> None:
        offset = self._advance()
        if offset is None or offset == self._confirmed:
            return
        with contextlib.suppress(Exception):  # at worst these few are handled once more after a restart
            await self.bot(GetRawUpdates(offset=offset, limit=1, timeout=0), request_timeout=10)
            self._confirmed = offset


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
