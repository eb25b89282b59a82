"""Which community an admin command or button acts on; rights are checked on every call and press."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Community, User
from bot.domain.rights import GroupAdminCheck
from bot.presentation import keyboards
from bot.presentation.texts import Texts
from bot.services import communities

CommunityPicker = Callable[[int], CallbackData]


async def community_for_button(query: CallbackQuery, session: AsyncSession, group_rights: GroupAdminCheck,
                               user: User, texts: Texts, community_id: int) -> Community | None:
    """The community a pressed button names, if the presser administers it now; otherwise they are told."""
    community = await communities.administered(session, group_rights, user, community_id)
    if community is None:
        await query.answer(texts("admin.not_admin"), show_alert=True)
    return community


async def with_community(message: Message, session: AsyncSession, group_rights: GroupAdminCheck, user: User,
                         texts: Texts, make: CommunityPicker, act: Callable[[Community], Awaitable[None]]) -> None:
    """Run `act` on the admin's only community, or ask which one (buttons made by `make`)."""
    administered = await communities.administered_by(session, group_rights, user)
    if not administered:
        await message.answer(texts("admin.none"))
    elif len(administered) == 1:
        await act(administered[0])
    else:
        await message.answer(texts("admin.pick_community"),
                             reply_markup=keyboards.pick_community(texts, administered, make))
