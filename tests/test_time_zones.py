"""Time zones: /schedule sets the community's zone and any time of day; every moment a member reads is in their
own zone (else the community's) with the zone named; rounds fire once per period across summer-time changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import notifications
from bot.app import create_dispatcher
from bot.config import Settings
from bot.db.models import Community, CommunityAdmin, Meetup, Round, User
from bot.domain.schedule import Schedule, period_key
from bot.domain.zones import parse_time_of_day, parse_zone, reader_zone
from bot.jobs import Jobs
from bot.presentation import moments, render
from bot.presentation.texts import Texts
from bot.scheduler import RoundScheduler, RoundTrigger, round_trigger
from bot.services import rounds
from tests.conftest import PersonFactory
from tests.support.catalogue import Catalogue
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import deliver
from tests.support.updates import TgUser, UpdateFactory

LANGUAGES = ("en", "ru")


def test_typed_zones_and_times() -> None:
    assert parse_zone("berlin") == parse_zone(" Europe/Berlin ") == "Europe/Berlin"
    assert parse_zone("New York") == parse_zone("america/new_york") == "America/New_York"
    assert parse_zone("Москва") == parse_zone("санкт-петербург") == "Europe/Moscow"
    assert parse_zone("utc") == "UTC"
    for unknown in ("Atlantis", "Mars/Olympus", "", "UTC+3", "../../etc/passwd", "x" * 100):
        assert parse_zone(unknown) is None, unknown
    assert parse_time_of_day("18:30") == (18, 30)
    assert parse_time_of_day("9:05") == (9, 5)
    assert parse_time_of_day("0730") == (7, 30)
    assert parse_time_of_day("23.59") == (23, 59)
    for bad in ("25:00", "24:00", "18:60", "18", "six", "", "18:3"):
        assert parse_time_of_day(bad) is None, bad


def test_reader_zone_is_their_own_else_the_communitys() -> None:
    assert reader_zone("Asia/Tokyo", 540, "Europe/Berlin").name == "Asia/Tokyo"
    fixed = reader_zone("UTC+05:30", 330, "Europe/Berlin")  # an offset typed in the questionnaire
    assert fixed.name == "UTC+05:30" and fixed.rules.utcoffset(None) == timedelta(hours=5, minutes=30)
    assert reader_zone(None, None, "Europe/Berlin").name == "Europe/Berlin"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_moment_names_its_zone_in_the_readers_language(language: str) -> None:
    texts = Texts(language)
    shown = moments.moment(texts, datetime(2026, 12, 3, 17, 0, tzinfo=UTC), reader_zone("Europe/Berlin", 60, "UTC"))
    assert shown == {"en": "Thu 3 Dec, 18:00 (Europe/Berlin)", "ru": "чт, 3 дек., 18:00 (Europe/Berlin)"}[language]


async def _set(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int, **values: object) -> None:
    async with sessionmaker() as session:
        person = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        assert person is not None
        for name, value in values.items():
            setattr(person, name, value)
        await session.commit()


@pytest.mark.parametrize(("language", "typed", "zone"), [("en", "berlin", "Europe/Berlin"),
                                                          ("ru", "Москва", "Europe/Moscow")])
async def test_schedule_takes_a_typed_zone_and_time_and_answers_bad_input(
    language: str, typed: str, zone: str, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot, tg: FakeTelegram,
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    await _set(sessionmaker, ADMIN_TELEGRAM_ID, language=language)
    jobs = Jobs(sessionmaker)
    scheduler = RoundScheduler(jobs.round, jobs.housekeeping)
    scheduler.start(await jobs.communities())
    try:
        dispatcher = create_dispatcher(settings, sessionmaker, scheduler=scheduler)
        updates = UpdateFactory()

        def someone(telegram_id: int, name: str, spoken: str = "en") -> Person:
            return Person(TgUser(telegram_id, name, language_code=spoken), dispatcher, bot, tg, updates)

        admin = someone(ADMIN_TELEGRAM_ID, "Olga", language)
        assert admin.like("schedule.current", timezone="UTC").search(plain(await admin.say("/schedule")))

        # The zone: an unknown name, a sticker and a command in the middle, then a typed city.
        assert admin.like("schedule.ask_zone").search(plain(await admin.press_key("schedule.change_zone")))
        assert "Europe/Berlin" in admin.buttons()  # common zones are buttons
        replies = plain(await admin.say("Atlantis"))
        assert admin.like("schedule.bad_zone", text="Atlantis").search(replies) and "Europe/Lisbon" in replies
        assert admin.tr("schedule.not_text_zone") in plain(await admin.feed(admin.updates.sticker(admin.user)))
        assert not admin.like("schedule.bad_zone").search(plain(await admin.say("/help")))  # commands still work
        replies = plain(await admin.say(typed))
        assert admin.like("schedule.current", timezone=zone).search(replies)

        # The time: 25:00 and words are refused with a clear answer, then any HH:MM is taken.
        assert admin.like("schedule.ask_time", zone=zone).search(plain(await admin.press_key("schedule.change_time")))
        assert admin.like("schedule.bad_time", text="25:00").search(plain(await admin.say("25:00")))
        assert admin.tr("schedule.not_text_time") in plain(await admin.feed(admin.updates.sticker(admin.user)))
        replies = plain(await admin.say("18:45"))
        assert admin.like("schedule.current", time="18:45", timezone=zone).search(replies)
        assert f"18:45 ({zone})" in replies  # the next round, in the community's zone, zone named

        # After saving, plain text is no longer read as a time; /cancel mid-way changes nothing.
        await admin.press_key("schedule.change_time")
        assert admin.tr("schedule.cancelled") in plain(await admin.say("/cancel"))

        async with sessionmaker() as session:
            community = await session.get(Community, seeded.id)
            assert community is not None
            assert (community.timezone, community.schedule_hour, community.schedule_minute) == (zone, 18, 45)
        trigger = scheduler.scheduler.get_job(f"round:{seeded.id}").trigger
        assert isinstance(trigger, RoundTrigger) and trigger.timezone == zone
        assert (trigger.schedule.hour, trigger.schedule.minute) == (18, 45)

        # A common zone by button; forged values and presses by people without rights change nothing.
        await admin.say("/schedule")
        await admin.press_key("schedule.change_zone")
        replies = plain(await admin.press("Europe/London"))
        assert admin.like("schedule.current", timezone="Europe/London").search(replies)
        for value in ("zone:Mars/Olympus", "time:2500", "time:1875", "weekday:9"):
            await admin.press_data(f"sc:{seeded.id}:{value}")
            assert admin.answers()[-1] == admin.label("button.stale")
        member = someone(seeded.member_telegram_ids[0], "Member0")
        await member.press_data(f"sc:{seeded.id}:zone:Asia/Tokyo")
        assert member.answers()[-1] == member.label("admin.not_admin")
        async with sessionmaker() as session:  # member 1 runs a community of their own, not this one
            other = Community(name="Other", invite_code="other-tz", tags=[], description="")
            session.add(other)
            await session.flush()
            runner = await session.scalar(select(User).where(User.telegram_id == seeded.member_telegram_ids[1]))
            assert runner is not None
            session.add(CommunityAdmin(community_id=other.id, user_id=runner.id))
            await session.commit()
        other_admin = someone(seeded.member_telegram_ids[1], "Member1")
        await other_admin.press_data(f"sc:{seeded.id}:zone:Asia/Tokyo")
        assert other_admin.answers()[-1] == other_admin.label("admin.not_admin")
        async with sessionmaker() as session:
            community = await session.get(Community, seeded.id)
            assert community is not None and community.timezone == "Europe/London"
    finally:
        scheduler.shutdown()


async def test_each_member_reads_the_meetup_time_in_their_own_zone(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 4)
    tokyo, zoneless, fixed, berlin = seeded.member_telegram_ids
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        community.timezone = "America/New_York"
        await session.commit()
    await _set(sessionmaker, tokyo, timezone="Asia/Tokyo", utc_offset=540, language="ru", languages=["ru", "en"])
    await _set(sessionmaker, zoneless, timezone=None, utc_offset=None)
    await _set(sessionmaker, fixed, timezone="UTC+05:30", utc_offset=330)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    day = date(datetime.now(UTC).year + 1, 1, 15)  # winter in New York and Berlin
    replies = plain(await admin.say("/session"))
    assert admin.tr("meetup.ask_title") in replies
    assert "America/New_York" in plain(await admin.say("Winter mixer"))  # the admin types in the community's zone
    await admin.say(f"{day:%Y-%m-%d} 18:30")
    await admin.press("30")
    await admin.press_key("meetup.online")
    await admin.press_key("meetup.skip_place")
    await admin.press_key("meetup.deadline_24")
    created = plain(await admin.press_key("meetup.mixed"))
    assert f"{day.day} Jan, 00:30 (Europe/Berlin)" in created  # the answer deadline in the admin's own zone
    async with sessionmaker() as session:
        meetup = await session.scalar(select(Meetup))
        assert meetup is not None
        assert meetup.starts_at == datetime(day.year, 1, 15, 23, 30, tzinfo=UTC)  # stored in UTC
    await deliver(bot, sessionmaker)
    expected = {
        tokyo: (f"{day.day + 1} янв., 08:30 (Asia/Tokyo)", "08:30 (Asia/Tokyo)"),
        zoneless: (f"{day.day} Jan, 18:30 (America/New_York)", "18:30 (America/New_York)"),
        fixed: (f"{day.day + 1} Jan, 05:00 (UTC+05:30)", "05:00 (UTC+05:30)"),
        berlin: (f"{day.day + 1} Jan, 00:30 (Europe/Berlin)", "00:30 (Europe/Berlin)"),
    }
    deadline = {tokyo: "08:30 (Asia/Tokyo)", zoneless: "18:30 (America/New_York)", fixed: "05:00 (UTC+05:30)",
                berlin: "00:30 (Europe/Berlin)"}
    for chat, (start, _) in expected.items():
        invitation = tg.last_message(chat)
        assert invitation is not None
        assert start in invitation.plain_text, (chat, invitation.plain_text)
        assert invitation.plain_text.count(deadline[chat]) == 2  # the start and the answer deadline, a day apart
    ru = Catalogue("ru")
    assert ru.like("meetup.invitation").search(tg.last_message(tokyo).plain_text)  # type: ignore[union-attr]
    # /sessions and the roster say the same, each in the reader's zone.
    for chat in (tokyo, fixed):
        member = person(chat, "Member", username=f"user{chat}", language_code="ru" if chat == tokyo else "en")
        assert expected[chat][0] in plain(await member.say("/sessions"))
        await member.press_key("meetup.yes")
    await admin.say("/formgroups")
    await admin.press("Winter mixer")
    await deliver(bot, sessionmaker)
    for chat in (tokyo, fixed):
        roster = tg.last_message(chat)
        assert roster is not None and expected[chat][0] in roster.plain_text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reminder_names_the_check_in_moment_in_the_readers_zone(language: str) -> None:
    tokyo = User(id=1, telegram_id=1, display_name="Aiko", language=language, timezone="Asia/Tokyo", utc_offset=540)
    zoneless = User(id=2, telegram_id=2, display_name="Ben", language=language)
    check_in = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    for reader, partner, shown in ((tokyo, zoneless, "18:00 (Asia/Tokyo)"), (zoneless, tokyo, "10:00 (Europe/Berlin)")):
        row = notifications.reminder(reader, [partner], 1, check_in, "Europe/Berlin")
        texts = Texts(language)
        when = moments.for_reader(texts, check_in, reader, "Europe/Berlin")
        assert texts("reminder.check_in", when=when) in row["text"]
        assert shown in row["text"]
    assert notifications.reminder(tokyo, [zoneless], 1)["text"] == render.reminder(Texts(language), [zoneless])


def _fire_times(community: Community, start: datetime, end: datetime) -> list[datetime]:
    trigger, fires, previous, now = round_trigger(community), [], None, start
    while (fire := trigger.get_next_fire_time(previous, now)) is not None and fire < end:
        fires.append(fire)
        previous, now = fire, fire + timedelta(microseconds=1)
    return fires


@pytest.mark.parametrize(("hour", "minute"), [(2, 30), (10, 0)])
async def test_rounds_across_summer_time_changes_in_berlin_are_neither_skipped_nor_doubled(
    hour: int, minute: int, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Sundays around both 2026 changes (29 March: 02:00 → 03:00; 25 October: 03:00 → 02:00). At 02:30 the
    spring round has no such local time (it fires at 03:30 summer time) and the autumn one happens twice (it
    fires once, at the first). Asking the trigger for the next moment right after each fire always moves on:
    APScheduler's own cron trigger returned the repeated autumn moment forever, hanging the scheduler."""
    seeded = await community_with_members(sessionmaker, 4, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        community.timezone, community.schedule_weekday = "Europe/Berlin", 6
        community.schedule_hour, community.schedule_minute = hour, minute
        await session.commit()
    spring = (datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 4, 13, tzinfo=UTC))
    autumn = (datetime(2026, 10, 11, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC))
    sundays = [date(2026, 3, 15) + timedelta(weeks=n) for n in range(5)] + \
              [date(2026, 10, 11) + timedelta(weeks=n) for n in range(5)]
    fires = _fire_times(community, *spring) + _fire_times(community, *autumn)
    assert sorted({fire.astimezone(ZoneInfo("Europe/Berlin")).date() for fire in fires}) == sundays
    assert len(fires) == len(sundays)
    assert all(earlier < later for earlier, later in pairwise(fires))
    schedule = Schedule.of(community)
    for fire in fires:  # the scheduler's moments are the schedule's own
        assert period_key(schedule.latest(fire)) == fire.astimezone(ZoneInfo("Europe/Berlin")).date().isoformat()
    made = 0
    for fire in [*fires, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)]:  # and once more in the repeated hour
        async with sessionmaker() as session:
            loaded = await session.get(Community, seeded.id)
            assert loaded is not None
            made += await rounds.run_due_round(session, loaded, fire) is not None
    async with sessionmaker() as session:
        periods = sorted(await session.scalars(select(Round.period).where(Round.community_id == seeded.id)))
        assert await session.scalar(select(func.count()).select_from(Round)) == len(sundays) == made
    assert periods == [day.isoformat() for day in sundays]
    spring_forward = next(fire for fire in fires if fire.date() == date(2026, 3, 29))
    assert spring_forward.astimezone(UTC).hour == (1 if (hour, minute) == (2, 30) else 8)  # 03:30 / 10:00 CEST
