"""Community settings (/settings): the description shown on joining, the organisers' note added to every intro,
the interest tags and help topics (add, rename, remove, move), archiving and deleting a community.

Callers check the admin's rights first (every command, typed answer and press). Removing a tag or topic takes it
out of members' answers only where no other community of theirs still offers it, and keeps their other answers;
renaming one carries members' answers over. Deleting erases what the community holds about people: memberships,
rights, rounds with their matches and check-ins, meetups with their answers, announcements, bans, and every queued
message about it (sent messages keep no text: see bot.outbox).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import notifications
from bot.db.models import Community, Match, Membership, MembershipStatus, OutboxMessage, OutboxStatus, Round, User
from bot.domain import community_settings as rules
from bot.domain.topics import HelpTopic, catalogue
from bot.outbox import queue

NOTIFIED = (MembershipStatus.ACTIVE, MembershipStatus.PAUSED)


async def set_description(session: AsyncSession, community: Community, value: str) -> None:
    community.description = value
    await session.commit()


async def set_note(session: AsyncSession, community: Community, value: str | None) -> None:
    """The organisers' note for intros written from now on (None: no note)."""
    community.intro_note = value or None
    await session.commit()


def topics_of(community: Community) -> tuple[HelpTopic, ...]:
    return catalogue(community.help_topics)


async def _members(session: AsyncSession, community: Community) -> list[User]:
    return list(await session.scalars(
        select(User).join(Membership, Membership.user_id == User.id).where(Membership.community_id == community.id)))


async def _other_catalogues(session: AsyncSession, user: User, community: Community
                            ) -> list[tuple[list[str], tuple[HelpTopic, ...]]]:
    """(tags, topics) of the person's other communities: what they may still have picked there."""
    rows = await session.execute(
        select(Community.tags, Community.help_topics).join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == user.id, Community.id != community.id))
    return [(list(tags or []), catalogue(topics)) for tags, topics in rows.tuples()]


async def _rewrite_answers(session: AsyncSession, community: Community,
                           change: Callable[[User, list[tuple[list[str], tuple[HelpTopic, ...]]]], None]) -> None:
    for member in await _members(session, community):
        change(member, await _other_catalogues(session, member, community))


# --- interest tags ------------------------------------------------------------------------------------------------


async def add_tag(session: AsyncSession, community: Community, name: str) -> rules.Problem | None:
    problem = rules.item_problem(name, community.tags, adding=True)
    if problem is None:
        community.tags = [*community.tags, name]
        await session.commit()
    return problem


async def rename_tag(session: AsyncSession, community: Community, old: str, new: str) -> rules.Problem | None:
    """`old` becomes `new` in the list and in members' interests (kept as `old` too where another community of
    theirs still offers it)."""
    problem = rules.item_problem(new, [tag for tag in community.tags if tag != old], adding=False)
    if problem is not None or old not in community.tags:
        return problem
    community.tags = rules.renamed_tags(community.tags, old, new)

    def change(member: User, others: list[tuple[list[str], tuple[HelpTopic, ...]]]) -> None:
        interests = list(member.interests or [])
        if old in interests:
            kept = any(old in tags for tags, _ in others)
            member.interests = list(dict.fromkeys([*(t for t in interests if t != old or kept), new]))

    await _rewrite_answers(session, community, change)
    await session.commit()
    return None


async def remove_tag(session: AsyncSession, community: Community, tag: str) -> bool:
    if tag not in community.tags:
        return False
    community.tags = [other for other in community.tags if other != tag]

    def change(member: User, others: list[tuple[list[str], tuple[HelpTopic, ...]]]) -> None:
        interests = list(member.interests or [])
        if tag in interests and not any(tag in tags for tags, _ in others):
            member.interests = [other for other in interests if other != tag]

    await _rewrite_answers(session, community, change)
    await session.commit()
    return True


async def move_tag(session: AsyncSession, community: Community, position: int, step: int) -> None:
    community.tags = rules.moved(community.tags, position, step)
    await session.commit()


# --- help topics --------------------------------------------------------------------------------------------------


def _store(community: Community, topics: Sequence[HelpTopic]) -> None:
    community.help_topics = [asdict(topic) for topic in topics]


async def add_topic(session: AsyncSession, community: Community, name: str, language: str) -> rules.Problem | None:
    topics = topics_of(community)
    problem = rules.item_problem(name, [topic.label(language) for topic in topics], adding=True)
    if problem is None:
        _store(community, [*topics, rules.new_topic(name, [topic.id for topic in topics])])
        await session.commit()
    return problem


async def rename_topic(session: AsyncSession, community: Community, topic_id: str, name: str,
                       language: str) -> rules.Problem | None:
    """A new label; the id stays, so members' answers keep meaning the same topic."""
    topics = topics_of(community)
    others = [topic.label(language) for topic in topics if topic.id != topic_id]
    problem = rules.item_problem(name, others, adding=False)
    if problem is None:
        _store(community, [rules.relabelled(topic, name, language) if topic.id == topic_id else topic
                           for topic in topics])
        await session.commit()
    return problem


async def remove_topic(session: AsyncSession, community: Community, topic_id: str) -> bool:
    topics = topics_of(community)
    if topic_id not in {topic.id for topic in topics} or len(topics) == 1:
        return False  # the last topic stays: an empty catalogue would read as "the default topics"
    _store(community, [topic for topic in topics if topic.id != topic_id])

    def change(member: User, others: list[tuple[list[str], tuple[HelpTopic, ...]]]) -> None:
        if any(topic.id == topic_id for _, catalogue_ in others for topic in catalogue_):
            return
        if member.offer_topics and topic_id in member.offer_topics:
            member.offer_topics = [chosen for chosen in member.offer_topics if chosen != topic_id]
        if member.need_topics and topic_id in member.need_topics:
            member.need_topics = [chosen for chosen in member.need_topics if chosen != topic_id]

    await _rewrite_answers(session, community, change)
    await session.commit()
    return True


async def move_topic(session: AsyncSession, community: Community, position: int, step: int) -> None:
    _store(community, rules.moved(topics_of(community), position, step))
    await session.commit()


# --- archiving and deleting ---------------------------------------------------------------------------------------


async def members_told(session: AsyncSession, community: Community) -> list[User]:
    """Who hears about archiving or deleting: active and paused members."""
    return list(await session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, Membership.status.in_(NOTIFIED),
               User.telegram_id.is_not(None)).order_by(User.id)))


async def set_archived(session: AsyncSession, community: Community, archived: bool, now: datetime) -> int | None:
    """Archive (no rounds until brought back) or bring back; members are told. None: it already was so."""
    if (community.archived_at is not None) == archived:
        return None
    community.archived_at = now if archived else None
    members = await members_told(session, community)
    key = "settings.member_archived" if archived else "settings.member_unarchived"
    await queue(session, *(notifications.community_notice(member, key, community.name, community.id)
                           for member in members))
    await session.commit()
    return len(members)


async def delete_community(session: AsyncSession, community: Community) -> int:
    """Erase the community and everything it holds about people; members still in it are told. Returns how
    many were told."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA secure_delete = ON"))
    name, community_id = community.name, community.id
    members = await members_told(session, community)
    match_ids = select(Match.id).join(Round, Round.id == Match.round_id).where(Round.community_id == community_id)
    about = or_(OutboxMessage.community_id == community_id, OutboxMessage.match_id.in_(match_ids))
    await session.execute(delete(OutboxMessage).where(about, OutboxMessage.status != OutboxStatus.SENT))
    await session.execute(update(OutboxMessage).where(about).values(text="", reply_markup=None, error=None))
    await session.execute(delete(Community).where(Community.id == community_id))  # the rest goes by cascade
    session.expunge(community)
    await queue(session, *(notifications.community_notice(member, "settings.member_deleted", name, None)
                           for member in members))
    await session.commit()
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        await session.commit()
    return len(members)
