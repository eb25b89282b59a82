"""aiogram FSM storage in our own database: questionnaire progress survives restarts.

Inside an update the storage uses that update's session (see `bot.db.update_session`), so an update never
holds two pooled connections; outside one (aiogram reads the state before our middlewares run) it opens a
short session of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import FsmRecord
from bot.db.update_session import current_session


def storage_key(key: StorageKey) -> str:
    parts = [key.bot_id, key.chat_id, key.user_id, key.thread_id, key.business_connection_id, key.destiny]
    return ":".join("" if part is None else str(part) for part in parts)


class SqlStorage(BaseStorage):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        shared = current_session()
        if shared is not None:
            yield shared
            return
        async with self._sessionmaker() as own:
            yield own

    async def _load(self, session: AsyncSession, key: StorageKey) -> FsmRecord:
        record = await session.get(FsmRecord, storage_key(key))
        if record is None:
            record = FsmRecord(key=storage_key(key), telegram_user_id=key.user_id, state=None, data={})
            session.add(record)
        return record

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        async with self._session() as session:
            record = await self._load(session, key)
            record.state = state.state if isinstance(state, State) else state
            await self._save_or_drop(session, record)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session() as session:
            record = await session.get(FsmRecord, storage_key(key))
            return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._session() as session:
            record = await self._load(session, key)
            record.data = dict(data)
            await self._save_or_drop(session, record)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as session:
            record = await session.get(FsmRecord, storage_key(key))
            return dict(record.data) if record else {}

    async def close(self) -> None:
        return None

    @staticmethod
    async def _save_or_drop(session: AsyncSession, record: FsmRecord) -> None:
        if record.state is None and not record.data:
            if record in session.new:
                session.expunge(record)
            else:
                await session.delete(record)
        await session.commit()
