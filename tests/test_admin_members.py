"""/members: pages, search by name, and pause / resume / remove / ban / unban through the real Dispatcher; every
press checks the presser's rights on the member's community, and a ban holds against every invite link."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Community, CommunityAdmin, ErasedBan, Membership, MembershipStatus, OutboxMessage, User
from bot.presentation.callbacks import SEARCH_BYTES, ErasedBansCb, MemberCb, MembersCb, search_key
from bot.services.members import PAGE_SIZE
from tests.conftest import PersonFactory
from tests.support.driver import plain
from tests.support.factories import ADMIN_TELEGRAM_ID, FIRST_MEMBER, community_run_by, community_with_members

FORGED = 2**63


async def _user_id(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int) -> int:
    async with sessionmaker() as session:
        found = await session.scalar(select(User.id).where(User.telegram_id == telegram_id))
        assert found is not None
        return found


async def _membership(sessionmaker: async_sessionmaker[AsyncSession], community_id: int,
                      telegram_id: int) -> Membership:
    async with sessionmaker() as session:
        found = await session.scalar(select(Membership).join(User).where(
            Membership.community_id == community_id, User.telegram_id == telegram_id))
        assert found is not None
        return found


async def _notices(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int) -> list[str]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.kind == "member_notice", OutboxMessage.chat_id == telegram_id).order_by(OutboxMessage.id)))


async def _invite_code(sessionmaker: async_sessionmaker[AsyncSession], community_id: int) -> str:
    async with sessionmaker() as session:
        community = await session.get(Community, community_id)
        assert community is not None
        return community.invite_code


async def test_members_are_paged_with_their_status_and_last_match(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await community_with_members(sessionmaker, PAGE_SIZE + 2)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    first = (await admin.say("/members"))[-1]
    assert first.plain_text.startswith(admin.tr("members.header", community="Founders", total=PAGE_SIZE + 2,
                                                page=1, pages=2))
    assert admin.like("members.line", name="Member0", handle=f"@user{FIRST_MEMBER}", status="active", profile="",
                      last=admin.label("members.never")).search(first.plain_text)
    assert f"Member{PAGE_SIZE - 1}" in first.button_texts and f"Member{PAGE_SIZE}" not in first.button_texts
    assert admin.label("members.next") in first.button_texts
    assert admin.label("members.never") in first.plain_text
    second = (await admin.press_key("members.next"))[-1]
    assert second.plain_text.startswith(admin.tr("members.header", community="Founders", total=PAGE_SIZE + 2,
                                                 page=2, pages=2))
    assert [name for name in second.button_texts if name.startswith("Member")] == [
        f"Member{PAGE_SIZE}", f"Member{PAGE_SIZE + 1}"]
    assert admin.label("members.prev") in second.button_texts


async def test_search_by_name_typed_after_the_button_or_with_the_command(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 12)
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id == seeded.member_telegram_ids[5])
                              .values(display_name="Анна Петрова"))
        await session.commit()
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/members")
    asked = await admin.press_key("members.search")
    assert asked[-1].plain_text == admin.tr("members.search_ask", community="Founders")
    found = (await admin.say("аННа"))[-1]  # Unicode case folding on both databases
    assert found.plain_text.startswith(admin.tr("members.header_search", community="Founders", total=1,
                                                query="аННа", page=1, pages=1))
    assert "Анна Петрова" in found.button_texts and admin.label("members.show_all") in found.button_texts
    assert "Member10" in (await admin.say("/members member1"))[-1].plain_text  # Member1, Member10, Member11
    assert (await admin.say("/members nobody-like-this"))[-1].plain_text == admin.tr(
        "members.none_found", community="Founders", query="nobody-like-this")
    everyone = await admin.press_key("members.show_all")
    assert everyone[-1].plain_text.startswith(admin.tr("members.header", community="Founders", total=12, page=1,
                                                       pages=2))


async def test_a_search_can_be_cancelled_and_other_text_is_not_taken_for_one(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await community_with_members(sessionmaker, 3)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/members")
    await admin.press_key("members.search")
    assert (await admin.say("/cancel"))[-1].plain_text == admin.tr("members.search_cancelled")
    assert (await admin.say("Member1"))[-1].plain_text == admin.tr("fallback.hint")


async def test_pause_and_resume_tell_the_member(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    member = seeded.member_telegram_ids[1]
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/members")
    card = (await admin.press("Member1"))[-1]
    assert admin.like("members.card", name="Member1", community="Founders", status="active").search(card.plain_text)
    assert admin.label("members.pause") in card.button_texts
    paused = (await admin.press_key("members.pause"))[-1]
    assert paused.plain_text.startswith(admin.tr("members.done_pause"))
    assert admin.label("members.resume") in paused.button_texts
    assert (await _membership(sessionmaker, seeded.id, member)).status is MembershipStatus.PAUSED
    await admin.press_key("members.resume")
    assert (await _membership(sessionmaker, seeded.id, member)).status is MembershipStatus.ACTIVE
    assert await _notices(sessionmaker, member) == [
        admin.catalogue.html("members.notice_paused", community="Founders"),
        admin.catalogue.html("members.notice_resumed", community="Founders"),
    ]


async def test_a_banned_person_cannot_rejoin_until_unbanned(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    code = await _invite_code(sessionmaker, seeded.id)
    telegram_id = seeded.member_telegram_ids[2]
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/members")
    await admin.press("Member2")
    asked = (await admin.press_key("members.ban"))[-1]
    assert asked.plain_text == admin.tr("members.confirm_ban", name="Member2", community="Founders")
    done = (await admin.press_key("members.yes_ban"))[-1]
    assert done.plain_text.startswith(admin.tr("members.done_ban"))
    assert done.button_texts == [admin.label("members.unban"), admin.label("members.back")]
    assert await _notices(sessionmaker, telegram_id) == [
        admin.catalogue.html("members.notice_ended", community="Founders")]

    banned = person(telegram_id, "Member2")
    assert plain(await banned.say(f"/start {code}")) == banned.tr("start.join_refused")
    membership = await _membership(sessionmaker, seeded.id, telegram_id)
    assert membership.status is MembershipStatus.LEFT and membership.banned_at is not None
    listed = (await admin.say("/members"))[-1]
    assert "⛔ Member2" in listed.button_texts  # banned people stay listed, so they can be unbanned

    await admin.press("⛔ Member2")
    await admin.press_key("members.unban")
    assert banned.tr("start.welcome", community="Founders") in plain(await banned.say(f"/start {code}"))
    assert (await _membership(sessionmaker, seeded.id, telegram_id)).status is MembershipStatus.ACTIVE
    assert len(await _notices(sessionmaker, telegram_id)) == 1  # unbanning tells nobody anything


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_ban_outlives_the_banned_persons_delete_until_an_admin_lifts_it(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    code = await _invite_code(sessionmaker, seeded.id)
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id == ADMIN_TELEGRAM_ID).values(language=language))
        other = Community(name="Elsewhere", invite_code="elsewhere0001", tags=[], description="", timezone="UTC")
        session.add(other)
        await session.commit()
    telegram_id = seeded.member_telegram_ids[2]
    admin = person(ADMIN_TELEGRAM_ID, "Olga", language_code=language)
    await admin.say("/members")
    await admin.press("Member2")
    await admin.press_key("members.ban")
    await admin.press_key("members.yes_ban")

    banned = person(telegram_id, "Member2")
    await banned.say("/delete")
    await banned.press_key("delete.yes")
    async with sessionmaker() as session:
        kept = list(await session.scalars(select(ErasedBan)))
    assert [row.community_id for row in kept] == [seeded.id]
    assert str(telegram_id) not in kept[0].person_key  # a keyed hash, not the id

    assert plain(await banned.say(f"/start {code}")) == banned.tr("start.join_refused")  # erasing is no way back
    assert banned.tr("start.welcome", community="Elsewhere") in plain(await banned.say("/start elsewhere0001"))
    async with sessionmaker() as session:
        joined = await session.scalars(select(Membership.community_id).join(User).where(
            User.telegram_id == telegram_id))
        assert list(joined) == [other.id]

    listed = (await admin.say("/members"))[-1]
    assert admin.tr("members.erased_bans", count=1) in listed.plain_text
    member = person(seeded.member_telegram_ids[0], "Member0")
    assert await member.press_data(ErasedBansCb(community_id=seeded.id, confirmed=True).pack()) == []
    assert member.answers()[-1] == member.label("admin.not_admin")
    asked = (await admin.press_key("members.lift_erased_bans", count=1))[-1]
    assert asked.plain_text == admin.tr("members.confirm_lift", count=1, community="Founders")
    done = (await admin.press_key("members.yes_lift", count=1))[-1]
    assert done.plain_text.startswith(admin.tr("members.done_lift", count=1))
    assert admin.tr("members.erased_bans", count=1) not in done.plain_text
    assert await admin.press_data(ErasedBansCb(community_id=seeded.id, confirmed=True).pack()) == []  # twice: stale
    assert admin.answers()[-1] == admin.label("button.stale")
    await banned.say("/cancel")  # the questionnaire Elsewhere started
    assert banned.tr("start.welcome", community="Founders") in plain(await banned.say(f"/start {code}"))


async def test_a_removed_member_is_told_and_may_rejoin(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    telegram_id = seeded.member_telegram_ids[0]
    async with sessionmaker() as session:  # an admin who reads Russian
        await session.execute(update(User).where(User.telegram_id == ADMIN_TELEGRAM_ID).values(language="ru"))
        await session.commit()
    admin = person(ADMIN_TELEGRAM_ID, "Olga", language_code="ru")
    await admin.say("/members")
    await admin.press("Member0")
    await admin.press_key("members.remove")
    confirm_again = (await admin.press_key("members.cancel"))[-1]  # "no" goes back to the card
    assert admin.label("members.remove") in confirm_again.button_texts
    await admin.press_key("members.remove")
    done = (await admin.press_key("members.yes_remove"))[-1]
    assert done.plain_text.startswith(admin.tr("members.done_remove"))
    assert (await _membership(sessionmaker, seeded.id, telegram_id)).status is MembershipStatus.LEFT
    assert await _notices(sessionmaker, telegram_id) == [  # in the member's own language
        person(telegram_id, "x").catalogue.html("members.notice_ended", community="Founders")]
    listed = (await admin.say("/members"))[-1]
    assert listed.plain_text.startswith(admin.tr("members.header", community="Founders", total=2, page=1, pages=1))
    code = await _invite_code(sessionmaker, seeded.id)
    rejoined = person(telegram_id, "Member0")
    assert rejoined.tr("start.welcome", community="Founders") in plain(await rejoined.say(f"/start {code}"))


async def test_an_admin_of_the_community_cannot_be_removed_here(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    coadmin = await _user_id(sessionmaker, seeded.member_telegram_ids[0])
    async with sessionmaker() as session:
        session.add(CommunityAdmin(community_id=seeded.id, user_id=coadmin))
        await session.commit()
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.press_data(MemberCb(community_id=seeded.id, user_id=coadmin, action="ban", confirmed=True).pack())
    assert admin.answers()[-1] == admin.label("members.admin_target")
    assert (await _membership(sessionmaker, seeded.id, seeded.member_telegram_ids[0])).banned_at is None


async def test_members_and_other_admins_are_refused(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    alpha = await community_with_members(sessionmaker, 3, name="Alpha")
    target = await _user_id(sessionmaker, alpha.member_telegram_ids[1])
    await community_run_by(sessionmaker, 77, "Boris", "Beta")  # Boris runs Beta only
    presses = [
        MembersCb(community_id=alpha.id).pack(),
        MemberCb(community_id=alpha.id, user_id=target).pack(),
        MemberCb(community_id=alpha.id, user_id=target, action="ban", confirmed=True).pack(),
        f"ms:{alpha.id}",
    ]
    member, boris = person(alpha.member_telegram_ids[0], "Member0"), person(77, "Boris")
    for presser in (member, boris):
        for data in presses:
            await presser.press_data(data)
            assert presser.answers()[-1] == presser.label("admin.not_admin")
    assert plain(await member.say("/members")) == member.tr("admin.none")
    boris_view = (await boris.say("/members"))[-1].plain_text
    assert boris_view == boris.tr("members.empty", community="Beta")
    assert (await _membership(sessionmaker, alpha.id, alpha.member_telegram_ids[1])).banned_at is None


@pytest.mark.parametrize("data", [
    f"mm:1:{FORGED}::0:0:", "mm:1:1:delete:1:0:", "mm:1:1::0:-1:", "mm:1:1::0:100000:", f"mb:1:{FORGED}:",
    "mb:1:-5:", "mm:1:²::0:0:",
])
async def test_forged_member_buttons_are_stale_not_errors(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], data: str,
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    assert seeded.id == 1
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.press_data(data)
    assert admin.answers()[-1] == admin.label("button.stale")
    assert admin.tr("error.generic") not in [message.plain_text for message in admin.tg.messages(admin.id)]


async def test_a_forged_community_is_not_an_error(person: PersonFactory) -> None:
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    for data in (f"mm:{FORGED}:1::0:0:", f"mb:{FORGED}:0:", f"ms:{FORGED}"):
        await admin.press_data(data)
        assert admin.answers()[-1] == admin.label("button.stale")  # out of range: the button does not unpack


def test_button_data_stays_within_telegram_limits() -> None:
    query = search_key("Ёжиков-Щербаковский Александр Александрович")
    assert len(query.encode()) <= SEARCH_BYTES
    biggest = MemberCb(community_id=2**31 - 1, user_id=2**31 - 1, action="resume", confirmed=True, page=9999,
                       query=query)
    assert len(biggest.pack().encode()) <= 64
    assert search_key("a:b::c  d") == "a b c d"
