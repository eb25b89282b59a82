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
    utc_offset: int | None = None  # minutes
    languages: tuple[str, ...] = ()


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
    """`giver` can help `receiver` with `what` (the receiver's own words, or the overlapping words)."""

    giver: int
    receiver: int
    what: str
    exact: bool  # the whole need phrase is covered by the giver's offer


@dataclass(frozen=True)
class Reasons:
    shared_interests: tuple[str, ...] = ()  # for a trio: tags shared by at least two of them
    helps: tuple[Help, ...] = ()
    same_city: str | None = None
    meeting_format: Literal["offline", "online"] = "online"  # offline only when everyone can meet in person
    format_compatible: bool = True
    shared_languages: tuple[str, ...] = ()
    timezone_difference: int | None = None  # minutes, largest inside the match; None if unknown


@dataclass(frozen=True)
class Match:
    members: tuple[int, ...]  # 2, or 3 for the trio
    repeat: bool
    score: float
    reasons: Reasons


@dataclass(frozen=True)
class Unmatched:
    id: int
    reason: str  # machine code: alone, blocked_all, no_compatible_partner, no_free_partner
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
