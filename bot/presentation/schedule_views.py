"""/schedule as the admin reads it: the community's rounds in its own zone, the next one also in the admin's
zone when theirs differs, and the prompts for a typed time or zone."""

from __future__ import annotations

from datetime import datetime

from bot.db.models import Community, User
from bot.domain.schedule import Schedule
from bot.domain.zones import ZONE_EXAMPLES, community_zone
from bot.presentation import moments
from bot.presentation.render import round_shape
from bot.presentation.texts import Html, Texts


def schedule_text(texts: Texts, community: Community, now: datetime, reader: User | None = None) -> Html:
    schedule = Schedule.of(community)
    zone = community_zone(community.timezone)
    upcoming = schedule.next(now)
    text = texts("schedule.current", community=community.name, weekday=texts(f"weekday.{schedule.weekday}"),
                 time=f"{schedule.hour:02d}:{schedule.minute:02d}", timezone=zone.name,
                 frequency=texts(f"frequency.{schedule.frequency.value}"),
                 next=moments.moment(texts, upcoming, zone), reminder=community.reminder_days,
                 shape=round_shape(texts, community.round_group_size))
    own = moments.zone_of(reader, community.timezone)
    if own.name != zone.name and upcoming.astimezone(own.rules).utcoffset() != upcoming.utcoffset():
        text = Html(f"{text}\n{texts('schedule.next_yours', when=moments.moment(texts, upcoming, own))}")
    return text


def zone_examples() -> str:
    return ", ".join(ZONE_EXAMPLES)


def ask_time(texts: Texts, community: Community) -> Html:
    return texts("schedule.ask_time", zone=community_zone(community.timezone).name)


def ask_zone(texts: Texts) -> Html:
    return texts("schedule.ask_zone", examples=zone_examples())


def bad_time(texts: Texts, typed: str) -> Html:
    return texts("schedule.bad_time", text=typed[:64])


def bad_zone(texts: Texts, typed: str) -> Html:
    return texts("schedule.bad_zone", text=typed[:64], examples=zone_examples())
