"""Dates and times as a reader sees them: in their own zone, in their language, with the zone named.

"Sat 5 Dec, 18:00 (Europe/Berlin)", "сб, 5 дек., 18:00 (Europe/Berlin)": Babel formats the day and month in
the reader's language; the zone is always named, so a moment is never read in the wrong zone.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

from bot.db.models import Community, User
from bot.domain.zones import Zone, community_zone, reader_zone
from bot.presentation.texts import Html, Texts

PATTERNS = {"en": "EEE d MMM, HH:mm", "ru": "EEE, d MMM, HH:mm"}
DAY_PATTERNS = {"en": "EEE d MMM", "ru": "EEE, d MMM"}


def zone_of(person: User | None, community_timezone: str) -> Zone:
    """The zone `person` reads times in (theirs, else the community's); the community's for a group chat."""
    if person is None:
        return community_zone(community_timezone)
    return reader_zone(person.timezone, person.utc_offset, community_timezone)


def moment(texts: Texts, when: datetime, zone: Zone) -> Html:
    """A moment in `zone`, in the reader's language, with the zone named."""
    local = when.astimezone(zone.rules)
    shown = format_datetime(local, PATTERNS.get(texts.language, PATTERNS["en"]), locale=texts.language)
    return texts("moment", when=shown, zone=zone.name)


def day(texts: Texts, when: datetime, zone: Zone) -> Html:
    """The day of a moment in `zone` ("Sat 5 Dec"), with the zone named."""
    local = when.astimezone(zone.rules)
    shown = format_datetime(local, DAY_PATTERNS.get(texts.language, DAY_PATTERNS["en"]), locale=texts.language)
    return texts("moment", when=shown, zone=zone.name)


def for_reader(texts: Texts, when: datetime, person: User | None, community: Community | str) -> Html:
    """A moment as `person` sees it: in their own zone, else the community's (given as the community or its
    zone name), with the zone named. Every date and time a member reads goes through here."""
    zone_name = community if isinstance(community, str) else community.timezone
    return moment(texts, when, zone_of(person, zone_name))
