"""Set-up data for round tests: communities of members whose profiles are already confirmed.

(The questionnaire itself is tested through the Dispatcher elsewhere; here it would only slow rounds down.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community, CommunityAdmin, MeetingFormat, Membership, User
from bot.services.communities import DEFAULT_TAGS, new_invite_code

ADMIN_TELEGRAM_ID = 1
FIRST_MEMBER = 1000
OFFERS = ("hiring advice", "pitch deck reviews", "intro to investors", "python code reviews", "brand design")
NEEDS = ("intro to investors", "brand design", "hiring advice", "a co-founder", "pitch deck reviews")


@dataclass(frozen=True)
class Seeded:
    id: int
    member_telegram_ids: list[int]


async def community_with_members(
    sessionmaker: async_sessionmaker[AsyncSession], count: int, *, name: str = "Founders",
    created_at: datetime | None = None, first: int = FIRST_MEMBER, formats: dict[int, MeetingFormat] | None = None,
    long_about: bool = False,
) -> Seeded:
    async with sessionmaker() as session:
        admin = await _user(session, ADMIN_TELEGRAM_ID, "Olga", confirmed=False)
        community = Community(name=name, invite_code=new_invite_code(), tags=list(DEFAULT_TAGS), owner_id=admin.id,
                              created_at=created_at or utcnow() - timedelta(days=60), description="")
        session.add(community)
        await session.flush()
        session.add(CommunityAdmin(community_id=community.id, user_id=admin.id))
        ids = list(range(first, first + count))
        for index, telegram_id in enumerate(ids):
            person = await _user(session, telegram_id, f"Member{index}", confirmed=True, index=index,
                                 meeting_format=(formats or {}).get(index, MeetingFormat.ONLINE))
            if long_about:
                person.about = f"Member{index} " + "builds communities and products for a living; " * 10
            session.add(Membership(user_id=person.id, community_id=community.id))
        await session.commit()
        return Seeded(community.id, ids)


async def _user(session: AsyncSession, telegram_id: int, name: str, *, confirmed: bool, index: int = 0,
                meeting_format: MeetingFormat = MeetingFormat.ONLINE) -> User:
    from sqlalchemy import select

    existing = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    if existing is not None:
        return existing
    person = User(
        telegram_id=telegram_id, username=f"user{telegram_id}", first_name=name, language="en",
        display_name=name, about=f"{name} builds things.", interests=[DEFAULT_TAGS[index % 4], "it"],
        offers=OFFERS[index % len(OFFERS)], needs=NEEDS[index % len(NEEDS)], meeting_format=meeting_format,
        city="Berlin", timezone="Europe/Berlin", utc_offset=60,
        profile_confirmed_at=utcnow() if confirmed else None,
    )
    session.add(person)
    await session.flush()
    return person


async def community_run_by(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int, first_name: str,
                           name: str, *, language: str = "en") -> Community:
    """A community without members whose one admin (and creator) is a new person: an admin of another
    community, for rights checks."""
    async with sessionmaker() as session:
        admin = User(telegram_id=telegram_id, first_name=first_name, language=language, interests=[])
        session.add(admin)
        await session.flush()
        community = Community(name=name, invite_code=new_invite_code(), tags=[], owner_id=admin.id)
        session.add(community)
        await session.flush()
        session.add(CommunityAdmin(community_id=community.id, user_id=admin.id))
        await session.commit()
        return community
