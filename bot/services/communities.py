"""Communities: creation, invite codes, group links and admin rights."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Community, CommunityAdmin, Membership, User
from bot.domain.rights import GroupAdminCheck
from bot.domain.topics import default_catalogue

DEFAULT_TAGS = (
    "entrepreneurship", "management", "hr", "marketing", "product",
    "it", "finance", "design", "sales", "science",
)
NAME_LIMIT = 64
INVITE_CODE_BYTES = 9  # 12 URL-safe characters, 72 random bits
PAYLOAD_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_invite_code() -> str:
    return secrets.token_urlsafe(INVITE_CODE_BYTES)


# Quote pairs people wrap a name in: "Berlin Founders", «Клуб», “Club”, „Klub“, 'Club', ‘Club’.
QUOTE_PAIRS = {'"': '"', "'": "'", "«": "»", "“": "”", "„": "“", "‘": "’", "‚": "‘", "»": "«", "”": "”"}


def typed_name(raw: str) -> str:
    """One line, spaces collapsed, without the quotes around it (a name typed as `"Berlin Founders"` is
    Berlin Founders); as long as it was typed."""
    name = " ".join(raw.split())
    while len(name) >= 2 and QUOTE_PAIRS.get(name[0]) == name[-1]:
        name = name[1:-1].strip()
    return name


def clean_name(raw: str) -> str:
    """`typed_name`, at most NAME_LIMIT characters (a group's title may be longer; a typed name that is gets
    an answer instead: see `too_long`)."""
    return typed_name(raw)[:NAME_LIMIT].strip()


def too_long(raw: str) -> int | None:
    """The length of a typed name that `clean_name` would cut; None when it fits."""
    length = len(typed_name(raw))
    return length if length > NAME_LIMIT else None


def same_name(first: str, second: str) -> bool:
    return first.casefold() == second.casefold()


async def create_community(
    session: AsyncSession, owner: User | None, name: str, timezone: str, chat_id: int | None = None
) -> Community:
    """A new community; its `owner` (if any) is its first recorded admin. A group's community may have none:
    the group's Telegram admins run it."""
    community = Community(
        name=clean_name(name) or "Community", description="", invite_code=new_invite_code(),
        tags=list(DEFAULT_TAGS), help_topics=default_catalogue(), owner_id=owner.id if owner else None,
        chat_id=chat_id, timezone=timezone,
    )
    session.add(community)
    await session.flush()
    if owner is not None:
        session.add(CommunityAdmin(community_id=community.id, user_id=owner.id))
    await session.commit()
    return community


async def by_invite_code(session: AsyncSession, code: str) -> Community | None:
    if not PAYLOAD_PATTERN.match(code):
        return None
    community: Community | None = await session.scalar(select(Community).where(Community.invite_code == code))
    return community


def is_row_id(value: int) -> bool:
    """Whether `value` can name a row (ids from buttons may be forged; the database would reject a huge one)."""
    return 0 < value < 2**31


async def by_id(session: AsyncSession, community_id: int) -> Community | None:
    """The community with this id; None for an unknown or forged one."""
    return await session.get(Community, community_id) if is_row_id(community_id) else None


async def by_chat(session: AsyncSession, chat_id: int) -> Community | None:
    community: Community | None = await session.scalar(select(Community).where(Community.chat_id == chat_id))
    return community


async def is_admin(session: AsyncSession, is_group_admin: GroupAdminCheck, community: Community, user: User) -> bool:
    """Checked on every admin call: a recorded admin, or a current admin of the linked group."""
    recorded = await session.get(CommunityAdmin, (community.id, user.id))
    if recorded is not None:
        return True
    if community.chat_id is None or user.telegram_id is None:
        return False
    return await is_group_admin(community.chat_id, user.telegram_id)


async def administered_by(session: AsyncSession, is_group_admin: GroupAdminCheck, user: User) -> list[Community]:
    """Recorded admin rows, plus linked groups the person belongs to (their Telegram rights decide)."""
    recorded = select(CommunityAdmin.community_id).where(CommunityAdmin.user_id == user.id)
    joined_groups = (
        select(Membership.community_id)
        .join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id == user.id, Community.chat_id.is_not(None))
    )
    candidates = await session.scalars(
        select(Community).where(Community.id.in_(recorded.union(joined_groups))).order_by(Community.id)
    )
    return [community for community in candidates if await is_admin(session, is_group_admin, community, user)]


@dataclass(frozen=True)
class GroupLink:
    community: Community
    created: bool


async def attach_group(session: AsyncSession, is_group_admin: GroupAdminCheck, chat_id: int, title: str,
                       adder: User | None, timezone: str) -> GroupLink:
    """The bot was added to a group: reuse its community or create one named after the group. Whoever added
    the bot becomes a recorded admin only if they are an admin of the group (members may add bots too)."""
    existing = await by_chat(session, chat_id)
    if existing is not None:
        return GroupLink(existing, created=False)
    admin = adder if adder is not None and adder.telegram_id is not None \
        and await is_group_admin(chat_id, adder.telegram_id) else None
    community = await create_community(session, admin, title or "Community", timezone, chat_id=chat_id)
    return GroupLink(community, created=True)


async def member_count(session: AsyncSession, community: Community) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.community_id == community.id)
    )
    return int(count or 0)


async def may_link(session: AsyncSession, is_group_admin: GroupAdminCheck, community: Community, chat_id: int,
                   user: User) -> bool:
    """Linking a group to a community takes rights on both: an admin of the community who is also an admin
    of the group (a plain member must not re-point a group to a community of their own)."""
    if user.telegram_id is None or not await is_group_admin(chat_id, user.telegram_id):
        return False
    return await is_admin(session, is_group_admin, community, user)


async def link_group(session: AsyncSession, community: Community, chat_id: int) -> bool:
    """Link `community` to a group. A community the group already had is replaced only while empty; its Join
    message then becomes this community's (the handler edits it), so the group never keeps a button whose
    invite code no longer exists."""
    current = await by_chat(session, chat_id)
    join_message_id = community.join_message_id if community.chat_id == chat_id else None
    if current is not None and current.id != community.id:
        if await member_count(session, current):
            return False
        join_message_id = current.join_message_id
        await session.delete(current)
        await session.flush()
    community.chat_id, community.join_message_id = chat_id, join_message_id
    await session.commit()
    return True


async def remember_join_message(session: AsyncSession, community: Community, message_id: int | None) -> None:
    """The group's Join message is now `message_id` (None: there is none, e.g. the bot left the group)."""
    community.join_message_id = message_id
    await session.commit()


async def forget_group_messages(session: AsyncSession, chat_id: int) -> None:
    """The bot left the group: its Join message there can no longer be edited."""
    community = await by_chat(session, chat_id)
    if community is not None and community.join_message_id is not None:
        await remember_join_message(session, community, None)


async def owned_names(session: AsyncSession, user: User) -> list[tuple[int, str]]:
    """(id, name) of the communities this person is a recorded admin of."""
    rows = await session.execute(
        select(Community.id, Community.name).join(CommunityAdmin, CommunityAdmin.community_id == Community.id)
        .where(CommunityAdmin.user_id == user.id).order_by(Community.id)
    )
    return [(community_id, name) for community_id, name in rows]


async def name_taken(session: AsyncSession, user: User, name: str, *, besides: int | None = None) -> bool:
    """Whether one of the communities this person runs (other than `besides`) already has this name, in any
    letter case: creating or renaming is still allowed, but the person is warned."""
    return any(same_name(other, name) for community_id, other in await owned_names(session, user)
               if community_id != besides)


async def rename(session: AsyncSession, community: Community, name: str) -> None:
    """The caller checked rights and cleaned the name (clean_name, not empty)."""
    community.name = name
    await session.commit()


async def tag_options(session: AsyncSession, user: User, community: Community | None) -> list[str]:
    """Interest choices: the joining community's tags, else those of every community the person is in."""
    if community is not None:
        sources = [community.tags]
    else:
        rows = await session.scalars(
            select(Community.tags).join(Membership).where(Membership.user_id == user.id)
        )
        sources = list(rows) or [list(DEFAULT_TAGS)]
    options: dict[str, None] = {}
    for tags in [*sources, user.interests or []]:
        options.update(dict.fromkeys(tags))
    return list(options)


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup and got a new id (and its messages new ids: the Join message is forgotten
    rather than an unrelated message edited)."""
    community = await by_chat(session, old_chat_id)
    if community is not None:
        community.chat_id, community.join_message_id = new_chat_id, None
        await session.commit()


async def administered(session: AsyncSession, is_group_admin: GroupAdminCheck, user: User,
                       community_id: int) -> Community | None:
    """The community with this id if `user` administers it now (any id, even a forged one, is safe)."""
    community = await by_id(session, community_id)
    if community is None or not await is_admin(session, is_group_admin, community, user):
        return None
    return community
