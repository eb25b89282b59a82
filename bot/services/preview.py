"""/preview: the next round as the engine would make it now — a dry run that sends and records nothing.

It loads exactly what a real round loads (`rounds.eligible_members`, `rounds.engine_member`, `rounds.blocked_pairs`,
`history.community_history`) with the seed of the next scheduled period, in a session of its own that is rolled
back (loading ends expired pauses in memory, as a round does; here that is undone), and runs the engine in a
thread with no connection held.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Community
from bot.db.update_session import release_connection
from bot.domain.schedule import Schedule, period_key
from bot.services.history import community_history
from bot.services.rounds import blocked_pairs, eligible_members, engine_member, seed_for
from matching import Instance, PairResult, match_round


@dataclass(frozen=True)
class Preview:
    result: PairResult
    names: dict[int, str]  # every eligible person's name, by user id
    group_size: int  # 2: pairs (one trio for an odd count); 3–8: groups
    eligible: int
    seconds: float  # the engine's time


async def preview_round(session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], community: Community,
                        now: datetime) -> Preview:
    await release_connection(session)  # at most one connection per update: the update's is given back first
    async with sessionmaker() as reading:
        loaded = await reading.get(Community, community.id)
        assert loaded is not None
        people = await eligible_members(reading, loaded, now)
        past = await community_history(reading, loaded.id)
        instance = Instance(members=tuple(engine_member(user) for user in people), history=past.meetings,
                            blocked=tuple(await blocked_pairs(reading, [user.id for user in people])),
                            round=past.next_round)
        names = {user.id: user.display_name or user.first_name or "—" for user in people}
        group_size, seed = loaded.round_group_size, seed_for(loaded, period_key(Schedule.of(loaded).next(now)))
        await reading.rollback()  # nothing the dry run touched is kept
    started = time.perf_counter()
    result = await asyncio.to_thread(match_round, instance, group_size, seed)
    return Preview(result, names, group_size, len(people), time.perf_counter() - started)
