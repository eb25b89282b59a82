"""The outbox sender: global rate, per-chat spacing, 429 / 403 / network-error policy, exactly-once.

Rows are written by `enqueue` inside the transaction that caused them; this worker delivers them.

Protocol, per row:

1. **Claim** (one statement, one short transaction): among the *head* of each chat's queue (the lowest id
   still pending or sending), take rows that are due — pending with ``not_before <= now``, or sending with an
   expired lease (their worker died) — ordered by id, skipping chats this process sent to less than
   ``per_chat_interval`` ago. They become ``sending`` with ``lease_until = now + lease`` and ``attempts += 1``.
   On PostgreSQL the candidates are locked ``FOR UPDATE SKIP LOCKED``, so two processes never claim the same
   row; on SQLite the single ``UPDATE … RETURNING`` statement holds the database write lock. Only heads are
   claimed, so messages to one chat go out in id order even across processes and retries.
   A claim takes about half a second of sending (``prefetch``), so it is not a query per message.
2. **Send** once an in-flight slot (``concurrency``), a global-rate slot and the chat's spacing allow. If that
   takes so long that the lease could run out during the request, the row is handed back unsent. The request
   timeout is a third of the lease, so a lease never expires while its request may still be in flight.
   Per-chat spacing is kept in-process; across processes only the per-chat order is guaranteed.
3. **Record** the answer at once, guarded by ``status = sending AND attempts = <ours>`` (``attempts`` doubles
   as a fencing token: a row re-claimed by someone else is not overwritten). Group commit: answers that arrive
   while a commit is under way share the next one, so no row waits longer than it would for the database
   lock anyway, and SQLite (one writer, an fsync per commit) keeps up with 200 messages/second:
   * ok → ``sent`` with ``sent_at`` and ``telegram_message_id``;
   * 429 → pending with ``not_before = now + retry_after``, and the whole worker pauses for ``retry_after``
     (it is a flood limit on the bot, not on the chat);
   * network error, 5xx, 401/404 and the unexpected → pending with exponential backoff; ``failed`` once
     ``attempts`` reaches ``max_attempts``;
   * 403 → ``failed`` with error ``blocked``, and ``on_blocked`` runs in the same transaction (if it raises,
     the row is retried like a network error, so the hook's effect is not lost);
   * group migrated to a supergroup → the row moves to the new chat id and is retried;
   * other 400s → ``failed`` with Telegram's description.

Crash window: the Bot API has no idempotency key. A kill between Telegram accepting a message and step 3's
commit leaves the row ``sending``; after its lease expires it is sent again — at most one duplicate per row
that was in flight (so at most ``concurrency`` per crash). Anything else survives a kill -9: unsent rows are
pending or sending-with-lease and get (re)claimed, recorded rows are never touched again. A request that times
out is ambiguous in the same way and is retried (a lost message is worse than a repeated one). Leases compare
the workers' wall clocks, so hosts running workers must keep their clocks in sync (skew ≪ lease).

The worker calls ``bot.session.make_request`` directly: it owns the 429 policy, and a request middleware that
sleeps out a 429 inside one send (bot.telegram_retry) would keep the other sends hitting the flood limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
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
from sqlalchemy import Select, Update, and_, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

BlockedHook = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]
"""Runs in the worker's session after the row was marked failed/blocked; the worker commits after it."""

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


def outbox_values(
    *,
    chat_id: int,
    text: str,
    kind: str,
    user_id: int | None = None,
    reply_markup: InlineKeyboardMarkup | dict[str, Any] | None = None,
    match_id: int | None = None,
) -> dict[str, Any]:
    """The columns of a pending message; it is sent once the transaction that inserts it commits."""
    if isinstance(reply_markup, InlineKeyboardMarkup):
        reply_markup = reply_markup.model_dump(mode="json", exclude_none=True)
    return {"chat_id": chat_id, "user_id": user_id, "kind": kind, "text": text, "reply_markup": reply_markup,
            "match_id": match_id, "status": OutboxStatus.PENDING, "attempts": 0, "not_before": utcnow()}


async def enqueue(session: AsyncSession, **message: Any) -> OutboxMessage:
    """Add a message (see `outbox_values`) to the caller's session and flush it."""
    row = OutboxMessage(**outbox_values(**message))
    session.add(row)
    await session.flush()
    return row


class _Pacer:
    """Evenly spaced global send slots (a token bucket of size one), pausable after a 429.

    Telegram counts arrivals in a sliding one-second window. Evenly spaced at exactly the rate, the rate+1-th
    send lands a hair after the window of the first, so any network jitter makes it a 429 (which stops
    everything for retry_after). The slots are therefore 2 % wider: up to 20 ms of jitter is absorbed.
    """

    HEADROOM = 1.02

    def __init__(self, rate: float) -> None:
        self._interval = self.HEADROOM / rate
        self._next = 0.0
        self._resume_at = 0.0

    def pause(self, seconds: float) -> None:
        self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            slot = max(self._next, self._resume_at, now)
            self._next = slot + self._interval  # reserve the slot: waiters are served in arrival order
            if slot > now:
                await asyncio.sleep(slot - now)
            if time.monotonic() >= self._resume_at:  # not paused by a 429 while we slept
                return


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
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.on_blocked = on_blocked
        self.stats = DeliveryStats()
        self._pacer = _Pacer(settings.rate_per_second)
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
        now = utcnow()
        o = OutboxMessage
        heads = _queue_heads()
        due = or_(
            and_(o.status == OutboxStatus.PENDING, o.not_before <= now),
            and_(o.status == OutboxStatus.SENDING, o.lease_until < now),
        )
        candidates = select(o.id).where(o.id.in_(heads), due, o.chat_id.not_in(self._cooling()))
        candidates = candidates.order_by(o.id).limit(limit)
        async with self.sessionmaker() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Materialized, so the locked LIMIT-ed set is computed exactly once.
                chosen = candidates.with_for_update(skip_locked=True).cte("claimable").prefix_with("MATERIALIZED")
                ids: Any = select(chosen.c.id)
            else:
                ids = candidates.scalar_subquery()
            statement = (
                update(o)
                .where(o.id.in_(ids))
                .values(
                    status=OutboxStatus.SENDING,
                    lease_until=now + timedelta(seconds=self.settings.lease_seconds),
                    attempts=o.attempts + 1,
                )
                .returning(o.id, o.chat_id, o.text, o.reply_markup, o.attempts)
                .execution_options(synchronize_session=False)
            )
            rows = (await session.execute(statement)).all()
            await session.commit()
        send_by = time.monotonic() + self.settings.lease_seconds - 2 * self.settings.request_timeout
        for row in sorted(rows, key=lambda r: int(r.id)):
            claim = _Claim(row.id, row.chat_id, row.text, row.reply_markup, row.attempts, send_by)
            task = asyncio.create_task(self._deliver(claim), name=f"outbox-{claim.id}")
            self._tasks.add(task)
            self._waiting.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(self._waiting.discard)
        return len(rows)

    async def _next_due(self) -> datetime | None:
        """When the first pending row of some chat falls due (later ones wait for it anyway)."""
        o = OutboxMessage
        pending = o.status == OutboxStatus.PENDING
        firsts = select(func.min(o.id)).where(pending).group_by(o.chat_id)
        async with self.sessionmaker() as session:
            next_due: datetime | None = await session.scalar(
                select(func.min(o.not_before)).where(o.id.in_(firsts), pending)
            )
        return next_due

    async def _finish(self, claim: _Claim, hook: BlockedHook | None = None, **values: Any) -> bool:
        """Record an outcome if the row is still ours; False if another worker has re-claimed it.

        Group commit: outcomes that arrive while a commit is under way go together in the next one. Each row
        still waits for no more than the commit in progress and its own, so the crash window is not widened,
        and the database (SQLite: one writer, one fsync per commit) keeps up with high send rates.
        A blocked row whose hook runs commits alone: the hook may fail, and then only that row is retried.
        """
        o = OutboxMessage
        statement = (
            update(o)
            .where(o.id == claim.id, o.status == OutboxStatus.SENDING, o.attempts == claim.attempts)
            .values(lease_until=None, **values)
            .returning(o)
            .execution_options(synchronize_session=False)
        )
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
            await self._pacer.acquire()
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
            if await self._finish(claim, status=OutboxStatus.SENT, sent_at=utcnow(),
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


def _queue_heads() -> Select[tuple[int]]:
    """The lowest unfinished row id of each chat: only it may be sent, so a chat's messages keep their order."""
    o = OutboxMessage
    return (
        select(func.min(o.id))
        .where(o.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        .group_by(o.chat_id)
    )


def _describe(error: Exception) -> str:
    text = error.message if isinstance(error, TelegramAPIError) else f"{type(error).__name__}: {error}"
    return text[:_ERROR_LENGTH]


__all__: Sequence[str] = (
    "BlockedHook", "DeliverySettings", "DeliveryStats", "DeliveryWorker", "enqueue",
)
