"""Message catalogs (bot/locales/*.json) and the `Texts` renderer.

Every interpolated value is HTML-escaped unless it is wrapped in `Html`, so user input can never
inject markup into a message sent with parse_mode HTML.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from bot.domain.language import DEFAULT_LANGUAGE, LANGUAGES, pick_language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Html", "Texts", "catalog", "escape", "pick_language", "placeholders"]

LOCALES_DIR = Path(__file__).parent.parent / "locales"


class Html(str):
    """A string that is already safe HTML (rendered from the catalog or escaped before)."""


@cache
def catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / f"{language}.json").open(encoding="utf-8") as file:
        data: dict[str, str] = json.load(file)
    return data


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def escape(value: object) -> str:
    return value if isinstance(value, Html) else html.escape(str(value))


class Texts:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, **values: Any) -> Html:
        template = catalog(self.language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
        return Html(template.format(**{name: escape(value) for name, value in values.items()}))

    def label(self, key: str, **values: Any) -> str:
        """Plain text for places Telegram does not parse as HTML (button labels)."""
        template = catalog(self.language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
        return template.format(**values)

    def has(self, key: str) -> bool:
        return key in catalog(DEFAULT_LANGUAGE)
