"""Schedules: calendar arithmetic, jobs rebuilt from the database, /schedule changes without a restart."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_dispatcher
from bot.config import Settings
from bot.db.models import Community, Frequency
from bot.domain.schedule import Schedule
from bot.jobs import Jobs
from bot.scheduler import RoundScheduler, RoundTrigger
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.updates import TgUser, UpdateFactory

SATURDAY_EVENING = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)


def test_latest_and_next_moments_per_frequency() -> None:
    expected = {
        Frequency.WEEKLY: ("2026-11-16 10:00", "2026-11-23 10:00"),
        Frequency.BIWEEKLY: ("2026-11-16 10:00", "2026-11-30 10:00"),
        Frequency.MONTHLY: ("2026-11-02 10:00", "2026-12-07 10:00"),
    }
    for frequency, (latest, upcoming) in expected.items():
        schedule = Schedule(0, 10, 0, "Europe/Berlin", frequency)
        assert schedule.latest(SATURDAY_EVENING).strftime("%Y-%m-%d %H:%M") == latest
        assert schedule.next(SATURDAY_EVENING).strftime("%Y-%m-%d %H:%M") == upcoming
        assert schedule.latest(schedule.next(SATURDAY_EVENING)) == schedule.next(SATURDAY_EVENING)


async def test_jobs_are_rebuilt_from_the_database_and_follow_schedule_changes(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], bot: object, tg: FakeTelegram
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    jobs = Jobs(sessionmaker)
    scheduler = RoundScheduler(jobs.round, jobs.housekeeping)
    scheduler.start(await jobs.communities())  # what a fresh process does
    try:
        assert scheduler.job_ids() == {"housekeeping", f"round:{seeded.id}"}
        dispatcher = create_dispatcher(settings, sessionmaker, scheduler=scheduler)
        admin = Person(TgUser(ADMIN_TELEGRAM_ID, "Olga"), dispatcher, bot, tg, UpdateFactory())  # type: ignore[arg-type]
        html = admin.catalogue.html
        monday = admin.like("schedule.current", community="Founders", weekday=html("weekday.0"), time="10:00",
                            timezone="UTC", frequency=html("frequency.weekly"))
        assert monday.search(plain(await admin.say("/schedule")))
        await admin.press_key("schedule.change_weekday")
        await admin.press_key("weekday.3")
        await admin.press_key("schedule.change_time")
        await admin.press("18:00")
        await admin.press_key("schedule.change_frequency")
        replies = await admin.press_key("frequency.biweekly")
        thursday = admin.like("schedule.current", community="Founders", weekday=html("weekday.3"), time="18:00",
                              timezone="UTC", frequency=html("frequency.biweekly"))
        assert thursday.search(plain(replies))
        await admin.press_key("schedule.change_reminder")
        reminder = admin.like("schedule.current", community="Founders", reminder=2)
        assert reminder.search(plain(await admin.press_key("schedule.reminder_days", days=2)))
        async with sessionmaker() as session:
            community = await session.get(Community, seeded.id)
            assert community is not None
            assert (community.schedule_weekday, community.schedule_hour, community.frequency,
                    community.reminder_days) == (3, 18, Frequency.BIWEEKLY, 2)
        trigger = scheduler.scheduler.get_job(f"round:{seeded.id}").trigger
        assert isinstance(trigger, RoundTrigger)
        assert trigger.schedule == Schedule(3, 18, 0, "UTC", Frequency.BIWEEKLY)
    finally:
        scheduler.shutdown()
