"""Message catalogs (bot/locales/*.json), the `Texts` renderer, and Telegram's message length.

Every interpolated value is HTML-escaped unless it is wrapped in `Html`, so user input can never
inject markup into a message sent with parse_mode HTML.

Plural forms: a placeholder may name a plural word as its format spec, `{count} {count:plural.member}`, and
renders as the form of that word for the number: "21 members" and "21 участник". A plural word has one catalog
entry per plural category of the language, `plural.member#one`, `#few`, `#many`, `#other` (the CLDR rules, read
from Babel: English has one and other, Russian one, few, many and other), so any sentence agrees with any of
its numbers without the code knowing about it.

`pack` splits a list of rendered pieces into messages that each fit Telegram's limit (measured on the safe side,
see `telegram_length`); every long list and every intro is sent through it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from babel import Locale
from babel.numbers import format_decimal, format_percent

from bot.domain.language import DEFAULT_LANGUAGE, LANGUAGES, pick_language

__all__ = [
    "DEFAULT_LANGUAGE", "LANGUAGES", "MESSAGE_LIMIT", "Html", "Texts", "catalog", "escape", "pack", "pick_language",
    "placeholders", "plural_category", "telegram_length",
]

LOCALES_DIR = Path(__file__).parent.parent / "locales"
MESSAGE_LIMIT = 4096
"""Telegram's limit on a message's text, in UTF-16 code units of the text as shown (tags stripped)."""
_TAG = re.compile(r"<[^<>]*>")


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


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def plural_category(language: str, count: int) -> str:
    """CLDR plural category of `count` in `language`: one, few, many or other (English: one or other)."""
    category: str = _locale(language).plural_form(abs(count))
    return category


def plural_categories(language: str) -> frozenset[str]:
    """Every category the language's plural rule can give (the forms a plural key needs in its catalog)."""
    return frozenset(_locale(language).plural_form.tags | {"other"})


def telegram_length(text: str) -> int:
    """An upper bound of the length Telegram checks against its limit: UTF-16 code units of the HTML itself.

    Telegram counts the text as shown (tags stripped, entities decoded); markup only adds to that, so a message
    within the limit by this measure is within it both as sent and as shown, and lengths of pieces add up."""
    return len(text.encode("utf-16-le")) // 2


def pack(pieces: Iterable[Html], *, limit: int = MESSAGE_LIMIT, separator: str = "\n",
         continued: Callable[[], Html] | None = None) -> list[Html]:
    """Pieces joined by `separator` into as few messages as fit `limit` each, in order, never splitting a piece.

    A message after the first starts with `continued()` when given. A piece that cannot fit a message on its own
    is cut at its line breaks (every catalog template keeps its tags within one line, so lines stay valid HTML).
    """
    head = continued() + separator if continued else ""
    gap, head_length = telegram_length(separator), telegram_length(head)
    messages: list[str] = []
    length = 0  # of the last message
    for piece in _fitting(pieces, limit - head_length):
        size = telegram_length(piece)
        if messages and length + gap + size <= limit:
            messages[-1] += separator + piece
            length += gap + size
        else:
            messages.append((head if messages else "") + piece)
            length = (head_length if len(messages) > 1 else 0) + size
    return [Html(message) for message in messages]


def _fitting(pieces: Iterable[Html], limit: int) -> Iterable[str]:
    for piece in pieces:
        if telegram_length(piece) <= limit:
            yield piece
        elif "\n" in piece:
            yield from pack([Html(line) for line in piece.split("\n")], limit=limit)
        else:  # one line longer than a message (no template makes one): its text in plain chunks
            shown = html.unescape(_TAG.sub("", piece))
            step = max(1, limit // 6)  # escaped, a character takes at most six UTF-16 units (&quot;)
            yield from (html.escape(shown[start:start + step]) for start in range(0, len(shown), step))


class Texts:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, **values: Any) -> Html:
        return Html(self._format(key, {name: escape(value) for name, value in values.items()}))

    def label(self, key: str, **values: Any) -> str:
        """Plain text for places Telegram does not parse as HTML (button labels)."""
        return self._format(key, values)

    def decimal(self, value: float, pattern: str = "0.0") -> str:
        """A number as the language writes it (4.5, 4,5)."""
        return str(format_decimal(value, format=pattern, locale=_locale(self.language)))

    def percent(self, share: float) -> str:
        """A share as the language writes it (75%, 75 %)."""
        return str(format_percent(share, locale=_locale(self.language)))

    def has(self, key: str) -> bool:
        return key in catalog(DEFAULT_LANGUAGE)

    def _format(self, key: str, values: dict[str, Any]) -> str:
        template = catalog(self.language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
        return _PluralFormatter(self.language).vformat(template, (), values)


class _PluralFormatter(Formatter):
    """str.format, plus `{name:plural.word}`: the form of `plural.word` for the number in `name`."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> Any:
        if not format_spec.startswith("plural."):
            return super().format_field(value, format_spec)
        try:
            category = plural_category(self.language, int(value))
        except ValueError:  # not a whole number: the general form
            category = "other"
        for language in (self.language, DEFAULT_LANGUAGE):
            forms = catalog(language)
            form = forms.get(f"{format_spec}#{category}") or forms.get(f"{format_spec}#other")
            if form is not None:
                return form
        raise KeyError(format_spec)
