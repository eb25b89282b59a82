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

from sqlalchemy import delete, func, or_, select, text, update
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


Others = list[tuple[list[str], tuple[HelpTopic, ...]]]
Answers = tuple[list[str], list[str] | None, list[str] | None]  # interests, offered and needed topics
CHUNK = 2000  # ids per IN list (SQLite allows 32,766 bound values; PostgreSQL far more)


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


async def _affected(session: AsyncSession, community: Community,
                    picked: Callable[[Answers], bool]) -> dict[int, Answers]:
    """Members' answers (one query, columns only), kept only for members whose answers name the item."""
    rows = await session.execute(
        select(User.id, User.interests, User.offer_topics, User.need_topics)
        .join(Membership, Membership.user_id == User.id).where(Membership.community_id == community.id))
    answers: dict[int, Answers] = {user_id: (list(interests or []), offer, need)
                                   for user_id, interests, offer, need in rows.tuples()}
    return {user_id: found for user_id, found in answers.items() if picked(found)}


async def _other_catalogues(session: AsyncSession, user_ids: Sequence[int], community: Community
                            ) -> dict[int, Others]:
    """(tags, topics) of each person's other communities: what they may still have picked there."""
    others: dict[int, Others] = {user_id: [] for user_id in user_ids}
    for chunk in _chunks(user_ids):
        rows = await session.execute(
            select(Membership.user_id, Community.tags, Community.help_topics)
            .join(Community, Community.id == Membership.community_id)
            .where(Membership.user_id.in_(chunk), Community.id != community.id))
        for user_id, tags, topics in rows.tuples():
            others[user_id].append((list(tags or []), catalogue(topics)))
    return others


async def _rewrite_answers(session: AsyncSession, community: Community, picked: Callable[[Answers], bool],
                           change: Callable[[Answers, Others], dict[str, list[str] | None]]) -> None:
    """Members whose answers name the item get `change`d answers, written in bulk (a few queries for any
    number of members: one per member took 10-16 s for 10,000)."""
    affected = await _affected(session, community, picked)
    others = await _other_catalogues(session, list(affected), community)
    rows = [{"id": user_id, **change(answers, others[user_id])} for user_id, answers in affected.items()]
    rows = [row for row in rows if len(row) > 1]
    if rows:
        await session.execute(update(User).execution_options(synchronize_session=False), rows)
        for user in [obj for obj in session.identity_map.values() if isinstance(obj, User)]:
            if user.id in affected:
                session.expire(user, ["interests", "offer_topics", "need_topics"])


# --- interest tags ------------------------------------------------------------------------------------------------


async def add_tag(session: AsyncSession, community: Community, name: str, shown: Sequence[str] = ()
                  ) -> rules.Problem | None:
    """`shown`: how the existing tags read in every language (a default tag `marketing` reads "маркетинг")."""
    problem = rules.item_problem(name, community.tags, adding=True, also=shown)
    if problem is None:
        community.tags = [*community.tags, name]
        await session.commit()
    return problem


async def rename_tag(session: AsyncSession, community: Community, old: str, new: str, shown: Sequence[str] = ()
                     ) -> rules.Problem | None:
    """`old` becomes `new` in the list and in members' interests (kept as `old` too where another community of
    theirs still offers it). `shown`: how the other tags read in every language."""
    problem = rules.item_problem(new, [tag for tag in community.tags if tag != old], adding=False, also=shown)
    if problem is not None or old not in community.tags:
        return problem
    community.tags = rules.renamed_tags(community.tags, old, new)

    def change(answers: Answers, others: Others) -> dict[str, list[str] | None]:
        kept = any(old in tags for tags, _ in others)
        return {"interests": list(dict.fromkeys([*(t for t in answers[0] if t != old or kept), new]))}

    await _rewrite_answers(session, community, lambda answers: old in answers[0], change)
    await session.commit()
    return None


async def remove_tag(session: AsyncSession, community: Community, tag: str) -> bool:
    if tag not in community.tags:
        return False
    community.tags = [other for other in community.tags if other != tag]

    def change(answers: Answers, others: Others) -> dict[str, list[str] | None]:
        if any(tag in tags for tags, _ in others):
            return {}
        return {"interests": [other for other in answers[0] if other != tag]}

    await _rewrite_answers(session, community, lambda answers: tag in answers[0], change)
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
    problem = rules.item_problem(name, [topic.label(language) for topic in topics], adding=True,
                                 also=[label for topic in topics for label in (topic.en, topic.ru)])
    if problem is None:
        _store(community, [*topics, rules.new_topic(name, [topic.id for topic in topics])])
        await session.commit()
    return problem


async def rename_topic(session: AsyncSession, community: Community, topic_id: str, name: str,
                       language: str) -> rules.Problem | None:
    """A new label; the id stays, so members' answers keep meaning the same topic."""
    topics = topics_of(community)
    others = [topic for topic in topics if topic.id != topic_id]
    problem = rules.item_problem(name, [topic.label(language) for topic in others], adding=False,
                                 also=[label for topic in others for label in (topic.en, topic.ru)])
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

    def change(answers: Answers, others: Others) -> dict[str, list[str] | None]:
        if any(topic.id == topic_id for _, catalogue_ in others for topic in catalogue_):
            return {}
        _, offer, need = answers  # None (never answered) stays None
        return {"offer_topics": None if offer is None else [chosen for chosen in offer if chosen != topic_id],
                "need_topics": None if need is None else [chosen for chosen in need if chosen != topic_id]}

    await _rewrite_answers(session, community,
                           lambda answers: topic_id in (answers[1] or []) or topic_id in (answers[2] or []), change)
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


async def current_members(session: AsyncSession, community: Community) -> int:
    """Memberships deleting would erase now (people who left are not counted)."""
    count = await session.scalar(select(func.count()).select_from(Membership).where(
        Membership.community_id == community.id, Membership.status.in_(NOTIFIED)))
    return int(count or 0)


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
