"""An admin's view of a community's members (/members): pages, search by name, pause, remove, ban, unban.

A removed member has status "left" (they may rejoin through an invite link); a banned one is "left" with
`banned_at` set, and `memberships.join` refuses them until an admin unbans them. Every other part of the bot
treats both as people who left: no rounds, no invitations.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.models import Community, ErasedBan, Match, MatchMember, Membership, MembershipStatus, Round, User
from bot.domain.rights import GroupAdminCheck
from bot.outbox import outbox_values, queue
from bot.services.communities import is_admin, is_row_id

PAGE_SIZE = 8

MemberRow = tuple[Membership, datetime | None]
"""A membership (with its user loaded) and when that person was last matched in the community (None: never)."""

Notice = Callable[[User, str], str]
"""Renders what a member is told after `action` (in their language); supplied by the caller."""


class Action(enum.StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    REMOVE = "remove"
    BAN = "ban"
    UNBAN = "unban"


class Outcome(enum.Enum):
    DONE = "done"
    STALE = "stale"  # not a member, or the action does not apply to their status (any more)
    ADMIN = "admin"  # the person runs the community


def available(membership: Membership) -> list[Action]:
    """The actions that apply to a membership now, in the order buttons show them."""
    if membership.banned_at is not None:
        return [Action.UNBAN]
    if membership.status is MembershipStatus.LEFT:
        return [Action.BAN]
    first = Action.RESUME if membership.status is MembershipStatus.PAUSED else Action.PAUSE
    return [first, Action.REMOVE, Action.BAN]


@dataclass(frozen=True)
class MemberPage:
    rows: list[MemberRow]
    number: int  # from 0; a page past the end shows the last one
    pages: int
    total: int  # members on all pages (matching the search, if any)
    erased_bans: int = 0  # people banned here who erased their data since (their bans stay, without names)


def name_matches(query: str, *names: str | None) -> bool:
    needle = query.casefold().removeprefix("@")
    return any(needle in name.casefold() for name in names if name)


async def page_of(session: AsyncSession, community: Community, page: int, query: str = "") -> MemberPage:
    """Current and banned members in the order they joined, PAGE_SIZE a page. The search compares whole
    Unicode case-folded names in Python (SQLite's LIKE folds ASCII only); only names are loaded for it."""
    listed = await session.execute(
        select(Membership.id, User.display_name, User.first_name, User.username)
        .join(User, User.id == Membership.user_id)
        .where(Membership.community_id == community.id,
               or_(Membership.status != MembershipStatus.LEFT, Membership.banned_at.is_not(None)))
        .order_by(Membership.joined_at, Membership.id)
    )
    ids = [row.id for row in listed if not query or name_matches(query, row.display_name, row.first_name,
                                                                 row.username)]
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    number = min(max(page, 0), pages - 1)
    chosen = ids[number * PAGE_SIZE:(number + 1) * PAGE_SIZE]
    loaded = {membership.id: membership for membership in await session.scalars(
        select(Membership).options(selectinload(Membership.user)).where(Membership.id.in_(chosen)))}
    last = await last_matched(session, community.id, [membership.user_id for membership in loaded.values()])
    rows = [(loaded[i], last.get(loaded[i].user_id)) for i in chosen if i in loaded]
    return MemberPage(rows, number, pages, len(ids), await erased_ban_count(session, community))


async def erased_ban_count(session: AsyncSession, community: Community) -> int:
    count = await session.scalar(select(func.count()).select_from(ErasedBan)
                                 .where(ErasedBan.community_id == community.id))
    return int(count or 0)


async def lift_erased_bans(session: AsyncSession, community: Community) -> int:
    """Lift the bans of everyone banned here who has erased their data since: they may join again."""
    lifted = await session.execute(delete(ErasedBan).where(ErasedBan.community_id == community.id))
    await session.commit()
    return int(getattr(lifted, "rowcount", 0) or 0)


async def last_matched(session: AsyncSession, community_id: int, user_ids: list[int]) -> dict[int, datetime]:
    """When each of these people was last in a round's match of this community."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(MatchMember.user_id, func.max(Round.created_at))
        .join(Match, Match.id == MatchMember.match_id).join(Round, Round.id == Match.round_id)
        .where(Round.community_id == community_id, MatchMember.user_id.in_(user_ids))
        .group_by(MatchMember.user_id)
    )
    return {user_id: when for user_id, when in rows.tuples()}


async def member_of(session: AsyncSession, community: Community, user_id: int) -> MemberRow | None:
    """This person's membership of the community (any status) and their last match; None for an unknown or
    forged id."""
    if not is_row_id(user_id):
        return None
    membership = await session.scalar(
        select(Membership).options(selectinload(Membership.user))
        .where(Membership.community_id == community.id, Membership.user_id == user_id))
    if membership is None:
        return None
    return membership, (await last_matched(session, community.id, [user_id])).get(user_id)


async def act(session: AsyncSession, is_group_admin: GroupAdminCheck, community: Community, membership: Membership,
              action: Action, now: datetime, notice: Notice) -> Outcome:
    """Apply an admin's action to a membership of `community`, and tell the person where that is appropriate
    (in the same transaction, through the outbox). Nobody can act on an admin of the community this way."""
    if action not in available(membership):
        return Outcome.STALE
    person = membership.user
    if await is_admin(session, is_group_admin, community, person):
        return Outcome.ADMIN
    was_member = membership.status is not MembershipStatus.LEFT
    if action is Action.PAUSE:
        membership.status, membership.paused_until = MembershipStatus.PAUSED, None
    elif action is Action.RESUME:
        membership.status, membership.paused_until = MembershipStatus.ACTIVE, None
    elif action is Action.UNBAN:
        membership.banned_at = None
    else:
        membership.status, membership.paused_until = MembershipStatus.LEFT, None
        membership.banned_at = now if action is Action.BAN else None
    if person.telegram_id is not None and action is not Action.UNBAN and was_member:
        await queue(session, outbox_values(chat_id=person.telegram_id, user_id=person.id, kind="member_notice",
                                           text=notice(person, action.value)))
    await session.commit()
    return Outcome.DONE
