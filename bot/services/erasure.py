"""/delete: erase a person everywhere — their row's personal columns, memberships, rights, blocks, meetup
answers, check-in answers by them and about them, conversation state, every queued message that carries their
card or is addressed to them, the wording of their offers and needs in match reasons — and tell the people they
were about to meet.

What stays: the bare `users` row (id and `deleted_at`), so that others' history (who met whom) keeps a key; and
for each community that banned the person, a keyed hash of their Telegram id (`erased_bans`), so that erasing
is no way around a ban.
Sent messages keep no text or buttons at all (the outbox blanks them once Telegram accepts them), so nothing
sent needs finding here. On SQLite, freed pages are zeroed and the write-ahead log is checkpointed, so no
copy of the erased values stays behind in the database files.
"""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import notifications
from bot.db.base import utcnow
from bot.db.models import (
    Announcement,
    AnnouncementStatus,
    Block,
    CheckinAnswer,
    Community,
    CommunityAdmin,
    ErasedBan,
    FsmRecord,
    Match,
    MatchMember,
    Meetup,
    MeetupConnection,
    MeetupGroup,
    MeetupGroupMember,
    MeetupRsvp,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Round,
    User,
)
from bot.domain.bans import person_key
from bot.outbox import queue

PERSONAL_FIELDS = (
    "telegram_id", "username", "first_name", "display_name", "about", "offers", "needs",
    "meeting_format", "city", "timezone", "utc_offset", "contact", "profile_confirmed_at", "languages",
    "offer_topics", "need_topics", "topics_asked_at",
)


async def erase_person(session: AsyncSession, user: User, ban_secret: bytes) -> None:
    await _zero_freed_sqlite_pages(session)
    erased_name = notifications.name_of(user)
    match_ids = list(await session.scalars(select(MatchMember.match_id).where(MatchMember.user_id == user.id)))
    current = await _current_partners(session, user, match_ids)
    await _forget_messages(session, user, match_ids)
    await _scrub_reasons(session, user, match_ids)
    groups = await _leave_meetups(session, user)
    await session.execute(delete(Announcement).where(  # an unsent draft is their own words
        Announcement.author_id == user.id, Announcement.status == AnnouncementStatus.DRAFT))
    await _keep_bans(session, user, ban_secret)
    await _forget_quoting_digests(session, user)
    await _forget_rights_and_state(session, user)
    for field in PERSONAL_FIELDS:
        setattr(user, field, None)
    user.interests = []
    user.command_menu = None  # the chat it was set in is forgotten with telegram_id
    user.deleted_at = utcnow()
    await session.flush()
    for partner, match_id, others, community in current:
        await queue(session, notifications.partner_left(partner, match_id, others, community))
    for group_id in groups:
        await _requeue_rosters(session, group_id, erased_name)
    await session.commit()
    await _wipe_sqlite_copies(session)


async def _current_partners(session: AsyncSession, user: User, match_ids: list[int]
                            ) -> list[tuple[User, int, int, str]]:
    """(partner, match, how many others stay with them, community) for matches of rounds still under way."""
    matches = await session.execute(
        select(Match, Community.name).select_from(Match).join(Round, Round.id == Match.round_id)
        .join(Community, Community.id == Round.community_id)
        .options(selectinload(Match.members).selectinload(MatchMember.user))
        .where(Match.id.in_(match_ids), Round.checkin_sent_at.is_(None)))
    found = []
    for match, community in matches.tuples():
        partners = [seat.user for seat in match.members if seat.user_id != user.id]
        found += [(partner, match.id, len(partners) - 1, community) for partner in partners
                  if partner.telegram_id is not None]
    return found


async def _forget_messages(session: AsyncSession, user: User, match_ids: list[int]) -> None:
    """Unsent messages to the person or about their matches go; what is left of sent ones loses its chat."""
    carries = or_(OutboxMessage.user_id == user.id, OutboxMessage.match_id.in_(match_ids))
    await session.execute(delete(OutboxMessage).where(carries, OutboxMessage.status != OutboxStatus.SENT))
    await session.execute(update(OutboxMessage).where(carries).values(text="", reply_markup=None, error=None))
    await session.execute(update(OutboxMessage).where(OutboxMessage.user_id == user.id)
                          .values(chat_id=0, user_id=None))


async def _scrub_reasons(session: AsyncSession, user: User, match_ids: list[int]) -> None:
    """Reasons quote what people offer and need: drop the quotes that came from this person."""
    for match in await session.scalars(select(Match).where(Match.id.in_(match_ids))):
        reasons: dict[str, Any] = dict(match.reasons or {})
        helps = reasons.get("helps")
        if isinstance(helps, list):
            reasons["helps"] = [help_ for help_ in helps if not _involves(help_, user.id)]
            match.reasons = reasons


def _involves(help_: object, user_id: int) -> bool:
    return not isinstance(help_, dict) or user_id in (help_.get("giver"), help_.get("receiver"))


async def _leave_meetups(session: AsyncSession, user: User) -> list[int]:
    """Drop the person's RSVPs, group seats and connections; returns their meetup groups."""
    groups = list(await session.scalars(select(MeetupGroupMember.group_id).where(MeetupGroupMember.user_id == user.id)))
    await session.execute(delete(MeetupRsvp).where(MeetupRsvp.user_id == user.id))
    await session.execute(delete(MeetupGroupMember).where(MeetupGroupMember.user_id == user.id))
    await session.execute(delete(MeetupConnection).where(
        (MeetupConnection.user_id == user.id) | (MeetupConnection.other_user_id == user.id)))
    return groups


async def _requeue_rosters(session: AsyncSession, group_id: int, erased_name: str) -> None:
    """Co-members' rosters that are still queued and name the person are written again without them."""
    group = await session.scalar(select(MeetupGroup).options(selectinload(MeetupGroup.members)
                                                            .selectinload(MeetupGroupMember.user))
                                 .where(MeetupGroup.id == group_id))
    meetup = await session.get(Meetup, group.meetup_id) if group else None
    community = await session.get(Community, meetup.community_id) if meetup else None
    if group is None or meetup is None or community is None:
        return
    members = [seat.user for seat in group.members]
    queued = await session.execute(delete(OutboxMessage).where(
        OutboxMessage.kind == "roster", OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.user_id.in_([member.id for member in members]),
        OutboxMessage.text.contains(html.escape(erased_name), autoescape=True)).returning(OutboxMessage.user_id))
    waiting = set(queued.scalars())
    for member in members:
        if member.id in waiting:
            await queue(session, *notifications.rosters(member, meetup, community, group, members))


async def _forget_quoting_digests(session: AsyncSession, user: User) -> None:
    """Unsent feedback digests of communities where the person left a check-in comment may quote it: they go
    (admins can still open the digest, rebuilt without it, from /stats)."""
    commented = select(Round.community_id).join(Match, Match.round_id == Round.id).join(
        MatchMember, MatchMember.match_id == Match.id).where(MatchMember.user_id == user.id,
                                                             MatchMember.comment.is_not(None))
    await session.execute(delete(OutboxMessage).where(
        OutboxMessage.kind == notifications.FEEDBACK_DIGEST, OutboxMessage.community_id.in_(commented),
        OutboxMessage.status != OutboxStatus.SENT))


async def _keep_bans(session: AsyncSession, user: User, secret: bytes) -> None:
    if user.telegram_id is None:
        return
    key = person_key(secret, user.telegram_id)
    banned = set(await session.scalars(select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.banned_at.is_not(None))))
    kept = set(await session.scalars(select(ErasedBan.community_id).where(ErasedBan.person_key == key)))
    session.add_all(ErasedBan(community_id=community_id, person_key=key) for community_id in banned - kept)


async def _forget_rights_and_state(session: AsyncSession, user: User) -> None:
    if user.telegram_id is not None:
        await session.execute(delete(FsmRecord).where(FsmRecord.telegram_user_id == user.telegram_id))
    await session.execute(delete(Membership).where(Membership.user_id == user.id))
    await session.execute(delete(CommunityAdmin).where(CommunityAdmin.user_id == user.id))
    await session.execute(update(Community).where(Community.owner_id == user.id).values(owner_id=None))
    await session.execute(delete(Block).where((Block.user_id == user.id) | (Block.blocked_user_id == user.id)))
    await session.execute(update(MatchMember).where(MatchMember.user_id == user.id).values(comment=None))
    await session.execute(delete(CheckinAnswer).where(
        (CheckinAnswer.user_id == user.id) | (CheckinAnswer.partner_id == user.id)))


async def _zero_freed_sqlite_pages(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA secure_delete = ON"))


async def _wipe_sqlite_copies(session: AsyncSession) -> None:
    if session.get_bind().dialect.name != "sqlite":
        return
    await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    await session.commit()
