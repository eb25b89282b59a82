"""Announcements as members read them, the admin's preview and confirmation, and the mute buttons.

The admin's text goes out escaped, as plain text: whatever they type (`<b>`, `&`, a link) reads exactly as
typed and can never break the message or inject markup; the bot's own header is the only formatting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_datetime

from bot.presentation.callbacks import DbInt
from bot.presentation.texts import Html, Texts, escape

SEND, CANCEL = "send", "cancel"
PATTERNS = {"en": "EEE d MMM, HH:mm", "ru": "EEE, d MMM, HH:mm"}


class AnnounceCb(CallbackData, prefix="an"):
    """The admin's side: "" picks the community (/announce with several), SEND / CANCEL act on their draft."""

    community_id: DbInt
    announcement_id: DbInt = 0
    action: str = ""


class AnnouncementsMuteCb(CallbackData, prefix="am"):
    """A member mutes (or unmutes) one community's announcements; `listed`: pressed in /announcements."""

    community_id: DbInt
    mute: bool
    listed: bool = False


def message(texts: Texts, community: str, text: str) -> Html:
    """The announcement as a member reads it: the community named in the header, the admin's text escaped."""
    return Html(f"{texts('announce.header', community=community)}\n\n{escape(text)}")


def mute_button(texts: Texts, community_id: int, *, muted: bool = False) -> InlineKeyboardMarkup:
    """Under each announcement: mute this community's announcements (after a press: unmute)."""
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.label("announce.unmute" if muted else "announce.mute"),
                   callback_data=AnnouncementsMuteCb(community_id=community_id, mute=not muted))
    return builder.as_markup()


def confirm(texts: Texts, community_id: int, announcement_id: int, count: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.label("announce.send", count=count),
                   callback_data=AnnounceCb(community_id=community_id, announcement_id=announcement_id, action=SEND))
    builder.button(text=texts.label("announce.cancel"),
                   callback_data=AnnounceCb(community_id=community_id, announcement_id=announcement_id,
                                            action=CANCEL))
    builder.adjust(1)
    return builder.as_markup()


def settings(texts: Texts, memberships: Sequence[tuple[int, str, bool]]) -> InlineKeyboardMarkup:
    """/announcements: one toggle per community (id, name, muted)."""
    builder = InlineKeyboardBuilder()
    for community_id, name, muted in memberships:
        builder.button(text=texts.label("announcements.muted" if muted else "announcements.on", community=name),
                       callback_data=AnnouncementsMuteCb(community_id=community_id, mute=not muted, listed=True))
    builder.adjust(1)
    return builder.as_markup()


def moment(texts: Texts, when: datetime, zone: str | None) -> Html:
    """A moment in the reader's zone (else UTC), in their language, with the zone named."""
    try:
        rules, name = ZoneInfo(zone or "UTC"), zone or "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        rules, name = ZoneInfo("UTC"), "UTC"
    shown = format_datetime(when.astimezone(rules), PATTERNS.get(texts.language, PATTERNS["en"]),
                            locale=texts.language)
    return texts("announce.moment", when=shown, zone=name)
