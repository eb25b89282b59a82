"""Help topics and meeting languages: a community's catalogue of topics ("I can help with" / "I'm looking for"),
the languages a member can meet in, and the guess that preselects them (pure values, no I/O).

A topic's identity is its `id`: the engine compares ids, so a member who reads the bot in Russian and one who
reads it in English meet on the same topic. The labels are only how it is shown.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from pydantic import TypeAdapter, ValidationError

MAX_TOPICS = 5  # per side: "I can help with" and "I'm looking for"


@dataclass(frozen=True)
class HelpTopic:
    id: str
    en: str
    ru: str

    def label(self, language: str) -> str:
        return self.ru if language == "ru" and self.ru else self.en


DEFAULT_TOPICS = (
    HelpTopic("hiring", "Hiring", "Найм"),
    HelpTopic("fundraising", "Fundraising", "Привлечение инвестиций"),
    HelpTopic("product", "Product management", "Управление продуктом"),
    HelpTopic("marketing", "Marketing", "Маркетинг"),
    HelpTopic("sales", "Sales", "Продажи"),
    HelpTopic("engineering", "Engineering", "Разработка"),
    HelpTopic("design", "Design and UX", "Дизайн и UX"),
    HelpTopic("data", "Data and AI", "Данные и ИИ"),
    HelpTopic("career", "Career advice", "Карьерные советы"),
    HelpTopic("mentoring", "Mentoring", "Менторство"),
    HelpTopic("legal", "Legal questions", "Юридические вопросы"),
    HelpTopic("finance", "Finance and accounting", "Финансы и бухгалтерия"),
    HelpTopic("partnerships", "Partnerships", "Партнёрства"),
    HelpTopic("cofounder", "Finding a co-founder", "Поиск сооснователя"),
    HelpTopic("relocation", "Relocation", "Релокация"),
    HelpTopic("speaking", "Public speaking", "Публичные выступления"),
)
DEFAULT_BY_ID = {topic.id: topic for topic in DEFAULT_TOPICS}
_TOPIC = TypeAdapter(HelpTopic)


def default_catalogue() -> list[dict[str, str]]:
    """The default topics as a community stores them (`communities.help_topics`)."""
    return [asdict(topic) for topic in DEFAULT_TOPICS]


def catalogue(stored: object) -> tuple[HelpTopic, ...]:
    """A community's stored catalogue read leniently (an entry that does not parse is left out, a repeated id
    counts once); a community without one uses the default topics."""
    if not isinstance(stored, list):
        return DEFAULT_TOPICS
    found: dict[str, HelpTopic] = {}
    for raw in stored:
        try:
            topic = _TOPIC.validate_python(raw)
        except ValidationError:
            continue
        if topic.id:
            found.setdefault(topic.id, topic)
    return tuple(found.values()) or DEFAULT_TOPICS


def merged(catalogues: Iterable[Sequence[HelpTopic]]) -> tuple[HelpTopic, ...]:
    """Several catalogues as one (the first label of each id wins)."""
    found: dict[str, HelpTopic] = {}
    for topics in catalogues:
        for topic in topics:
            found.setdefault(topic.id, topic)
    return tuple(found.values())


def topic_label(topic_id: str, language: str, topics: Sequence[HelpTopic] = DEFAULT_TOPICS) -> str:
    """How a chosen topic id reads: its catalogue label, else the default one, else the id itself."""
    known = next((topic for topic in topics if topic.id == topic_id), None) or DEFAULT_BY_ID.get(topic_id)
    return known.label(language) if known else topic_id.replace("_", " ")


# Languages people meet in, named in their own language (no catalog text needed).
MEETING_LANGUAGES = {
    "en": "English", "ru": "Русский", "uk": "Українська", "de": "Deutsch", "fr": "Français", "es": "Español",
    "it": "Italiano", "pt": "Português", "pl": "Polski", "tr": "Türkçe",
}
_SCRIPT_SHARE = 0.3  # a script counts when at least this share of the letters is in it


def written_in(texts: Iterable[str | None]) -> tuple[str, ...]:
    """A cheap guess of the languages answers are written in, by script: Cyrillic → ru, Latin → en."""
    counts = {"ru": 0, "en": 0}
    for text in texts:
        for char in text or "":
            if char.isalpha():
                name = unicodedata.name(char, "")
                if name.startswith("CYRILLIC"):
                    counts["ru"] += 1
                elif name.startswith("LATIN"):
                    counts["en"] += 1
    letters = sum(counts.values())
    return tuple(code for code, count in counts.items() if letters and count / letters >= _SCRIPT_SHARE)


def suggested_languages(interface_language: str, answers: Iterable[str | None]) -> tuple[str, ...]:
    """Preselected meeting languages: the person's Telegram (interface) language and their answers' script."""
    guessed = [interface_language, *written_in(answers)]
    return tuple(dict.fromkeys(code for code in guessed if code in MEETING_LANGUAGES))


def meeting_languages(chosen: Sequence[str] | None, interface_language: str) -> tuple[str, ...]:
    """The languages a member meets in: those they chose, or (never asked) their interface language."""
    return tuple(chosen) if chosen else (interface_language,)
