"""The outbox table's side of delivery: rows written by the services, claimed and recorded by the worker.

See the package docstring for the protocol. Every function here is one statement in the caller's session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import Row, Select, Update, and_, delete, event, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.db.base import utcnow
from bot.db.models import OutboxMessage, OutboxStatus

_WAKE = "outbox_wake"
_WRITTEN = "outbox_written"


def wake_on_commit(sessionmaker: async_sessionmaker[AsyncSession], wake: Callable[[], None]) -> None:
    """After any of these sessions commits new outbox rows, call `wake` (the worker looks at once instead of
    waiting for its poll interval). One hook instead of a `worker.wake()` after every service call."""
    sessionmaker.configure(info={_WAKE: wake})


def wake_of(session: AsyncSession) -> Callable[[], None] | None:
    """The wake-up `wake_on_commit` gave this session's sessionmaker, if any."""
    wake: Callable[[], None] | None = session.info.get(_WAKE)
    return wake


def mark_written(session: AsyncSession) -> None:
    session.info[_WRITTEN] = True


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    wake = session.info.get(_WAKE)
    if session.info.pop(_WRITTEN, False) and wake is not None:
        wake()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


BlockedHook = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]
"""Runs in the worker's session after the row was marked failed/blocked; the worker commits after it."""


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
    mark_written(session)
    return row


async def queue(session: AsyncSession, *rows: dict[str, Any]) -> None:
    """Add messages (columns from `outbox_values`) to the caller's transaction; sent once it commits."""
    session.add_all([OutboxMessage(**row) for row in rows])
    await session.flush()
    mark_written(session)


async def claim_due(session: AsyncSession, limit: int, cooling: Sequence[int], lease_seconds: float
                    ) -> Sequence[Row[Any]]:
    """Claim up to `limit` due queue heads (not in a cooling chat) for `lease_seconds`, and commit."""
    now = utcnow()
    o = OutboxMessage
    due = or_(
        and_(o.status == OutboxStatus.PENDING, o.not_before <= now),
        and_(o.status == OutboxStatus.SENDING, o.lease_until < now),
    )
    candidates = select(o.id).where(o.id.in_(queue_heads()), due, o.chat_id.not_in(cooling))
    candidates = candidates.order_by(o.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Materialized, so the locked LIMIT-ed set is computed exactly once.
        chosen = candidates.with_for_update(skip_locked=True).cte("claimable").prefix_with("MATERIALIZED")
        ids: Any = select(chosen.c.id)
    else:
        ids = candidates.scalar_subquery()
    statement = (
        update(o)
        .where(o.id.in_(ids))
        .values(status=OutboxStatus.SENDING, lease_until=now + timedelta(seconds=lease_seconds),
                attempts=o.attempts + 1)
        .returning(o.id, o.chat_id, o.text, o.reply_markup, o.attempts)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    await session.commit()
    return rows


async def next_due(session: AsyncSession) -> datetime | None:
    """When the first pending row of some chat falls due (later ones wait for it anyway)."""
    o = OutboxMessage
    pending = o.status == OutboxStatus.PENDING
    firsts = select(func.min(o.id)).where(pending).group_by(o.chat_id)
    found: datetime | None = await session.scalar(select(func.min(o.not_before)).where(o.id.in_(firsts), pending))
    return found


def record(row_id: int, claimed_attempts: int, /, **values: Any) -> Update:
    """Set an outcome, only if the row is still ours (`attempts` is the fencing token of our claim)."""
    o = OutboxMessage
    return (
        update(o)
        .where(o.id == row_id, o.status == OutboxStatus.SENDING, o.attempts == claimed_attempts)
        .values(lease_until=None, **values)
        .returning(o)
        .execution_options(synchronize_session=False)
    )


def queue_heads() -> Select[tuple[int]]:
    """The lowest unfinished row id of each chat: only it may be sent, so a chat's messages keep their order."""
    o = OutboxMessage
    return (
        select(func.min(o.id))
        .where(o.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        .group_by(o.chat_id)
    )


SENT_ROWS_KEPT = timedelta(days=30)


async def purge_sent(session: AsyncSession, now: datetime) -> int:
    """Delete sent rows (already bodiless) older than `SENT_ROWS_KEPT`; they only served delivery statistics."""
    o = OutboxMessage
    result = await session.execute(delete(o).where(o.status == OutboxStatus.SENT, o.sent_at < now - SENT_ROWS_KEPT))
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
