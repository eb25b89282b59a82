"""A member's answer to a meetup invitation (pure values)."""

from __future__ import annotations

import enum


class Rsvp(enum.StrEnum):
    """The answer as a button carries it. "1" and "0" are what older buttons carried for yes and no."""

    YES = "1"
    MAYBE = "m"
    NO = "0"

    @property
    def coming(self) -> bool | None:
        """As stored in `MeetupRsvp.coming`: True, False, or None for maybe."""
        return {Rsvp.YES: True, Rsvp.NO: False, Rsvp.MAYBE: None}[self]

    @classmethod
    def of(cls, coming: bool | None) -> Rsvp:
        return cls.MAYBE if coming is None else cls.YES if coming else cls.NO

    @classmethod
    def parse(cls, value: str) -> Rsvp | None:
        """A button's value; None for a forged one."""
        return cls(value) if value in {answer.value for answer in cls} else None
