"""Conversation state in Redis when REDIS_URL is set: several replicas share the questionnaire's progress and
handle one person's updates one at a time (aiogram's RedisStorage and RedisEventIsolation).

Keys: ``<REDIS_PREFIX>:fsm:<bot id>:<chat>[:<thread>]:<user>:<destiny>:state|data|lock``, plus one set per
person, ``<REDIS_PREFIX>:fsm-chats:<bot id>:<user>``, naming every chat where they have state, so `/delete` can
erase it all through the storage interface without scanning the keyspace.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.asyncio import Redis

LOCK_SECONDS = 60
"""An update's lock on its person expires after this (a replica killed mid-update holds it no longer)."""


@runtime_checkable
class ForgetsPeople(Protocol):
    async def forget_person(self, bot_id: int, user_id: int) -> None: ...


class IndexedRedisStorage(RedisStorage):
    """RedisStorage that remembers, per person, the chats they have state in (see the module docstring)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        super().__init__(redis, key_builder=DefaultKeyBuilder(prefix=f"{prefix}:fsm", with_bot_id=True,
                                                              with_destiny=True))
        self.prefix = prefix

    def _index(self, bot_id: int, user_id: int) -> str:
        return f"{self.prefix}:fsm-chats:{bot_id}:{user_id}"

    async def _remember(self, key: StorageKey) -> None:
        entry = json.dumps([key.chat_id, key.thread_id, key.business_connection_id, key.destiny])
        await self.redis.sadd(self._index(key.bot_id, key.user_id), entry)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        if state is not None:
            await self._remember(key)
        await super().set_state(key, state)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if data:
            await self._remember(key)
        await super().set_data(key, data)

    async def forget_person(self, bot_id: int, user_id: int) -> None:
        """Clear the person's state and data in every chat they have any."""
        index = self._index(bot_id, user_id)
        for raw in await self.redis.smembers(index):
            chat_id, thread_id, business_connection_id, destiny = json.loads(raw)
            key = StorageKey(bot_id=bot_id, chat_id=chat_id, user_id=user_id, thread_id=thread_id,
                             business_connection_id=business_connection_id, destiny=destiny)
            await super().set_state(key, None)
            await super().set_data(key, {})
        await self.redis.delete(index)


def redis_state(url: str, prefix: str) -> tuple[IndexedRedisStorage, RedisEventIsolation]:
    """The FSM storage and the per-person update lock, on one connection pool."""
    storage = IndexedRedisStorage(Redis.from_url(url), prefix)
    return storage, RedisEventIsolation(storage.redis, storage.key_builder, lock_kwargs={"timeout": LOCK_SECONDS})


async def forget_person(storage: BaseStorage, key: StorageKey) -> None:
    """Erase a person's conversation state through the storage interface, whichever backend: the chat of
    `key`, and every other chat where the storage can list them (Redis). The SQL storage's rows in other
    chats go with the rest of their data in `services.erasure`, in the same transaction."""
    await storage.set_state(key, None)
    await storage.set_data(key, {})
    if isinstance(storage, ForgetsPeople):
        await storage.forget_person(key.bot_id, key.user_id)
