"""When a community's rounds happen: pure calendar arithmetic over its schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.db.models import Community, Frequency
from bot.domain.zones import is_zone

BIWEEKLY_EPOCH = date(2024, 1, 1)  # a Monday: "every 2 weeks" means even weeks counted from here
SEARCH_DAYS = 70
PERIOD_DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14, Frequency.MONTHLY: 28}
TIME_CHOICES = ((7, 0), (8, 0), (9, 0), (10, 0), (12, 0), (13, 0), (17, 0), (18, 0), (19, 0), (20, 0))
"""Offered as buttons; any other time of day is typed as HH:MM."""
REMINDER_CHOICES = (1, 2, 3, 4, 5)
GROUP_SIZE_CHOICES = (2, 3, 4, 5, 6, 7, 8)
SCHEDULE_FIELDS = ("weekday", "time", "zone", "frequency", "groupsize", "reminder")
TYPED_FIELDS = ("time", "zone")
"""Fields whose choices may also be typed: a time of day as HH:MM, a zone as a city or IANA name."""


def apply_choice(community: Community, field: str, value: str) -> bool:
    """Set one schedule field from a button's (or a checked typed) value; False (nothing changed) for a value
    that is not valid: a weekday 0-6, a time "HHMM" of a real time of day, an IANA zone, a frequency, …"""
    number = int(value) if value.isascii() and value.isdigit() else None
    if field == "weekday" and number is not None and number < 7:
        community.schedule_weekday = number
    elif field == "time" and number is not None and len(value) == 4 and number // 100 < 24 and number % 100 < 60:
        community.schedule_hour, community.schedule_minute = number // 100, number % 100
    elif field == "zone" and is_zone(value):
        community.timezone = value
    elif field == "frequency" and value in set(Frequency):
        community.frequency = Frequency(value)
    elif field == "groupsize" and number in GROUP_SIZE_CHOICES:
        community.round_group_size = number
    elif field == "reminder" and number in REMINDER_CHOICES:
        community.reminder_days = number
    else:
        return False
    return True


@dataclass(frozen=True)
class Schedule:
    weekday: int  # Monday = 0
    hour: int
    minute: int
    timezone: str
    frequency: Frequency

    @classmethod
    def of(cls, community: Community) -> Schedule:
        return cls(community.schedule_weekday, community.schedule_hour, community.schedule_minute,
                   community.timezone, community.frequency)

    def falls_on(self, day: date) -> bool:
        if day.weekday() != self.weekday:
            return False
        if self.frequency is Frequency.BIWEEKLY:
            return (day - BIWEEKLY_EPOCH).days // 7 % 2 == 0
        if self.frequency is Frequency.MONTHLY:
            return day.day <= 7  # the first such weekday of the month
        return True

    def at(self, day: date) -> datetime:
        """The moment of `day`'s round. On the night clocks go forward a time that does not exist (02:30 in
        Berlin on the last Sunday of March) is read with the offset before the change (03:30 summer time), and
        on the night they go back a time that happens twice is its first occurrence (the scheduler's
        RoundTrigger fires at exactly these moments)."""
        return datetime.combine(day, time(self.hour, self.minute), tzinfo=ZoneInfo(self.timezone))

    def latest(self, now: datetime) -> datetime:
        """The most recent scheduled moment at or before `now`."""
        now = now.astimezone(UTC)  # compared as instants (two times in one zone compare by wall clock)
        today = now.astimezone(ZoneInfo(self.timezone)).date()
        for back in range(SEARCH_DAYS):
            day = today - timedelta(days=back)
            if self.falls_on(day) and self.at(day) <= now:
                return self.at(day)
        raise AssertionError("every schedule fires at least once in 70 days")

    def next(self, now: datetime) -> datetime:
        """The first scheduled moment strictly after `now`."""
        now = now.astimezone(UTC)  # compared as instants (two times in one zone compare by wall clock)
        today = now.astimezone(ZoneInfo(self.timezone)).date()
        for ahead in range(SEARCH_DAYS):
            day = today + timedelta(days=ahead)
            if self.falls_on(day) and self.at(day) > now:
                return self.at(day)
        raise AssertionError("every schedule fires at least once in 70 days")

    @property
    def period_days(self) -> int:
        return PERIOD_DAYS[self.frequency]


def period_key(moment: datetime) -> str:
    """Rounds are unique per (community, period); a scheduled period is named by its local date."""
    return moment.date().isoformat()


def extra_period_key(stamp: int) -> str:
    """An admin's extra round, named by the minute its confirmation was shown (`minute_stamp`): however often
    that confirmation is pressed, and across a minute boundary, it makes one round."""
    return f"extra-{datetime.fromtimestamp(stamp * 60, UTC):%Y-%m-%dT%H:%M}"


def minute_stamp(now: datetime) -> int:
    return int(now.timestamp()) // 60
