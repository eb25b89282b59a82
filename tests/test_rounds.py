"""Weekly rounds through the real Dispatcher and a real database: intros, check-ins, blocks, no-shows."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.db.base import utcnow
from bot.db.models import Block, Community, MatchMember, Membership, MembershipStatus, Outcome, Round, User
from bot.presentation.texts import Html
from bot.services import checkins, rounds
from tests.conftest import PersonFactory
from tests.support import summaries
from tests.support.catalogue import en
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, FIRST_MEMBER, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.intros import is_intro
from tests.support.journeys import deliver

INTRO = en.like("intro")


def intros(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.plain_text for m in tg.messages(chat_id) if is_intro(m.plain_text)]


async def match_now(admin: Person) -> str:
    replies = await admin.say("/matchnow")
    assert admin.tr("matchnow.confirm", community="Founders") in plain(replies)
    return plain(await admin.press_key("matchnow.yes"))


def round_summary(admin: Person, matches: Html, left_out: int, introduced: int) -> str:
    return summaries.done(admin.catalogue, "Founders", matches, left_out=left_out, introduced=introduced)


async def test_eleven_members_one_round_one_intro_each(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 11)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    matches = summaries.pairs(admin.catalogue, 4, trios=1)
    assert round_summary(admin, matches, left_out=0, introduced=11) in await match_now(admin)
    assert await deliver(bot, sessionmaker) == 11
    partners_seen: dict[int, set[str]] = {}
    for chat in seeded.member_telegram_ids:
        received = intros(tg, chat)
        assert len(received) == 1, (chat, received)
        text = received[0]
        partners_seen[chat] = {f"Member{i}" for i in range(11) if f"\nMember{i}\n" in f"\n{text}\n"}
        intro = INTRO.fullmatch(text)
        if len(partners_seen[chat]) == 2:  # the trio: one of them creates the group chat
            assert intro is None and en.like("intro.group_end").search(text)
            continue
        assert intro is not None and intro["icebreaker"]
        assert intro["first"] == en.text("intro.you_first") or en.like("intro.they_first").fullmatch(intro["first"])
    trio = [chat for chat, seen in partners_seen.items() if len(seen) == 2]
    assert len(trio) == 3 and all(len(partners_seen[c]) == 1 for c in partners_seen if c not in trio)
    name = {chat: f"Member{chat - 1000}" for chat in partners_seen}
    for chat, seen in partners_seen.items():  # symmetric: my partner sees me
        for other in (c for c in partners_seen if name[c] in seen):
            assert name[chat] in partners_seen[other]
    assert await deliver(bot, sessionmaker) == 0  # nothing is sent twice


async def test_one_round_per_period_and_missed_periods_run_once(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    seeded = await community_with_members(sessionmaker, 6, created_at=utcnow() - timedelta(days=40))
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        first = await rounds.run_due_round(session, community, utcnow())  # five missed weeks: one round
        again = await rounds.run_due_round(session, community, utcnow())
        manual = await rounds.create_round(session, community, "extra-2026-01-01T10:00", utcnow())
        manual_again = await rounds.create_round(session, community, "extra-2026-01-01T10:00", utcnow())
        assert first is not None and again is None and manual is not None and manual_again is None
        assert await session.scalar(select(func.count()).select_from(Round)) == 2


async def test_new_community_waits_for_its_first_scheduled_moment(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 4, created_at=utcnow())
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        assert await rounds.run_due_round(session, community, utcnow()) is None


async def test_only_admins_run_rounds_even_with_forged_buttons(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 4)
    member = person(seeded.member_telegram_ids[0], "Member0")
    assert member.tr("admin.none") in plain(await member.say("/matchnow"))
    await member.press_data(f"mn:{seeded.id}:1:29000000")
    await member.press_data(f"sc:{seeded.id}:weekday:3")
    assert member.answers()[-2:] == [member.label("admin.not_admin")] * 2
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Round)) == 0
        assert (await session.get(Community, seeded.id)).schedule_weekday == 0  # type: ignore[union-attr]


async def test_checkin_rating_comment_block_and_network(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await match_now(admin)
    await deliver(bot, sessionmaker)
    assert admin.tr("checkin_now.done", count=2) in plain(await admin.say("/checkin"))
    await deliver(bot, sessionmaker)
    a, b = (person(chat, f"Member{i}", username=f"user{chat}") for i, chat in enumerate(seeded.member_telegram_ids))
    assert a.tr("checkin.question", names="Member1") in a.last.plain_text  # type: ignore[union-attr]
    await a.press_key("checkin.met")
    assert a.tr("checkin.thanks_comment") in plain(await a.press("⭐⭐⭐⭐"))
    assert plain(await a.say("Great chat about <b>hiring</b>")) == a.tr("checkin.comment_saved")
    await b.press_key("checkin.block", name="Member0")
    assert b.answers()[-1] == b.label("checkin.blocked", name="Member0")
    await b.press_key("checkin.not_met")
    await b.press_key("checkin.reason.i_could_not")
    async with sessionmaker() as session:
        rows = {m.user.telegram_id: m for m in await session.scalars(
            select(MatchMember).options(selectinload(MatchMember.user)))}
        assert rows[a.id].outcome is Outcome.MET and rows[a.id].rating == 4
        assert rows[a.id].comment == "Great chat about <b>hiring</b>"
        assert rows[b.id].outcome is Outcome.NOT_MET
        assert await session.scalar(select(func.count()).select_from(Block)) == 1
    await deliver(bot, sessionmaker)
    assert not any(a.like("checkin.blocked").search(m.plain_text) for m in tg.messages(a.id))  # confidential
    network = plain(await a.say("/network"))
    assert a.like("network.line", community="Founders", name="Member1",
                  contact=a.catalogue.html("card.contact_username", username="user1001")).search(network)
    await b.press_data("bl:99999:1")  # a forged block for a match b was never in
    assert b.answers()[-1] == b.label("button.stale")


async def test_reminder_and_follow_up(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    await match_now(person(ADMIN_TELEGRAM_ID, "Olga"))
    await deliver(bot, sessionmaker)
    async with sessionmaker() as session:
        assert await checkins.send_due_reminders(session, utcnow() + timedelta(days=3, minutes=1)) == 2
        assert await checkins.send_due_reminders(session, utcnow() + timedelta(days=4)) == 0
    await deliver(bot, sessionmaker)
    a = person(seeded.member_telegram_ids[0], "Member0")
    assert a.like("reminder", names="Member1").search(a.last.plain_text)  # type: ignore[union-attr]
    assert a.like("reminder.check_in").search(a.last.plain_text)  # type: ignore[union-attr]  # when it asks
    async with sessionmaker() as session:
        assert await checkins.send_due_checkins(session, utcnow() + timedelta(days=6, minutes=1)) == 2
    await deliver(bot, sessionmaker)
    await a.press_key("checkin.met")
    await a.press("⭐⭐⭐⭐⭐")
    assert a.tr("checkin.follow_up_set") in plain(await a.press_key("checkin.follow_up"))
    async with sessionmaker() as session:
        assert await checkins.send_due_follow_ups(session, utcnow() + timedelta(days=29)) == 0
        assert await checkins.send_due_follow_ups(session, utcnow() + timedelta(days=31)) == 1
    await deliver(bot, sessionmaker)
    assert a.like("follow_up", names="Member1").search(a.last.plain_text)  # type: ignore[union-attr]


async def test_no_show_twice_pauses_with_a_resume_button(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    a, b = (person(chat, f"Member{i}", username=f"user{chat}") for i, chat in enumerate(seeded.member_telegram_ids))
    for week in range(2):
        async with sessionmaker() as session:
            community = await session.get(Community, seeded.id)
            assert community is not None
            await rounds.create_round(session, community, f"week-{week}", utcnow() + timedelta(minutes=week))
        await admin.say("/checkin")
        await deliver(bot, sessionmaker)
        await a.press_key("checkin.not_met")
        await a.press_key("checkin.reason.no_answer")
        await deliver(bot, sessionmaker)
    assert b.tr("noshow.paused", community="Founders") in b.last.plain_text  # type: ignore[union-attr]
    async with sessionmaker() as session:
        status = await session.scalar(select(Membership.status).join(Membership.user).where(
            Membership.community_id == seeded.id, Membership.user_id != None,  # noqa: E711
            Membership.user.has(telegram_id=b.id)))
        assert status is MembershipStatus.PAUSED
    assert b.tr("resume.done", communities="Founders") in plain(await b.press_key("noshow.resume"))


@pytest.mark.parametrize("blocked_count", [1, 2])
async def test_blocked_bot_pauses_member_and_partner_gets_a_new_one(
    blocked_count: int, person: PersonFactory, bot: Bot, tg: FakeTelegram,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await community_with_members(sessionmaker, 4)
    await match_now(person(ADMIN_TELEGRAM_ID, "Olga"))
    async with sessionmaker() as session:
        rows = await session.execute(select(MatchMember.match_id, User.telegram_id).join(User)
                                     .order_by(MatchMember.match_id, User.telegram_id))
        by_match: dict[int, list[int]] = {}
        for match_id, telegram_id in rows.all():
            by_match.setdefault(match_id, []).append(telegram_id)
        pairs = list(by_match.values())
    stranded = [pair[0] for pair in pairs][:blocked_count]
    for pair in pairs[:blocked_count]:
        tg.block(pair[1])
    await deliver(bot, sessionmaker)
    first = person(stranded[0], "First")
    unreachable = first.tr("blocked.partner_unreachable", name=f"Member{pairs[0][1] - FIRST_MEMBER}")
    assert unreachable in first.last.plain_text  # type: ignore[union-attr]
    reply = plain(await first.press_key("blocked.find_new"))
    assert first.tr("blocked.nobody_free") in reply
    if blocked_count == 2:
        second = person(stranded[1], "Second")
        found = second.tr("blocked.found", name=f"Member{stranded[0] - FIRST_MEMBER}")
        assert found in plain(await second.press_key("blocked.find_new"))
        await deliver(bot, sessionmaker)
        assert len(intros(tg, stranded[0])) == 2 and len(intros(tg, stranded[1])) == 2
    async with sessionmaker() as session:
        paused = await session.scalar(select(func.count()).select_from(Membership)
                                      .where(Membership.status == MembershipStatus.PAUSED))
        assert paused == blocked_count


async def test_small_group_rounds(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 10)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/schedule")
    await admin.press_key("schedule.change_groupsize")
    schedule = admin.like("schedule.current", community="Founders", frequency=admin.catalogue.html("frequency.weekly"),
                          shape=admin.label("schedule.groups_of", size=4))
    assert schedule.search(plain(await admin.press_key("schedule.groups_of", size=4)))
    summary = await match_now(admin)
    assert round_summary(admin, summaries.groups(admin.catalogue, [5, 5]), left_out=0, introduced=10) in summary
    assert admin.tr("round.size_rule", size=4) in summary  # asked for 4: the rule says why they are 5
    await deliver(bot, sessionmaker)
    for chat in seeded.member_telegram_ids:
        received = intros(tg, chat)
        assert len(received) == 1 and en.text("intro.header_group", community="Founders", count=5) in received[0]
    async with sessionmaker() as session:
        sizes = Counter(int(count) for count in (await session.execute(
            select(func.count()).select_from(MatchMember).group_by(MatchMember.match_id))).scalars())
    assert sizes == Counter({5: 2})
    await admin.say("/checkin")
    await deliver(bot, sessionmaker)
    checkin = tg.last_message(seeded.member_telegram_ids[0])
    assert checkin is not None
    assert en.like("checkin.about", number=1, count=4).search(checkin.plain_text)  # about each person in turn
    assert sum(bool(en.like("checkin.block").fullmatch(text)) for text in checkin.button_texts) == 1
