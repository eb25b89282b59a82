"""Who should see the admin command menu in their private chat, and which menu each person was last given.

The menus themselves (names, descriptions, scopes) and the calls to Telegram live in bot.command_menus; here
only the bookkeeping: `users.command_menu` records the menu set in a person's chat, so that start-up and the
background sync re-send only what changed.

A recorded marker is "<kind>:<version>": kind "admin" for a recorded admin (a community_admins row), "group"
for someone who runs a community only as a Telegram admin of its linked group (found when they use the bot;
the sync leaves these to the next check of the person, as their rights live in Telegram); version names the
menu's wording, so new commands or descriptions reach every admin once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CommunityAdmin, User
from bot.domain.rights import GroupAdminCheck
from bot.services import communities

RECORDED = "admin"
GROUP = "group"


def marker(kind: str, version: str) -> str:
    return f"{kind}:{version}"


@dataclass(frozen=True)
class MenuChange:
    user_id: int
    telegram_id: int
    menu: str | None  # the marker to record once the menu is set; None: back to the default menu


async def wanted(session: AsyncSession, is_group_admin: GroupAdminCheck, user: User, version: str) -> str | None:
    """The marker this person's chat should carry now (asks Telegram about linked groups they are in)."""
    if user.telegram_id is None or user.deleted_at is not None:
        return None
    if await is_recorded_admin(session, user):
        return marker(RECORDED, version)
    if await communities.administered_by(session, is_group_admin, user):
        return marker(GROUP, version)
    return None


async def is_recorded_admin(session: AsyncSession, user: User) -> bool:
    return bool(await session.scalar(select(exists().where(CommunityAdmin.user_id == user.id))))


async def record(session: AsyncSession, user_id: int, menu: str | None) -> None:
    """The menu `menu` is now set in this person's chat."""
    user = await session.get(User, user_id)
    if user is not None and user.command_menu != menu:
        user.command_menu = menu
        await session.commit()


async def pending(session: AsyncSession, version: str, limit: int) -> list[MenuChange]:
    """Up to `limit` people whose chat menu differs from what the recorded admin rows ask for: recorded admins
    without the current admin menu, and people with a recorded-admin menu who no longer run anything. Menus
    of group admins ("group:…") are checked when those people next use the bot, not here."""
    admin = exists().where(CommunityAdmin.user_id == User.id)
    current = marker(RECORDED, version)
    rows = await session.execute(
        select(User.id, User.telegram_id, admin.label("admin"))
        .where(User.telegram_id.is_not(None), User.deleted_at.is_(None),
               or_(admin & (User.command_menu.is_(None) | (User.command_menu != current)),
                   ~admin & User.command_menu.like(f"{RECORDED}:%")))
        .order_by(User.id).limit(limit)
    )
    return [MenuChange(user_id, telegram_id, current if is_admin else None)
            for user_id, telegram_id, is_admin in rows if telegram_id is not None]
