"""Announcements: an admin's text to their community's members, through the outbox, a few per week.

Who gets one: members whose membership is active (not paused, left or banned), whose profile is finished (the
people rounds match), who have not muted the community's announcements, and who have a chat with the bot (not
erased). The author gets a copy too when they are such a member.

How: the admin's text is kept as a draft until they confirm it. Confirming claims the draft with one conditional
UPDATE (draft → sent, `claims.claim`), so a second press, a press on a second replica or two presses at the same
moment queue it once; the copies are outbox rows written in the same transaction, so they go out exactly when
the claim commits, at the outbox's pace, with its retries and 403 handling. The claim also counts against the
limit (`PER_WINDOW` in any `WINDOW`), checked while holding the community's row lock (PostgreSQL) or the write
lock (SQLite), so two drafts confirmed at once cannot both squeeze under it. Once queued, the text is dropped
from the announcement row (the outbox rows hold the copies until each is sent, then blank them).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import notifications
from bot.db.models import (
    Announcement,
    AnnouncementStatus,
    Community,
    Membership,
    MembershipStatus,
    OutboxMessage,
    User,
)
from bot.domain.announcements import PER_WINDOW, WINDOW
from bot.outbox import mark_written
from bot.services.claims import claim
from bot.services.communities import is_row_id

CHUNK = 1000  # outbox rows per INSERT


def recipients_of(community_id: int) -> Select[tuple[int, int, str]]:
    """(user id, chat id, language) of everyone an announcement of the community goes to, in id order."""
    return (select(User.id, User.telegram_id, User.language)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.community_id == community_id, Membership.status == MembershipStatus.ACTIVE,
                   Membership.announcements_muted.is_(False), User.telegram_id.is_not(None),
                   User.deleted_at.is_(None), User.profile_confirmed_at.is_not(None))
            .order_by(User.id))  # type: ignore[return-value]  # telegram_id IS NOT NULL here


async def count_recipients(session: AsyncSession, community: Community) -> int:
    query = recipients_of(community.id).order_by(None).subquery()
    return int(await session.scalar(select(func.count()).select_from(query)) or 0)


async def next_possible(session: AsyncSession, community: Community, now: datetime) -> datetime | None:
    """None if the community may have an announcement now; else when it may next (the rolling window frees)."""
    recent = list(await session.scalars(
        select(Announcement.sent_at)
        .where(Announcement.community_id == community.id, Announcement.status == AnnouncementStatus.SENT,
               Announcement.sent_at > now - WINDOW)
        .order_by(Announcement.sent_at.desc())))
    if len(recent) < PER_WINDOW:
        return None
    oldest_counted = recent[PER_WINDOW - 1]
    return oldest_counted + WINDOW if oldest_counted is not None else None


async def write_draft(session: AsyncSession, community: Community, author: User, text: str,
                      now: datetime) -> Announcement:
    """The author's new draft for the community; their older unsent drafts for it go (their buttons go stale)."""
    await session.execute(delete(Announcement).where(
        Announcement.community_id == community.id, Announcement.author_id == author.id,
        Announcement.status == AnnouncementStatus.DRAFT))
    draft = Announcement(community_id=community.id, author_id=author.id, text=text, created_at=now,
                         status=AnnouncementStatus.DRAFT)
    session.add(draft)
    await session.commit()
    return draft


async def _draft(session: AsyncSession, community: Community, author: User, announcement_id: int
                 ) -> Announcement | None:
    if not is_row_id(announcement_id):
        return None
    found: Announcement | None = await session.scalar(select(Announcement).where(
        Announcement.id == announcement_id, Announcement.community_id == community.id,
        Announcement.author_id == author.id, Announcement.status == AnnouncementStatus.DRAFT))
    return found


async def cancel(session: AsyncSession, community: Community, author: User, announcement_id: int) -> bool:
    """Drop the author's draft; False if it is not (any more) a draft of theirs in this community."""
    if not is_row_id(announcement_id):
        return False
    result = await session.execute(delete(Announcement).where(
        Announcement.id == announcement_id, Announcement.community_id == community.id,
        Announcement.author_id == author.id, Announcement.status == AnnouncementStatus.DRAFT
    ).returning(Announcement.id))
    cancelled = result.first() is not None
    await session.commit()
    return cancelled


class Sending(enum.Enum):
    QUEUED = "queued"
    STALE = "stale"  # not a draft of the presser's (sent already, cancelled, replaced, forged)
    LIMIT = "limit"  # PER_WINDOW announcements in the last WINDOW already
    NOBODY = "nobody"  # nobody to send it to (the draft stays: members may come back)


@dataclass(frozen=True)
class Sent:
    outcome: Sending
    recipients: int = 0
    next_possible: datetime | None = None


async def send(session: AsyncSession, community: Community, author: User, announcement_id: int,
               now: datetime) -> Sent:
    """Queue the author's draft to every recipient, once, if the weekly limit allows; commits (nothing is rolled
    back: every refusal is decided before the claim, which is the only write besides the lock)."""
    # One confirmation per community at a time: a no-op UPDATE takes the community's row lock (PostgreSQL) or
    # the database write lock (SQLite) until the commit, so what is read below is what the claim acts on.
    await session.execute(update(Community).where(Community.id == community.id).values(name=Community.name)
                          .execution_options(synchronize_session=False))
    draft = await _draft(session, community, author, announcement_id)
    if draft is None:
        await session.commit()
        return Sent(Sending.STALE)
    later = await next_possible(session, community, now)
    if later is not None:
        await session.commit()
        return Sent(Sending.LIMIT, next_possible=later)
    recipients: Sequence[tuple[int, int, str]] = (await session.execute(recipients_of(community.id))).tuples().all()
    if not recipients:
        await session.commit()
        return Sent(Sending.NOBODY)
    text = draft.text
    if not await claim(session, Announcement.status, [draft.id], AnnouncementStatus.SENT,
                       still=AnnouncementStatus.DRAFT):
        await session.commit()
        return Sent(Sending.STALE)
    rows = notifications.announcement(community, text, recipients)
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(OutboxMessage), rows[start:start + CHUNK])
    mark_written(session)
    await session.execute(update(Announcement).where(Announcement.id == draft.id)
                          .values(sent_at=now, text="", recipients=len(rows))
                          .execution_options(synchronize_session=False))
    await session.commit()
    return Sent(Sending.QUEUED, recipients=len(rows))


async def set_muted(session: AsyncSession, person: User, community_id: int, muted: bool) -> Community | None:
    """Mute or unmute the community's announcements for `person`; None if they are not (any more) a member."""
    if not is_row_id(community_id):
        return None
    membership = await session.scalar(select(Membership).where(
        Membership.user_id == person.id, Membership.community_id == community_id,
        Membership.status != MembershipStatus.LEFT))
    if membership is None:
        return None
    membership.announcements_muted = muted
    community = await session.get(Community, community_id)
    await session.commit()
    return community


async def muting_of(session: AsyncSession, person: User) -> list[tuple[int, str, bool]]:
    """(community id, name, muted) of each community `person` is a member of, by name."""
    rows = await session.execute(
        select(Community.id, Community.name, Membership.announcements_muted)
        .join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == person.id, Membership.status != MembershipStatus.LEFT)
        .order_by(Community.name, Community.id))
    return [(community_id, name, bool(muted)) for community_id, name, muted in rows.tuples()]
