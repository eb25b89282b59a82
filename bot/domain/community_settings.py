"""Community settings as pure values: limits and cleaning of what an organiser types, edits of the interest tags
and help-topic catalogues (add, rename, remove, move), and the short fingerprint a button carries so that a
button made before the list changed is recognised as out of date (no I/O)."""

from __future__ import annotations

import enum
import secrets
import zlib
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from bot.domain.topics import HelpTopic

DESCRIPTION_LIMIT = 700  # shown with the welcome on joining
NOTE_LIMIT = 300  # added to every intro: short, so every intro stays within one Telegram message where it was
ITEM_LIMIT = 40  # a tag's or a topic's name
MAX_ITEMS = 30  # tags or topics per community (the questionnaire shows them as buttons)

T = TypeVar("T")


class Setting(enum.StrEnum):
    """What a typed answer is for (kept in the chat's state while awaited)."""

    NAME = "name"
    DESCRIPTION = "description"
    NOTE = "note"
    TAG_ADD = "tag_add"
    TAG_RENAME = "tag_rename"
    TOPIC_ADD = "topic_add"
    TOPIC_RENAME = "topic_rename"


LIMITS = {Setting.DESCRIPTION: DESCRIPTION_LIMIT, Setting.NOTE: NOTE_LIMIT}


class Problem(enum.StrEnum):
    """Why a typed answer cannot be taken."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    TAKEN = "taken"
    FULL = "full"


def length(text: str) -> int:
    """Characters as Telegram counts them (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def clean_text(raw: str) -> str:
    """A description or note: lines kept (trailing spaces removed), at most one empty line in a row."""
    lines = [line.rstrip() for line in raw.strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def clean_item(raw: str) -> str:
    """A tag's or topic's name: one line, spaces collapsed."""
    return " ".join(raw.split())


def text_problem(text: str, limit: int) -> Problem | None:
    if not text:
        return Problem.EMPTY
    return Problem.TOO_LONG if length(text) > limit else None


def item_problem(name: str, existing: Sequence[str], *, adding: bool, also: Sequence[str] = ()) -> Problem | None:
    """A new or renamed tag/topic name: not empty, not too long, not already there (any letter case; `also`: the
    names the existing ones are shown by, in every language)."""
    if not name:
        return Problem.EMPTY
    if length(name) > ITEM_LIMIT:
        return Problem.TOO_LONG
    if any(other.casefold() == name.casefold() for other in [*existing, *also]):
        return Problem.TAKEN
    if adding and len(existing) >= MAX_ITEMS:
        return Problem.FULL
    return None


def may_delete(owner_id: int | None, user_id: int) -> bool:
    """Deleting is the creator's right (as /admins keeps them from being removed); when the creator's account is
    gone (erased: owner_id None), any admin may delete."""
    return owner_id is None or owner_id == user_id


def fingerprint(value: str) -> str:
    """Eight hex characters naming a tag or topic id in a button (fits the 64-byte callback data)."""
    return f"{zlib.crc32(value.encode()):08x}"


def find(values: Sequence[str], position: int, mark: str) -> str | None:
    """The value at `position` if it is still the one the button was made for (else None: out of date)."""
    if 0 <= position < len(values) and fingerprint(values[position]) == mark:
        return values[position]
    return None


def moved(items: Sequence[T], position: int, step: int) -> list[T]:
    """`items` with the one at `position` moved one place up (step -1) or down (+1); unchanged at an end."""
    result, target = list(items), position + step
    if 0 <= position < len(result) and 0 <= target < len(result):
        result[position], result[target] = result[target], result[position]
    return result


def renamed_tags(tags: Sequence[str], old: str, new: str) -> list[str]:
    return [new if tag == old else tag for tag in tags]


def new_topic(name: str, taken: Sequence[str]) -> HelpTopic:
    """A topic an organiser added: a fresh id (never one of `taken`), the same name in both languages."""
    while True:
        topic_id = f"c_{secrets.token_hex(4)}"
        if topic_id not in taken:
            return HelpTopic(topic_id, name, name)


def relabelled(topic: HelpTopic, name: str, language: str) -> HelpTopic:
    """A renamed topic: the name in the organiser's language; the other language's label follows when it was
    the same text (a topic typed once reads the same in both)."""
    if language == "ru":
        return replace(topic, ru=name, en=name if topic.en == topic.ru else topic.en)
    return replace(topic, en=name, ru=name if topic.ru == topic.en else topic.ru)
