"""/admins: one-time admin links (single use, expiring), removing a co-admin but never the creator, and rights
checked on every press."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import AdminInvite, CommunityAdmin, User
from bot.presentation.callbacks import AdminsCb
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members


async def _admin_ids(sessionmaker: async_sessionmaker[AsyncSession], community_id: int) -> set[int]:
    async with sessionmaker() as session:
        return set(await session.scalars(
            select(User.telegram_id).join(CommunityAdmin, CommunityAdmin.user_id == User.id)
            .where(CommunityAdmin.community_id == community_id)))


async def _new_link(olga: Person) -> str:
    await olga.say("/admins")
    shown = (await olga.press_key("admins.invite"))[-1].plain_text
    link = shown.rsplit("\n", 1)[-1]
    assert link.startswith("https://t.me/") and "?start=adm_" in link
    return link.split("?start=")[1]


async def test_a_one_time_link_makes_one_co_admin(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    olga = person(ADMIN_TELEGRAM_ID, "Olga")
    listed = (await olga.say("/admins"))[-1]
    assert olga.tr("admins.header", community="Founders") in listed.plain_text
    assert olga.tr("admins.creator") in listed.plain_text
    assert listed.button_texts == [olga.label("admins.invite")]  # the creator has no remove button
    code = await _new_link(olga)

    boris = person(seeded.member_telegram_ids[0], "Member0")
    assert plain(await boris.say(f"/start {code}")) == boris.tr("admins.accepted", community="Founders")
    assert (await boris.say("/members"))[-1].plain_text.startswith(
        boris.tr("members.header", community="Founders", total=3, page=1, pages=1))
    carol = person(seeded.member_telegram_ids[1], "Member1")
    assert plain(await carol.say(f"/start {code}")) == carol.tr("admins.used")
    assert await _admin_ids(sessionmaker, seeded.id) == {ADMIN_TELEGRAM_ID, seeded.member_telegram_ids[0]}

    again = await _new_link(olga)
    async with sessionmaker() as session:
        await session.execute(update(AdminInvite).where(AdminInvite.code == again)
                              .values(expires_at=utcnow() - timedelta(minutes=1)))
        await session.commit()
    assert plain(await carol.say(f"/start {again}")) == carol.tr("admins.expired")
    assert plain(await carol.say("/start adm_no-such-link")) == carol.tr("start.bad_code")


async def test_a_co_admin_can_be_removed_but_not_the_creator(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    async with sessionmaker() as session:  # the creator reads Russian
        await session.execute(update(User).where(User.telegram_id == ADMIN_TELEGRAM_ID).values(language="ru"))
        await session.commit()
    olga = person(ADMIN_TELEGRAM_ID, "Olga", language_code="ru")
    code = await _new_link(olga)
    boris = person(seeded.member_telegram_ids[0], "Member0")
    await boris.say(f"/start {code}")
    await olga.say("/admins")
    await olga.press_key("admins.remove", name="Member0")
    done = (await olga.press_key("admins.yes_remove"))[-1]
    assert done.plain_text.startswith(olga.tr("admins.removed", name="Member0"))
    assert await _admin_ids(sessionmaker, seeded.id) == {ADMIN_TELEGRAM_ID}

    code = await _new_link(olga)
    await boris.say(f"/start {code}")
    async with sessionmaker() as session:
        creator = await session.scalar(select(User.id).where(User.telegram_id == ADMIN_TELEGRAM_ID))
    await boris.press_data(AdminsCb(community_id=seeded.id, action="remove", user_id=creator or 0,
                                    confirmed=True).pack())
    assert boris.answers()[-1] == boris.label("admins.creator_stays")
    assert await _admin_ids(sessionmaker, seeded.id) == {ADMIN_TELEGRAM_ID, seeded.member_telegram_ids[0]}


async def test_members_and_other_admins_cannot_make_links_or_remove(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    alpha = await community_with_members(sessionmaker, 2, name="Alpha")
    beta = await community_with_members(sessionmaker, 2, name="Beta", first=3000)
    async with sessionmaker() as session:  # Member0 of Beta runs Beta only
        boss = await session.scalar(select(User.id).where(User.telegram_id == beta.member_telegram_ids[0]))
        session.add(CommunityAdmin(community_id=beta.id, user_id=boss or 0))
        await session.commit()
    member = person(alpha.member_telegram_ids[0], "Member0")
    other_admin = person(beta.member_telegram_ids[0], "Member0")
    assert (await member.say("/admins"))[-1].plain_text == member.tr("admin.none")
    for presser in (member, other_admin):
        for data in (AdminsCb(community_id=alpha.id, action="invite").pack(), AdminsCb(community_id=alpha.id).pack(),
                     AdminsCb(community_id=alpha.id, action="remove", user_id=1, confirmed=True).pack()):
            assert await presser.press_data(data) == []
            assert presser.answers()[-1] == presser.label("admin.not_admin")
    async with sessionmaker() as session:
        assert list(await session.scalars(select(AdminInvite.id))) == []
    assert await _admin_ids(sessionmaker, alpha.id) == {ADMIN_TELEGRAM_ID}


async def test_two_people_opening_one_link_at_once_make_one_admin(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    code = await _new_link(person(ADMIN_TELEGRAM_ID, "Olga"))
    first, second = (person(telegram_id, "x") for telegram_id in seeded.member_telegram_ids)
    answers = await asyncio.gather(first.say(f"/start {code}"), second.say(f"/start {code}"))
    assert sorted(plain(replies) for replies in answers) == sorted(
        [first.tr("admins.accepted", community="Founders"), first.tr("admins.used")])
    assert len(await _admin_ids(sessionmaker, seeded.id)) == 2
