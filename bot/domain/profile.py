"""A profile as the questionnaire builds it: its steps, the draft, answer checks and time zones (pure values)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from bot.db.base import utcnow
from bot.db.models import MeetingFormat, User
from bot.domain.draft import ProfileDraft


class Step(enum.StrEnum):
    NAME = "name"
    ABOUT = "about"
    INTERESTS = "interests"
    OFFER_TOPICS = "offer_topics"
    OFFERS = "offers"
    NEED_TOPICS = "need_topics"
    NEEDS = "needs"
    LANGUAGES = "languages"
    FORMAT = "format"
    CITY = "city"
    TIMEZONE = "timezone"
    CONTACT = "contact"


STEPS = tuple(Step)
TEXT_LIMITS: dict[Step, tuple[int, int]] = {
    Step.NAME: (1, 64),
    Step.ABOUT: (10, 500),
    Step.OFFERS: (3, 300),
    Step.NEEDS: (3, 300),
    Step.CITY: (2, 64),
    Step.CONTACT: (3, 128),
}
MAX_INTERESTS = 10
TOPIC_STEPS = (Step.OFFER_TOPICS, Step.NEED_TOPICS)
NEW_STEPS = (*TOPIC_STEPS, Step.LANGUAGES)  # asked once of profiles saved before they existed


def applies(step: Step, draft: ProfileDraft, has_username: bool) -> bool:
    if step is Step.CITY:
        return draft.format in (MeetingFormat.OFFLINE, MeetingFormat.ANY)
    if step is Step.CONTACT:
        return not has_username
    return True


def is_answered(step: Step, draft: ProfileDraft) -> bool:
    if step is Step.TIMEZONE:
        return draft.utc_offset is not None
    if step is Step.CONTACT:
        return draft.contact_answered  # None means "my Telegram link is fine"
    if step in TOPIC_STEPS:
        return getattr(draft, step.value) is not None  # () means "none of these"
    return bool(getattr(draft, step.value))


def with_text(draft: ProfileDraft, step: Step, value: str) -> ProfileDraft:
    """The draft with a checked answer to a text question (a step of TEXT_LIMITS)."""
    match step:
        case Step.NAME:
            return replace(draft, name=value)
        case Step.ABOUT:
            return replace(draft, about=value)
        case Step.OFFERS:
            return replace(draft, offers=value)
        case Step.NEEDS:
            return replace(draft, needs=value)
        case Step.CITY:
            return replace(draft, city=value)
        case Step.CONTACT:
            return replace(draft, contact=value, contact_answered=True)
    raise ValueError(f"{step} is not a text question")


def topics_of(draft: ProfileDraft, step: Step) -> tuple[str, ...]:
    """The help topics chosen so far on a topics question (a step of TOPIC_STEPS)."""
    chosen = draft.offer_topics if step is Step.OFFER_TOPICS else draft.need_topics
    return chosen or ()


def with_topics(draft: ProfileDraft, step: Step, chosen: tuple[str, ...]) -> ProfileDraft:
    """The draft with the topics question `step` answered (with none, when `chosen` is empty)."""
    if step is Step.OFFER_TOPICS:
        return replace(draft, offer_topics=chosen)
    if step is Step.NEED_TOPICS:
        return replace(draft, need_topics=chosen)
    raise ValueError(f"{step} is not a topics question")


def first_missing(draft: ProfileDraft, has_username: bool, redo: Step | None = None) -> Step | None:
    """The next question to ask (`redo` first, when editing); None when ready for the preview."""
    if redo is not None and applies(redo, draft, has_username):
        return redo
    for step in STEPS:
        if applies(step, draft, has_username) and not is_answered(step, draft):
            return step
    return None


def position(step: Step, draft: ProfileDraft, has_username: bool) -> tuple[int, int]:
    """"Question n of m" with the same m all the way: the city question is counted even when the format makes it
    unnecessary (it is then skipped, and n moves on by two)."""
    counted = [s for s in STEPS if s is Step.CITY or applies(s, draft, has_username)]
    return (counted.index(step) + 1 if step in counted else len(counted), len(counted))


def previous(step: Step, draft: ProfileDraft, has_username: bool) -> Step | None:
    """The question before `step` for this person (what Back goes to); None on the first."""
    earlier = [s for s in STEPS[: STEPS.index(step)] if applies(s, draft, has_username)]
    return earlier[-1] if earlier else None


def later(step: Step, other: Step | None) -> Step:
    """The one of the two asked later in the questionnaire."""
    return step if other is None or STEPS.index(step) > STEPS.index(other) else other


def following(step: Step, draft: ProfileDraft, has_username: bool) -> Step | None:
    """The question after `step` for this person; None after the last."""
    after = [s for s in STEPS[STEPS.index(step) + 1 :] if applies(s, draft, has_username)]
    return after[0] if after else None


def typed_answer(step: Step, draft: ProfileDraft) -> str | None:
    """The answer so far to a question answered by typing (shown when the question is asked again), if any."""
    if step is Step.TIMEZONE:
        return draft.timezone if is_answered(step, draft) else None
    value = getattr(draft, step.value) if step in TEXT_LIMITS else None
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class TextCheck:
    value: str | None
    problem: str | None = None  # catalog key of the re-ask
    length: int = 0


def check_text(step: Step, raw: str) -> TextCheck:
    low, high = TEXT_LIMITS[step]
    value = raw.strip() if step in (Step.ABOUT, Step.OFFERS, Step.NEEDS) else " ".join(raw.split())
    if not value:
        return TextCheck(None, "q.error.empty")
    if len(value) > high:
        return TextCheck(None, "q.error.too_long", len(value))
    if len(value) < low:
        return TextCheck(None, "q.error.too_short", len(value))
    return TextCheck(value)


OFFSET_PATTERN = re.compile(r"^(?:utc|gmt)?\s*([+-−])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
OFFSET_CHOICES = tuple(range(-12 * 60, 14 * 60 + 1, 60))


def offset_name(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def _zones_by_city() -> dict[str, str]:
    zones: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/")):
            zones.setdefault(zone.rsplit("/", 1)[1].replace("_", " ").lower(), zone)
        zones.setdefault(zone.lower(), zone)
    return zones


ZONES_BY_CITY = _zones_by_city()


@dataclass(frozen=True)
class TimeZoneAnswer:
    name: str
    utc_offset: int


def zone_answer(zone: str, now: datetime | None = None) -> TimeZoneAnswer:
    delta = (now or utcnow()).astimezone(ZoneInfo(zone)).utcoffset()
    return TimeZoneAnswer(zone, int(delta.total_seconds() // 60) if delta else 0)


def parse_timezone(raw: str) -> TimeZoneAnswer | None:
    text = " ".join(raw.split())
    match = OFFSET_PATTERN.match(text)
    if match:
        sign = -1 if match.group(1) in "-−" else 1
        hours, minutes = int(match.group(2)), int(match.group(3) or 0)
        total = sign * (hours * 60 + minutes)
        if minutes >= 60 or not -12 * 60 <= total <= 14 * 60:
            return None
        return TimeZoneAnswer(offset_name(total), total)
    if text.lower() in ("utc", "gmt"):
        return TimeZoneAnswer(offset_name(0), 0)
    zone = ZONES_BY_CITY.get(text.lower())
    return zone_answer(zone) if zone else None


def draft_from(user: User) -> ProfileDraft:
    """A saved profile as a draft to edit (every question answered)."""
    return ProfileDraft(
        name=user.display_name, about=user.about, interests=tuple(user.interests or ()), offers=user.offers,
        needs=user.needs, offer_topics=_tuple(user.offer_topics), need_topics=_tuple(user.need_topics),
        languages=_tuple(user.languages), format=user.meeting_format, city=user.city, timezone=user.timezone,
        utc_offset=user.utc_offset, contact=user.contact, contact_answered=True,
    )


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def lacks_new_answers(user: User) -> bool:
    """A saved profile from before languages and help topics were asked, not yet asked to add them."""
    unanswered = not user.languages or user.offer_topics is None or user.need_topics is None
    return user.has_confirmed_profile and unanswered and user.topics_asked_at is None


def with_choice(chosen: tuple[str, ...], value: str, most: int) -> tuple[str, ...] | None:
    """A multi-select after pressing `value`: toggled off if chosen, else added; None when `most` are chosen."""
    if value in chosen:
        return tuple(item for item in chosen if item != value)
    if len(chosen) >= most:
        return None
    return (*chosen, value)
