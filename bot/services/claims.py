"""Exactly once across processes: a job marks the rows it is about to act on with one conditional UPDATE and
acts only on the rows that UPDATE changed. Several replicas running the same housekeeping at the same moment
each get a disjoint share (PostgreSQL re-checks the condition after waiting for the other's row lock; SQLite
has one writer), so nobody gets a reminder, a check-in or a roster twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


async def claim(session: AsyncSession, column: InstrumentedAttribute[Any], ids: Sequence[int], value: object,
                *, still: object = None) -> set[int]:
    """Set `column` to `value` where it is still `still` (None: unset) among rows `ids`; the ids changed."""
    if not ids:
        return set()
    table = column.class_
    condition = column.is_(None) if still is None else column == still
    result = await session.execute(
        update(table).where(table.id.in_(ids), condition).values({column.key: value})
        .returning(table.id).execution_options(synchronize_session=False))
    return set(result.scalars())
