"""The languages the bot speaks, and the choice for a new person."""

from __future__ import annotations

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"


def pick_language(language_code: str | None) -> str:
    """Telegram's language code of the person ("ru", "en-US", …), or the default."""
    code = (language_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE
