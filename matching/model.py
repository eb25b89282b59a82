"""Plain data in and out of the matching engine (frozen dataclasses, no behaviour beyond validation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Format = Literal["online", "offline", "any"]
FORMATS: tuple[Format, ...] = ("online", "offline", "any")


class InputError(ValueError):
    """The instance breaks a rule of the input format (unknown format value, duplicate ids, …)."""


@dataclass(frozen=True)
class Member:
    id: int
    interests: tuple[str, ...] = ()
    offers: str = ""
    needs: str = ""
    format: Format = "any"
    city: str | None = None
    utc_offset: int | None = None  # minutes east of UTC (the bot's stored offset of the member's zone)
    languages: tuple[str, ...] = ()  # codes of the languages they can meet in; empty: unknown (meets anyone)
    offer_topics: tuple[str, ...] = ()  # help topics they can help with (ids or slugs: the same in any language)
    need_topics: tuple[str, ...] = ()  # help topics they are looking for


@dataclass(frozen=True)
class Meeting:
    """A past pair, trio or group: every pair inside counts as having met."""

    members: tuple[int, ...]
    round: int


@dataclass(frozen=True)
class Instance:
    members: tuple[Member, ...]
    history: tuple[Meeting, ...] = ()
    blocked: tuple[tuple[int, int], ...] = ()
    round: int = 0

    def __post_init__(self) -> None:
        seen: set[int] = set()
        for member in self.members:
            if member.id in seen:
                raise InputError(f"duplicate member id {member.id}")
            if member.format not in FORMATS:
                raise InputError(f"member {member.id}: unknown format {member.format!r}")
            seen.add(member.id)


@dataclass(frozen=True)
class Help:
    """From free text: `giver`'s offer answers `receiver`'s need phrase `what`. Both phrases are quoted whole, as
    their authors wrote them (trimmed of filler such as "I can help with"): an intro quotes the other person's own
    phrase — to the giver the receiver's `what`, to the receiver the giver's `offer`."""

    giver: int
    receiver: int
    what: str  # the receiver's whole need phrase
    exact: bool  # every word of the need phrase is in the giver's offer (else most of them, at least two)
    offer: str = ""  # the giver's whole offer phrase that shares the most words with it


@dataclass(frozen=True)
class TopicHelp:
    """From help topics: `giver` offers the `topics` that `receiver` is looking for (topic ids as given)."""

    giver: int
    receiver: int
    topics: tuple[str, ...]
    mutual: bool  # the receiver also offers something the giver is looking for


@dataclass(frozen=True)
class Reasons:
    shared_interests: tuple[str, ...] = ()  # for a trio: tags shared by at least two of them
    helps: tuple[Help, ...] = ()
    same_city: str | None = None
    meeting_format: Literal["offline", "online"] = "online"  # offline only when everyone can meet in person
    format_compatible: bool = True  # everyone may meet everyone: format, place and one shared language (`can_meet_all`)
    shared_languages: tuple[str, ...] = ()  # spoken by everyone who lists languages (normalised codes)
    timezone_difference: int | None = None  # minutes, largest inside the match; None if unknown
    topic_helps: tuple[TopicHelp, ...] = ()  # one per direction with topics: who helps whom with which topics
    daytime_overlap: int | None = None  # minutes of a 09:00–21:00 day everyone shares; None if an offset is unknown


@dataclass(frozen=True)
class Match:
    members: tuple[int, ...]  # 2, or 3 for the trio
    repeat: bool
    score: float
    reasons: Reasons


@dataclass(frozen=True)
class Unmatched:
    id: int
    reason: str  # machine code: alone, blocked_all, no_compatible_partner, no_shared_language, no_free_partner
    text: str = ""


@dataclass(frozen=True)
class PairStats:
    repeats: int  # pairs inside matches that had met before
    score: float
    seconds: float
    strategy: str  # "schedule" (continuing a round-robin) or "optimise"


@dataclass(frozen=True)
class PairResult:
    matches: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]
    stats: PairStats
