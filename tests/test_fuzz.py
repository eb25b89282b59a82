"""Our own fuzz suite (issue 14, item 8): seeded random updates of every kind from many people, one at a time and
in bursts of simultaneous updates, into the real Dispatcher on both databases. What is fed and what is checked
(no unhandled error, every callback answered, valid Telegram HTML within the limits, no error reply, database
invariants) is described in tests/support/fuzz.py. A longer run with reply latencies: bench/bench_hardening.py.

Every run feeds one seeded batch of 500 updates per database (about 15–25 s each; COFFEE_FUZZ_SEEDS and
COFFEE_FUZZ_UPDATES feed more), and a crowd walking the whole questionnaire at the same moment, with the same checks.
"""

from __future__ import annotations

import logging
import os

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.fake_telegram import FakeTelegram
from tests.support.fuzz import Fuzz, FuzzConfig, crowd_questionnaire
from tests.support.journeys import deliver
from tests.support.updates import UpdateFactory

# CI runs one seeded batch per database (well under a minute); COFFEE_FUZZ_SEEDS / COFFEE_FUZZ_UPDATES run more,
# and bench/bench_hardening.py runs 10,000.
SEEDS = tuple(range(1, 1 + int(os.environ.get("COFFEE_FUZZ_SEEDS", "1"))))
UPDATES_PER_SEED = int(os.environ.get("COFFEE_FUZZ_UPDATES", "500"))
CROWD = 20


def error_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{record.name}: {record.getMessage()[:200]}" for record in caplog.records
            if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_updates_of_every_kind_break_nothing(
    seed: int, dispatcher: Dispatcher, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
    updates: UpdateFactory, caplog: pytest.LogCaptureFixture,
) -> None:
    async def drain() -> int:
        return await deliver(bot, sessionmaker)

    fuzz = Fuzz(dispatcher, bot, tg, sessionmaker, updates, FuzzConfig(seed=seed, updates=UPDATES_PER_SEED),
                drain=drain)
    report = await fuzz.run()
    failures = report.failures()
    assert not failures, report.describe()
    assert not error_records(caplog)
    assert report.callbacks > UPDATES_PER_SEED // 10 and report.bursts > 0 and report.delivered > 0, report.describe()


async def test_a_crowd_walks_the_whole_questionnaire_at_once(
    dispatcher: Dispatcher, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
    updates: UpdateFactory, caplog: pytest.LogCaptureFixture,
) -> None:
    """Everyone opens the invite link at the same moment, then answers each question (text or button, with or
    without a username, online or in person) at the same moment as everyone else."""
    result = await crowd_questionnaire(dispatcher, bot, tg, sessionmaker, updates, size=CROWD, seed=7)
    failures = result.report.failures()
    assert not failures, result.report.describe()
    assert not error_records(caplog)
    assert result.confirmed == CROWD, result.report.describe()
