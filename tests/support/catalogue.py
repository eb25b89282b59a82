"""What the bot is expected to say, rendered from its message catalogues (bot/locales/*.json).

Tests assert on these renderings, never on English copied into the test: a changed wording changes the
expectation with it, while a wrong key, a wrong value or a missing message still fails.

    en.html(key, **values)   the message as sent (HTML, values escaped) — compare with SentMessage.text
    en.text(key, **values)   the message as the chat shows it (tags stripped, the way the fake server
                             strips them) — compare with SentMessage.plain_text, plain(...) and alerts
    en.label(key, **values)  a button label or a callback alert (Telegram does not parse these as HTML,
                             so values appear verbatim)
    en.like(key, **values)   a pattern for the shown text in which each placeholder not given (a date,
                             a link, a code) stands for any non-empty text; use with .search

A value that is itself a catalogue text goes in as `en.html(...)` (already safe HTML, not escaped again).
`Person.tr` / `Person.label` / `Person.press_key` do the same in the language the person is spoken to in.
"""

from __future__ import annotations

import re
from typing import Any

from bot.presentation.texts import Html, Texts, catalog, placeholders
from tests.support.fake_telegram import html_to_plain


class Catalogue:
    def __init__(self, language: str) -> None:
        self.texts = Texts(language)
        self.language = self.texts.language

    def template(self, key: str) -> str:
        return catalog(self.language).get(key) or catalog("en")[key]

    def html(self, key: str, **values: Any) -> Html:
        return self.texts(key, **values)

    def text(self, key: str, **values: Any) -> str:
        return html_to_plain(self.texts(key, **values))

    def label(self, key: str, **values: Any) -> str:
        return self.texts.label(key, **values)

    def like(self, key: str, **values: Any) -> re.Pattern[str]:
        unknown = sorted(placeholders(self.template(key)) - values.keys())
        marks = {name: f"\x00{index}\x00" for index, name in enumerate(unknown)}
        shown = html_to_plain(self.texts(key, **values, **{name: Html(mark) for name, mark in marks.items()}))
        pattern = re.escape(shown)
        for name, mark in marks.items():
            escaped = re.escape(mark)
            pattern = pattern.replace(escaped, f"(?P<{name}>.+?)", 1).replace(escaped, f"(?P={name})")
        return re.compile(pattern, re.DOTALL)


en = Catalogue("en")
ru = Catalogue("ru")
