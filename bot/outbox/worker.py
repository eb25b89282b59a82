"""The outbox worker: claims due rows, sends them at Telegram's pace, records each answer (see the package
docstring for the protocol and the crash window)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import Row, Update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import OutboxStatus
from bot.outbox.pacing import Pacer, SendPacer
from bot.outbox.store import BlockedHook, claim_due, next_due, record

log = logging.getLogger(__name__)

_ERROR_LENGTH = 300  # OutboxMessage.error is String(300)


@dataclass(frozen=True)
class DeliverySettings:
    rate_per_second: float = 25.0
    per_chat_interval: float = 1.0
    concurrency: int = 8
    """Requests in flight at once."""
    lease_seconds: float = 30.0
    max_attempts: int = 8
    poll_interval: float = 1.0
    backoff_base: float = 1.0
    """Delay before the first retry after a network error; doubles each attempt up to backoff_max."""
    backoff_max: float = 300.0

    def __post_init__(self) -> None:
        if self.rate_per_second <= 0 or self.concurrency < 1 or self.max_attempts < 1:
            raise ValueError("rate_per_second must be > 0, concurrency and max_attempts >= 1")
        if self.lease_seconds < 3:
            raise ValueError("lease_seconds must be >= 3: a request may take a third of it")

    @property
    def request_timeout(self) -> int:
        return max(1, int(self.lease_seconds / 3))

    @property
    def prefetch(self) -> int:
        """Rows claimed ahead: about half a second of sending, so a claim (a scan of every chat's queue head)
        is not needed per message and a claimed row waits well under its lease."""
        return max(self.concurrency, int(self.rate_per_second / 2))


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    rate_limited: int = 0
    """429 answers received."""
    retried: int = 0
    """Rows put back for a later attempt after a network / server error."""
    lost_leases: int = 0
    """Answers that could not be recorded because another worker had re-claimed the row."""


@dataclass(frozen=True)
class _Claim:
    id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    attempts: int
    send_by: float
    """Monotonic deadline to start the request so that it ends well inside the lease."""


@dataclass(frozen=True)
class _Outcome:
    statement: Update
    done: asyncio.Future[bool]


@dataclass
class _Run:
    sent: int = 0
    horizon: datetime = field(default_factory=utcnow)
    """drain(): also wait for pending rows due up to here (retries this drain scheduled)."""


class DeliveryWorker:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: DeliverySettings = DeliverySettings(),
        on_blocked: BlockedHook | None = None,
        pacer: SendPacer | None = None,
    ) -> None:
        """`pacer`: the global rate (and, if shared, per-chat spacing); in-process `Pacer` by default."""
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.on_blocked = on_blocked
        self.stats = DeliveryStats()
        self._pacer = pacer or Pacer(settings.rate_per_second)
        self._in_flight = asyncio.Semaphore(settings.concurrency)
        self._wakeup = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting: set[asyncio.Task[None]] = set()  # claimed, request not started: safe to cancel
        self._last_send: dict[int, float] = {}  # chat id → monotonic time of the last request to it
        self._run: _Run | None = None
        self._unrecorded: list[_Outcome] = []
        self._flushing = False

    def wake(self) -> None:
        """New rows were committed: look now instead of waiting poll_interval."""
        self._wakeup.set()

    async def run(self) -> None:
        """Deliver until cancelled. On cancellation rows not yet requested are handed back, and requests
        already in flight are awaited and recorded, so nothing is left `sending`."""
        try:
            await self._loop(drain=False)
        finally:
            await self._shutdown()

    async def drain(self) -> int:
        """Send everything due now, including retries that fall due meanwhile; return messages sent."""
        try:
            return await self._loop(drain=True)
        finally:
            await self._shutdown()

    # ------------------------------------------------------------------------------------------------
    # the loop
    # ------------------------------------------------------------------------------------------------
    async def _loop(self, *, drain: bool) -> int:
        run = self._run = _Run()
        prefetch = self.settings.prefetch
        batch = max(1, prefetch // 2)
        while True:
            self._wakeup.clear()  # before looking, so a wake() from now on is not lost
            free = prefetch - len(self._tasks)
            claimed = 0
            try:
                if free >= batch or (free > 0 and not self._tasks):
                    claimed = await self._claim(free)
                if claimed:
                    continue
                if self._tasks:
                    await self._idle(self._until_cooldown_ends() or self.settings.poll_interval)
                    continue
                next_due = await self._next_due()
            except (SQLAlchemyError, OSError):
                if drain:
                    raise
                log.exception("outbox query failed; retrying in %s s", self.settings.poll_interval)
                await self._idle(self.settings.poll_interval)
                continue
            if drain and (next_due is None or next_due > max(run.horizon, utcnow())):
                return run.sent
            timeout = self.settings.poll_interval
            if next_due is not None and next_due > utcnow():
                timeout = min(timeout, (next_due - utcnow()).total_seconds())
            # else nothing was claimable although a row is due: its chat is cooling down (below) or its queue
            # head is in flight in another worker (or leased by a dead one): look again after poll_interval.
            cooldown = self._until_cooldown_ends()
            if cooldown is not None:
                timeout = min(timeout, cooldown)
            await self._idle(max(timeout, 0.005))

    async def _idle(self, seconds: float) -> None:
        """Wait for wake(), a send to finish, or the timeout."""
        waiter = asyncio.ensure_future(self._wakeup.wait())
        try:
            await asyncio.wait({waiter, *self._tasks}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()

    def _cooling(self) -> list[int]:
        """Chats sent to less than per_chat_interval ago (and forget the others)."""
        horizon = time.monotonic() - self.settings.per_chat_interval
        for chat_id in [c for c, at in self._last_send.items() if at <= horizon]:
            del self._last_send[chat_id]
        return list(self._last_send)

    def _until_cooldown_ends(self) -> float | None:
        if not self._cooling():
            return None
        return max(0.0, min(self._last_send.values()) + self.settings.per_chat_interval - time.monotonic())

    async def _shutdown(self) -> None:
        for task in self._waiting:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=self.settings.request_timeout + 10)
            for task in stuck:
                task.cancel()
        self._run = None

    # ------------------------------------------------------------------------------------------------
    # database
    # ------------------------------------------------------------------------------------------------
    async def _claim(self, limit: int) -> int:
        """Claim due rows and start delivering each. Cancelled meanwhile (the claim may already be committed),
        the claim is waited for and every row it got is handed back: none is left `sending`."""
        claiming = asyncio.ensure_future(self._claim_rows(limit))
        try:
            rows = await asyncio.shield(claiming)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                claims = self._claims(await claiming)
                await asyncio.shield(asyncio.gather(*(self._hand_back(claim) for claim in claims)))
            raise
        for claim in self._claims(rows):
            task = asyncio.create_task(self._deliver(claim), name=f"outbox-{claim.id}")
            self._tasks.add(task)
            self._waiting.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(self._waiting.discard)
        return len(rows)

    async def _claim_rows(self, limit: int) -> Sequence[Row[Any]]:
        async with self.sessionmaker() as session:
            return await claim_due(session, limit, self._cooling(), self.settings.lease_seconds)

    def _claims(self, rows: Sequence[Row[Any]]) -> list[_Claim]:
        send_by = time.monotonic() + self.settings.lease_seconds - 2 * self.settings.request_timeout
        return [_Claim(row.id, row.chat_id, row.text, row.reply_markup, row.attempts, send_by)
                for row in sorted(rows, key=lambda r: int(r.id))]

    async def _next_due(self) -> datetime | None:
        async with self.sessionmaker() as session:
            return await next_due(session)

    async def _finish(self, claim: _Claim, hook: BlockedHook | None = None, **values: Any) -> bool:
        """Record an outcome if the row is still ours; False if another worker has re-claimed it.

        Group commit: outcomes that arrive while a commit is under way go together in the next one. Each row
        still waits for no more than the commit in progress and its own, so the crash window is not widened,
        and the database (SQLite: one writer, one fsync per commit) keeps up with high send rates.
        A blocked row whose hook runs commits alone: the hook may fail, and then only that row is retried.
        """
        statement = record(claim.id, claim.attempts, **values)
        if hook is not None:
            recorded = await self._write([statement], hook)
        else:
            outcome = _Outcome(statement, asyncio.get_running_loop().create_future())
            self._unrecorded.append(outcome)
            if not self._flushing:
                self._flushing = True
                batch: list[_Outcome] = []
                try:
                    while self._unrecorded:
                        batch, self._unrecorded = self._unrecorded, []
                        try:
                            results = await self._write([b.statement for b in batch])
                        except Exception as error:
                            for b in batch:
                                b.done.set_exception(error)
                        else:
                            for b, result in zip(batch, results, strict=True):
                                b.done.set_result(result)
                finally:
                    self._flushing = False
                    for b in (*batch, *self._unrecorded):  # only on an abnormal exit (cancelled): don't hang
                        if not b.done.done():
                            b.done.cancel()
            recorded = [await outcome.done]
        if not recorded[0]:
            self.stats.lost_leases += 1
            log.warning("outbox %s was re-claimed by another worker before its outcome was recorded", claim.id)
        return recorded[0]

    async def _write(self, statements: list[Update], hook: BlockedHook | None = None) -> list[bool]:
        for attempt in range(6):
            try:
                async with self.sessionmaker() as session:
                    results = []
                    for statement in statements:
                        row = (await session.scalars(statement)).one_or_none()
                        if row is not None and hook is not None:
                            await hook(session, row)
                        results.append(row is not None)
                    await session.commit()
                    return results
            except (SQLAlchemyError, OSError) as error:
                # Retry: an unrecorded send stays `sending` and would be sent again once its lease expires.
                if attempt == 5:
                    raise
                log.warning("recording %s outbox outcome(s) failed, retrying: %s", len(statements),
                            str(error).splitlines()[0])
                await asyncio.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------------------------------------
    # one message
    # ------------------------------------------------------------------------------------------------
    async def _deliver(self, claim: _Claim) -> None:
        slot = False
        try:
            await self._in_flight.acquire()
            slot = True
            await self._pacer.acquire(claim.chat_id)
            gap = self._last_send.get(claim.chat_id, -1e9) + self.settings.per_chat_interval - time.monotonic()
            if gap > 0:
                await asyncio.sleep(gap)
            if time.monotonic() > claim.send_by:  # e.g. a long 429 pause: don't send on a stale lease
                self._in_flight.release()
                await asyncio.shield(self._hand_back(claim))
                return
        except asyncio.CancelledError:
            if slot:
                self._in_flight.release()
            await asyncio.shield(self._hand_back(claim))
            raise
        # From here on the request may reach Telegram: never cancelled by _shutdown, always recorded.
        task = asyncio.current_task()
        if task is not None:
            self._waiting.discard(task)
        self._last_send[claim.chat_id] = time.monotonic()
        try:
            await asyncio.shield(self._send_and_record(claim))
        except Exception:
            log.exception("outbox %s: the outcome could not be recorded", claim.id)

    async def _hand_back(self, claim: _Claim) -> None:
        """Return a claimed row that was never requested; that claim does not count as an attempt."""
        await self._finish(claim, status=OutboxStatus.PENDING, not_before=utcnow(), attempts=claim.attempts - 1)

    async def _send_and_record(self, claim: _Claim) -> None:
        """Send (holding an in-flight slot, released once Telegram answered) and record the outcome."""
        try:
            try:
                markup = claim.reply_markup
                method = SendMessage(
                    chat_id=claim.chat_id,
                    text=claim.text,
                    reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None,
                )
                message = await self.bot.session.make_request(self.bot, method, timeout=self.settings.request_timeout)
            finally:
                self._in_flight.release()
        except TelegramRetryAfter as error:
            self.stats.rate_limited += 1
            self._pacer.pause(error.retry_after)
            log.warning("429 from Telegram: pausing delivery for %s s", error.retry_after)
            await self._retry_at(claim, utcnow() + timedelta(seconds=error.retry_after), _describe(error))
        except TelegramForbiddenError as error:
            self.stats.blocked += 1
            try:
                await self._finish(claim, self.on_blocked, status=OutboxStatus.FAILED, error="blocked")
            except Exception as hook_error:
                log.exception("on_blocked hook failed for outbox %s", claim.id)
                await self._retry_or_fail(claim, f"blocked; hook failed: {hook_error!r}")
            else:
                log.info("chat %s blocked the bot (outbox %s): %s", claim.chat_id, claim.id, error.message)
        except TelegramMigrateToChat as error:
            await self._finish(claim, status=OutboxStatus.PENDING, not_before=utcnow(),
                               chat_id=error.migrate_to_chat_id, error=_describe(error))
        except (TelegramBadRequest, TelegramEntityTooLarge) as error:
            self.stats.failed += 1
            await self._finish(claim, status=OutboxStatus.FAILED, error=_describe(error))
        except Exception as error:  # network, 5xx, 401/404, bad stored markup, …: retried with backoff
            if not isinstance(error, TelegramAPIError):
                log.warning("sending outbox %s failed: %r", claim.id, error)
            await self._retry_or_fail(claim, _describe(error))
        else:
            # A sent message's copy is not kept (it carries people's cards): see "Privacy" in README.
            if await self._finish(claim, status=OutboxStatus.SENT, sent_at=utcnow(), text="", reply_markup=None,
                                  telegram_message_id=message.message_id, error=None):
                self.stats.sent += 1
                if self._run is not None:
                    self._run.sent += 1

    async def _retry_or_fail(self, claim: _Claim, error: str) -> None:
        if claim.attempts >= self.settings.max_attempts:
            self.stats.failed += 1
            log.error("outbox %s failed after %s attempts: %s", claim.id, claim.attempts, error)
            await self._finish(claim, status=OutboxStatus.FAILED, error=error[:_ERROR_LENGTH])
            return
        self.stats.retried += 1
        delay = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (claim.attempts - 1))
        await self._retry_at(claim, utcnow() + timedelta(seconds=delay), error)

    async def _retry_at(self, claim: _Claim, when: datetime, error: str) -> None:
        if self._run is not None:
            self._run.horizon = max(self._run.horizon, when)
        await self._finish(claim, status=OutboxStatus.PENDING, not_before=when, error=error[:_ERROR_LENGTH])


def _describe(error: Exception) -> str:
    text = error.message if isinstance(error, TelegramAPIError) else f"{type(error).__name__}: {error}"
    return text[:_ERROR_LENGTH]
