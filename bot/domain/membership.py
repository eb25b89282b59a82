"""Membership choices shared by services and presentation."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class JoinOutcome(enum.StrEnum):
    JOINED = "joined"
    REJOINED = "rejoined"
    ALREADY = "already"


@dataclass(frozen=True)
class PauseLength:
    """A pause of `days` days; 0 means until the member resumes."""

    days: int

    def until(self, now: datetime) -> datetime | None:
        return now + timedelta(days=self.days) if self.days else None


PAUSE_CHOICES = (PauseLength(7), PauseLength(14), PauseLength(30), PauseLength(0))
