"""Global send pacing for the outbox worker: in-process (`Pacer`), or shared by all replicas through Redis
(`SharedPacer`, when REDIS_URL is set)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class Pacer:
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

    async def acquire(self, chat_id: int | None = None) -> None:
        """The next global slot (per-chat spacing is the worker's, in process)."""
        while True:
            now = time.monotonic()
            slot = max(self._next, self._resume_at, now)
            self._next = slot + self._interval  # reserve the slot: waiters are served in arrival order
            if slot > now:
                await asyncio.sleep(slot - now)
            if time.monotonic() >= self._resume_at:  # not paused by a 429 while we slept
                return


class SendPacer(Protocol):
    """What the worker needs: a send slot for a chat, and a pause after a 429."""

    def pause(self, seconds: float) -> None: ...

    async def acquire(self, chat_id: int | None = None) -> None: ...


# One call reserves a send slot on Redis's clock (microseconds), atomically for every replica:
#   KEYS: the next free global slot, the end of a 429 pause, this chat's next allowed send.
#   ARGV: global interval, per-chat interval (both µs).
# If the chat is still cooling down nothing is reserved and {0, wait} comes back; otherwise the slot is
# max(now, next global slot, pause end), the global slot moves one interval on, the chat's next allowed send
# becomes slot + per-chat interval, and {1, wait until the slot} comes back.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local chat_free = tonumber(redis.call('GET', KEYS[3]) or '0')
if chat_free > now then return {0, chat_free - now} end
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'))
local interval, per_chat = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%d', slot + interval), 'PX', math.ceil((slot - now + interval) / 1000) + 1000)
redis.call('SET', KEYS[3], string.format('%d', slot + per_chat), 'PX', math.ceil((slot - now + per_chat) / 1000) + 1000)
return {1, slot - now}
"""
_PAUSE = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%d', until_), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return 0
"""


class SharedPacer:
    """The global rate and the per-chat spacing shared by every replica through Redis (REDIS_URL set).

    Algorithm: a virtual-time token bucket of size one (GCRA) kept in Redis. Each send reserves the next free
    slot on Redis's clock in one atomic script (`_RESERVE`); slots are `HEADROOM / rate` apart whichever replica
    takes them, so all replicas together never exceed the rate, and a backlog keeps every slot taken. The chat's
    next allowed send is reserved in the same script, so two replicas never send to one chat within
    `per_chat_interval` (plus `LATE`). A 429 anywhere pauses every replica (`_PAUSE` moves the earliest slot).
    A replica that wakes more than `LATE` after its slot (a stalled process) gives that slot up and takes a new
    one rather than sending in a burst (at most MAX_LATE times in a row). While Redis does not answer, each
    replica paces itself alone.
    """

    LATE = 0.1
    MAX_LATE = 3

    def __init__(self, redis: Redis, prefix: str, bot_id: int, rate: float, per_chat_interval: float = 1.0) -> None:
        self._redis = redis
        self._keys = f"{prefix}:pace:{bot_id}"
        self._interval_us = int(Pacer.HEADROOM / rate * 1e6)
        self._per_chat_us = int((per_chat_interval + self.LATE) * 1e6)
        self._reserve = redis.register_script(_RESERVE)
        self._pause = redis.register_script(_PAUSE)
        self._local = Pacer(rate)
        self._resume_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._failing = False

    def pause(self, seconds: float) -> None:
        self._resume_at = max(self._resume_at, time.monotonic() + seconds)
        self._local.pause(seconds)
        task = asyncio.get_running_loop().create_task(self._share_pause(seconds))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _share_pause(self, seconds: float) -> None:
        try:
            await self._pause(keys=[f"{self._keys}:paused"], args=[int(seconds * 1e6)])
        except (RedisError, OSError) as error:
            log.warning("could not share a 429 pause through Redis: %s", error)

    async def acquire(self, chat_id: int | None = None) -> None:
        keys = [f"{self._keys}:next", f"{self._keys}:paused", f"{self._keys}:chat:{chat_id}"]
        late = 0
        while True:
            try:
                reserved, wait_us = await self._reserve(keys=keys, args=[self._interval_us, self._per_chat_us])
            except (RedisError, OSError) as error:
                if not self._failing:
                    log.warning("Redis does not answer (%s): pacing this replica alone meanwhile", error)
                self._failing = True
                await self._local.acquire()
                return
            if self._failing:
                log.info("Redis answers again: pacing is shared again")
                self._failing = False
            target = time.monotonic() + int(wait_us) / 1e6
            await asyncio.sleep(max(0.0, target - time.monotonic()))
            if not int(reserved) or time.monotonic() < self._resume_at:
                continue  # the chat was cooling down, or a 429 paused us meanwhile: reserve again
            if time.monotonic() - target <= self.LATE or late == self.MAX_LATE:
                return
            late += 1  # woke too late (a stalled process): this slot's moment has passed, take a new one
