"""Global send pacing for the outbox worker."""

from __future__ import annotations

import asyncio
import time


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

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            slot = max(self._next, self._resume_at, now)
            self._next = slot + self._interval  # reserve the slot: waiters are served in arrival order
            if slot > now:
                await asyncio.sleep(slot - now)
            if time.monotonic() >= self._resume_at:  # not paused by a 429 while we slept
                return


