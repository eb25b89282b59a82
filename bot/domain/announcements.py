"""The rules of announcements, shared by the service that queues them and the texts that state them."""

from __future__ import annotations

from datetime import timedelta

TEXT_LIMIT = 3800
"""Characters (UTF-16 code units, as Telegram counts) of the admin's text: with the header the bot adds (at most
~170 with a 128-character community name) a copy stays well under Telegram's 4,096."""
PER_WINDOW = 3
WINDOW = timedelta(days=7)
"""At most PER_WINDOW announcements per community in any WINDOW (a rolling 7 days, counted from when each was
sent)."""


def text_length(text: str) -> int:
    """How long Telegram takes `text` to be (it counts UTF-16 code units: an emoji may count as two)."""
    return len(text.encode("utf-16-le")) // 2
