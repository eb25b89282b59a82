"""Group sessions through the real Dispatcher: the wizard, RSVPs, groups and rosters."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from aiogram import Bot
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.db.base import utcnow
from bot.db.models import Meetup, MeetupGroup, MeetupGroupMember, MeetupRsvp, MeetupStatus
from bot.jobs import Jobs
from tests.conftest import PersonFactory
from tests.support.catalogue import en
from tests.support.driver import plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import MEETUP_TITLE as TITLE
from tests.support.journeys import create_meetup, deliver

ROSTER = en.like("meetup.roster_header", title=TITLE)
ROSTER_CONTINUED = en.like("meetup.roster_continued")
ROSTER_LINE = en.like("meetup.roster_line")


async def rsvp_all(person: PersonFactory, chats: list[int], answer: str = "meetup.yes") -> None:
    for chat in chats:
        await person(chat, f"Member{chat - 1000}", username=f"user{chat}").press_key(answer)


async def test_65_yeses_make_two_groups_and_everyone_gets_the_roster_once(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 65, long_about=True)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await create_meetup(admin)
    await deliver(bot, sessionmaker)
    invitation = tg.last_message(seeded.member_telegram_ids[0])
    assert invitation is not None and TITLE in invitation.plain_text
    await rsvp_all(person, seeded.member_telegram_ids)
    await admin.say("/formgroups")
    replies = await admin.press(TITLE)
    assert admin.like("meetup.formed", title=TITLE, people=65, groups=2).search(plain(replies))
    await deliver(bot, sessionmaker)
    async with sessionmaker() as session:
        sizes = sorted(len(group.members) for group in await session.scalars(
            select(MeetupGroup).options(selectinload(MeetupGroup.members))))
    assert sizes == [32, 33]
    for chat in seeded.member_telegram_ids:
        headers = [m for m in tg.messages(chat) if ROSTER.match(m.plain_text)]
        continued = [m for m in tg.messages(chat) if ROSTER_CONTINUED.match(m.plain_text)]
        assert len(headers) == 1 and len(continued) == 1, chat  # a long roster: two messages, each once
        roster = "\n".join(m.plain_text for m in (*headers, *continued))
        assert all(len(m.text) <= 4096 for m in (*headers, *continued))
        assert sum(bool(ROSTER_LINE.fullmatch(line)) for line in roster.splitlines()) in (32, 33)
        assert en.text("card.contact_username", username=f"user{chat}") in roster
    async with sessionmaker() as session:
        meetup_id = await session.scalar(select(Meetup.id))
    assert admin.tr("meetup.already_formed") in plain(await admin.press_data(f"fg:{meetup_id}"))  # the old button


async def test_changing_an_rsvp_and_the_deadline(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 5)
    await create_meetup(person(ADMIN_TELEGRAM_ID, "Olga"))
    await deliver(bot, sessionmaker)
    alice = person(seeded.member_telegram_ids[0], "Member0", username="user1000")
    await alice.press_key("meetup.yes")
    await alice.press_key("meetup.no")
    assert alice.answers()[-1] == alice.label("meetup.rsvp_no", title=TITLE)
    assert alice.tr("meetup.status_no", yes=0) in plain(await alice.say("/sessions"))
    await alice.press_key("meetup.yes")
    async with sessionmaker() as session:
        meetup = await session.scalar(select(Meetup))
        assert meetup is not None
        meetup.rsvp_deadline = utcnow() - timedelta(minutes=1)
        await session.commit()
    await alice.press_key("meetup.no")
    assert alice.answers()[-1] == alice.label("meetup.rsvp_closed", title=TITLE)
    await Jobs(sessionmaker).housekeeping()  # the deadline forms the groups
    await deliver(bot, sessionmaker)
    async with sessionmaker() as session:
        meetup = await session.scalar(select(Meetup))
        assert meetup is not None and meetup.status is MeetupStatus.FORMED
        assert await session.scalar(select(MeetupRsvp.coming)) is True
        assert await session.scalar(select(func.count()).select_from(MeetupGroupMember)) == 1
    assert alice.like("meetup.roster_header", title=TITLE, number=1, count=1).match(
        alice.last.plain_text)  # type: ignore[union-attr]


async def test_fewer_yeses_than_one_group_and_admin_rights(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 7)
    await create_meetup(person(ADMIN_TELEGRAM_ID, "Olga"), size="6")
    await deliver(bot, sessionmaker)
    await rsvp_all(person, seeded.member_telegram_ids[:5])
    member = person(seeded.member_telegram_ids[6], "Member6")
    assert member.tr("meetup.none_open") in plain(await member.say("/formgroups"))
    await member.press_data("fg:1")
    assert member.answers()[-1] == member.label("admin.not_admin")
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/formgroups")
    assert admin.like("meetup.formed", title=TITLE, people=5, groups=1).search(plain(await admin.press(TITLE)))
    await deliver(bot, sessionmaker)
    rosters = Counter(m.chat_id for chat in seeded.member_telegram_ids for m in tg.messages(chat)
                      if ROSTER.match(m.plain_text))
    assert rosters == Counter(dict.fromkeys(seeded.member_telegram_ids[:5], 1))
    await member.press_data("gp:1")  # not an admin: cannot set a group's place
    assert member.answers()[-1] == member.label("admin.not_admin")
    asked = plain(await admin.press_key("meetup.set_place", number=1))
    assert admin.tr("meetup.ask_group_place", number=1) in asked
    assert admin.tr("meetup.place_sent", number=1, count=5) in plain(await admin.say("Room 4, <i>second</i> floor"))
    await deliver(bot, sessionmaker)
    update = tg.last_message(seeded.member_telegram_ids[0])
    place = en.text("meetup.place_update", title=TITLE, number=1, place="Room 4, <i>second</i> floor")
    assert update is not None and place in update.plain_text


async def test_wizard_cancel_and_stale_buttons(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await community_with_members(sessionmaker, 2)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/session")
    await admin.say("Title")
    await admin.press_data("sw:size:30")  # a real button, but not for the date question
    assert admin.answers()[-1] == admin.label("button.stale")
    assert admin.tr("meetup.command_mid_way") in plain(await admin.say("/sessions"))
    assert admin.tr("meetup.cancelled") in plain(await admin.say("/cancel"))
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Meetup)) == 0
    assert plain(await admin.say("/help")) == admin.tr("help")


def test_groups_cli_sizes_and_errors() -> None:
    import json
    import subprocess
    import sys

    instance = {"members": [{"id": i} for i in range(1, 66)], "history": [{"members": [1, 2], "round": 1}],
                "size": 30}
    done = subprocess.run([sys.executable, "-m", "matching", "groups"], input=json.dumps(instance),
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert sorted(len(group["members"]) for group in result["groups"]) == [32, 33]
    assert sorted(m for group in result["groups"] for m in group["members"]) == list(range(1, 66))
    assert result["stats"]["repeats"] == 0
    for bad, flags in (("{", []), (json.dumps({"members": [{"id": 1}]}), ["--size", "1"])):
        failed = subprocess.run([sys.executable, "-m", "matching", "groups", *flags], input=bad,
                                capture_output=True, text=True)
        assert failed.returncode == 2 and len(failed.stderr.strip().splitlines()) == 1
        assert "Traceback" not in failed.stderr


async def test_after_the_session_rating_and_connections_feed_network(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 4)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await create_meetup(admin, size="4", when_days=2)
    await deliver(bot, sessionmaker)
    await rsvp_all(person, seeded.member_telegram_ids)
    await admin.say("/formgroups")
    await admin.press(TITLE)
    async with sessionmaker() as session:
        meetup = await session.scalar(select(Meetup))
        assert meetup is not None
        meetup.starts_at = utcnow() - timedelta(hours=3)  # the session took place
        await session.commit()
    await Jobs(sessionmaker).housekeeping()
    await deliver(bot, sessionmaker)
    alice = person(seeded.member_telegram_ids[0], "Member0", username="user1000")
    assert alice.tr("meetup.checkin", title=TITLE) in alice.last.plain_text  # type: ignore[union-attr]
    replies = await alice.press("⭐⭐⭐⭐⭐")
    assert alice.tr("meetup.connect_prompt") in plain(replies)
    await alice.press("Member2")
    await alice.press("Member3")
    await alice.press("✅ Member3")  # toggled off again
    assert alice.tr("meetup.connections_saved", count=1) in plain(await alice.press_key("q.interests.done"))
    await alice.press_data("sk:1:999999")  # a forged person
    assert alice.answers()[-1] == alice.label("button.stale")
    network = plain(await alice.say("/network"))
    member2 = alice.catalogue.html("card.contact_username", username="user1002")
    assert alice.like("network.line", community="Founders", name="Member2", contact=member2).search(network)
    assert "Member3" not in network
    async with sessionmaker() as session:
        rated = select(MeetupGroupMember.rating).where(MeetupGroupMember.rating.is_not(None))
        assert await session.scalar(rated) == 5
    await Jobs(sessionmaker).housekeeping()  # sent once only
    await deliver(bot, sessionmaker)
    checkin = alice.catalogue.html("meetup.checkin", title=TITLE)
    asked = [c for c in tg.calls_of("sendMessage") if c.chat_id == alice.id and c.params["text"] == checkin]
    assert len(asked) == 1
