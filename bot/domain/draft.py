"""Typed values kept as JSON and read back: the questionnaire's profile draft (FSM storage) and a match's
reasons (`Match.reasons`). Reading never fails: a field that is missing or does not parse — a row written by
an older version, say — is left out, so it counts as unanswered (draft) or takes its default (reasons)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, get_type_hints

from pydantic import TypeAdapter, ValidationError

from bot.db.models import MeetingFormat
from matching import Reasons


@cache
def _adapter(cls: type, name: str) -> TypeAdapter[Any]:
    return TypeAdapter(get_type_hints(cls)[name])


def valid_fields(cls: type, raw: object) -> dict[str, Any]:
    """The fields of dataclass `cls` that `raw` holds and that parse; the others are left out."""
    if not isinstance(raw, Mapping):
        return {}
    found: dict[str, Any] = {}
    for field in fields(cls):
        if field.name in raw:
            try:
                found[field.name] = _adapter(cls, field.name).validate_python(raw[field.name])
            except ValidationError:
                continue
    return found


@dataclass(frozen=True)
class ProfileDraft:
    """A profile's answers so far. `contact` None with `contact_answered` means "my Telegram link is fine";
    help topics None: not answered yet, () answered with none; languages None: not chosen yet (the question
    shows a guess)."""

    name: str | None = None
    about: str | None = None
    interests: tuple[str, ...] = ()
    offers: str | None = None
    needs: str | None = None
    offer_topics: tuple[str, ...] | None = None
    need_topics: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    format: MeetingFormat | None = None
    city: str | None = None
    timezone: str | None = None
    utc_offset: int | None = None
    contact: str | None = None
    contact_answered: bool = False

    @classmethod
    def from_storage(cls, raw: object) -> ProfileDraft:
        """The draft as `to_storage` wrote it (or as an older version did); never raises."""
        found = valid_fields(cls, raw)
        found.pop("contact_answered", None)  # not a stored key: a stored "contact" is the answer
        return cls(**found, contact_answered="contact" in found)

    def to_storage(self) -> dict[str, Any]:
        """JSON-ready, in the FSM's long-standing shape: "contact" is present only once answered."""
        stored: dict[str, Any] = {
            "name": self.name, "about": self.about, "interests": list(self.interests), "offers": self.offers,
            "needs": self.needs, "offer_topics": _listed(self.offer_topics), "need_topics": _listed(self.need_topics),
            "languages": _listed(self.languages), "format": self.format.value if self.format else None,
            "city": self.city, "timezone": self.timezone, "utc_offset": self.utc_offset,
        }
        if self.contact_answered:
            stored["contact"] = self.contact
        return stored


def _listed(values: tuple[str, ...] | None) -> list[str] | None:
    return None if values is None else list(values)


def reasons_from_storage(raw: object) -> Reasons:
    """A match's reasons as stored (`dataclasses.asdict` of `matching.Reasons`, as JSON) back as `Reasons`;
    a field that is missing or does not parse takes its default (a bad help drops the list of helps)."""
    return Reasons(**valid_fields(Reasons, raw))
