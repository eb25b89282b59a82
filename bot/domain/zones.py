"""Time zones: a community's zone typed by an admin, and the zone each reader sees moments in (pure values).

A member's zone comes from their profile: the questionnaire asks for a city or a UTC offset and stores the
IANA zone of a known city (`User.timezone`, e.g. "Europe/Berlin", which follows summer time) or a fixed
offset (`User.timezone` "UTC+02:00" with `User.utc_offset`). A member with neither sees the community's zone.
Every moment shown names the zone it is shown in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.domain.profile import ZONES_BY_CITY, offset_name

COMMON_ZONES = (
    "Europe/London", "Europe/Berlin", "Europe/Kyiv", "Europe/Moscow", "Asia/Dubai", "Asia/Almaty",
    "Asia/Singapore", "America/New_York", "America/Los_Angeles", "UTC",
)
"""Offered as buttons in /schedule; any other zone is typed (a city or an IANA name)."""

ZONE_EXAMPLES = ("Berlin", "Europe/Lisbon", "New York", "Asia/Tbilisi", "Москва")

# Cities people are likely to type in Russian (the IANA names are English).
RUSSIAN_CITIES = {
    "москва": "Europe/Moscow", "санкт-петербург": "Europe/Moscow", "петербург": "Europe/Moscow",
    "питер": "Europe/Moscow", "спб": "Europe/Moscow", "казань": "Europe/Moscow", "нижний новгород": "Europe/Moscow",
    "екатеринбург": "Asia/Yekaterinburg", "новосибирск": "Asia/Novosibirsk", "омск": "Asia/Omsk",
    "красноярск": "Asia/Krasnoyarsk", "иркутск": "Asia/Irkutsk", "владивосток": "Asia/Vladivostok",
    "калининград": "Europe/Kaliningrad", "самара": "Europe/Samara", "минск": "Europe/Minsk",
    "киев": "Europe/Kyiv", "київ": "Europe/Kyiv", "алматы": "Asia/Almaty", "астана": "Asia/Almaty",
    "ташкент": "Asia/Tashkent", "бишкек": "Asia/Bishkek", "тбилиси": "Asia/Tbilisi", "ереван": "Asia/Yerevan",
    "баку": "Asia/Baku", "кишинёв": "Europe/Chisinau", "кишинев": "Europe/Chisinau", "рига": "Europe/Riga",
    "вильнюс": "Europe/Vilnius", "таллин": "Europe/Tallinn", "варшава": "Europe/Warsaw", "прага": "Europe/Prague",
    "берлин": "Europe/Berlin", "мюнхен": "Europe/Berlin", "вена": "Europe/Vienna", "париж": "Europe/Paris",
    "лондон": "Europe/London", "амстердам": "Europe/Amsterdam", "мадрид": "Europe/Madrid",
    "барселона": "Europe/Madrid", "лиссабон": "Europe/Lisbon", "рим": "Europe/Rome", "милан": "Europe/Rome",
    "белград": "Europe/Belgrade", "будапешт": "Europe/Budapest", "хельсинки": "Europe/Helsinki",
    "стамбул": "Europe/Istanbul", "анталья": "Europe/Istanbul", "лимассол": "Asia/Nicosia", "кипр": "Asia/Nicosia",
    "тель-авив": "Asia/Jerusalem", "дубай": "Asia/Dubai", "бангкок": "Asia/Bangkok", "пхукет": "Asia/Bangkok",
    "бали": "Asia/Makassar", "сингапур": "Asia/Singapore", "токио": "Asia/Tokyo", "нью-йорк": "America/New_York",
    "лос-анджелес": "America/Los_Angeles", "сан-франциско": "America/Los_Angeles", "торонто": "America/Toronto",
}


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {zone.lower(): zone for zone in _known_zones()}


def is_zone(name: str) -> bool:
    """Whether `name` is an IANA zone this system knows (the only names stored as a community's zone)."""
    return name in _known_zones()


def parse_zone(raw: str) -> str | None:
    """The IANA zone a typed city or zone name means ("berlin", "Europe/Berlin", "Москва", "New York",
    "new_york"); None for anything else (offsets too: a community's rounds follow its zone's summer time)."""
    text = " ".join(raw.split()).strip(" .,;")
    if not text or len(text) > 64:
        return None
    lower = text.lower()
    for candidate in (lower, lower.replace(" ", "_")):
        if candidate in _zones_by_lower_name():
            return _zones_by_lower_name()[candidate]
    if lower in ("gmt", "utc", "z"):
        return "UTC"
    found = ZONES_BY_CITY.get(lower.replace("_", " ")) or RUSSIAN_CITIES.get(lower.replace("ё", "е")) \
        or RUSSIAN_CITIES.get(lower)
    return found if found and is_zone(found) else None


_TIME = re.compile(r"^([01]?\d|2[0-3])\s*[:.h ]\s*([0-5]\d)$", re.IGNORECASE)


def parse_time_of_day(raw: str) -> tuple[int, int] | None:
    """A typed time of day, "18:30", "9:05", "18.30" or "1830"; None for "25:00", "18:75" or words."""
    text = raw.strip()
    if re.fullmatch(r"\d{4}", text):
        text = f"{text[:2]}:{text[2:]}"
    match = _TIME.match(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class Zone:
    """Where a reader's clock is: the zone's name as shown, and its rules."""

    name: str
    rules: tzinfo


@cache
def community_zone(name: str) -> Zone:
    """A community's zone (an unknown stored name reads as UTC rather than failing a message)."""
    return Zone(name, ZoneInfo(name)) if is_zone(name) else Zone("UTC", ZoneInfo("UTC"))


def reader_zone(timezone_name: str | None, utc_offset: int | None, fallback: str) -> Zone:
    """The zone a member sees times in: their own IANA zone, else their fixed offset, else the community's
    (`fallback`), always with its name."""
    if timezone_name and is_zone(timezone_name):
        return community_zone(timezone_name)
    if utc_offset is not None and -14 * 60 <= utc_offset <= 14 * 60:
        return Zone(offset_name(utc_offset), timezone(timedelta(minutes=utc_offset)))
    return community_zone(fallback)
