"""/settings as the admin sees it: the menu with the current values, the tag and topic lists, one item's buttons,
the confirmations for archiving and deleting.

Buttons name the community and, for one tag or topic, its place in the list and a fingerprint of it: a button
made before the list changed no longer matches and is answered as out of date (see bot.handlers.admin_settings).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.db.models import Community
from bot.domain.community_settings import fingerprint
from bot.presentation.callbacks import DbInt
from bot.presentation.render import shorten, tag_label
from bot.presentation.texts import LANGUAGES, Html, Texts, escape

PREVIEW = 120  # characters of the description and note shown in the menu

# Actions. The menu: "" (picked from "Which community?"), MENU; the typed settings: NAME, DESCRIPTION, NOTE (and
# their CLEAR_*); lists: TAGS, TOPICS; one item: TAG / TOPIC and its RENAME_*, REMOVE_*, UP_*, DOWN_*; ADD_*;
# ARCHIVE / UNARCHIVE / DELETE and their confirmations.
MENU, NAME, DESCRIPTION, NOTE, CLEAR_DESCRIPTION, CLEAR_NOTE = "menu", "name", "desc", "note", "desc_x", "note_x"
TAGS, TAG, ADD_TAG, RENAME_TAG, REMOVE_TAG, UP_TAG, DOWN_TAG = "tags", "tag", "tag_add", "tag_ren", "tag_del", \
    "tag_up", "tag_dn"
TOPICS, TOPIC, ADD_TOPIC, RENAME_TOPIC, REMOVE_TOPIC, UP_TOPIC, DOWN_TOPIC = "topics", "topic", "top_add", \
    "top_ren", "top_del", "top_up", "top_dn"
ARCHIVE, ARCHIVE_YES, UNARCHIVE, DELETE, DELETE_YES = "arch", "arch_yes", "unarch", "del", "del_yes"


class SettingsCb(CallbackData, prefix="cs"):
    community_id: DbInt
    action: str = ""
    position: DbInt = -1  # a tag's or topic's place in its list
    mark: str = ""  # its fingerprint


def _button(builder: InlineKeyboardBuilder, texts: Texts, key: str, community_id: int, action: str,
            position: int = -1, mark: str = "", **values: object) -> None:
    builder.button(text=texts.label(key, **values),
                   callback_data=SettingsCb(community_id=community_id, action=action, position=position, mark=mark))


def _preview(texts: Texts, value: str | None) -> Html:
    return Html(escape(shorten(value, PREVIEW))) if value else texts("settings.not_set")


def menu_text(texts: Texts, community: Community, topics: int) -> Html:
    status = texts("settings.status_archived" if community.archived_at else "settings.status_active")
    return texts("settings.menu", community=community.name, description=_preview(texts, community.description),
                 note=_preview(texts, community.intro_note), status=status, tags=len(community.tags),
                 topics=topics)


def menu(texts: Texts, community: Community, deletable: bool) -> InlineKeyboardMarkup:
    """`deletable`: the presser may delete it (the creator, or any admin once the creator's account is gone)."""
    builder, cid = InlineKeyboardBuilder(), community.id
    _button(builder, texts, "settings.b_name", cid, NAME)
    _button(builder, texts, "settings.b_description", cid, DESCRIPTION)
    _button(builder, texts, "settings.b_note", cid, NOTE)
    _button(builder, texts, "settings.b_tags", cid, TAGS)
    _button(builder, texts, "settings.b_topics", cid, TOPICS)
    if community.archived_at is None:
        _button(builder, texts, "settings.b_archive", cid, ARCHIVE)
    else:
        _button(builder, texts, "settings.b_unarchive", cid, UNARCHIVE)
    if deletable:
        _button(builder, texts, "settings.b_delete", cid, DELETE)
    builder.adjust(1, 2, 2, 2)
    return builder.as_markup()


def asking(texts: Texts, community_id: int, clear: str | None) -> InlineKeyboardMarkup:
    """Under "send the text": remove the current one (when there is one), or go back to the menu."""
    builder = InlineKeyboardBuilder()
    if clear:
        _button(builder, texts, "settings.b_clear", community_id, clear)
    _button(builder, texts, "settings.b_back", community_id, MENU)
    builder.adjust(1)
    return builder.as_markup()


def items(texts: Texts, community_id: int, labels: Sequence[str], marks: Sequence[str], *, topics: bool
          ) -> InlineKeyboardMarkup:
    """A tag or topic list: one button per item, then Add and Back."""
    builder = InlineKeyboardBuilder()
    for position, (label, mark) in enumerate(zip(labels, marks, strict=True)):
        builder.button(text=label, callback_data=SettingsCb(community_id=community_id, action=TOPIC if topics else TAG,
                                                            position=position, mark=mark))
    _button(builder, texts, "settings.b_add", community_id, ADD_TOPIC if topics else ADD_TAG)
    _button(builder, texts, "settings.b_back", community_id, MENU)
    builder.adjust(*([2] * ((len(labels) + 1) // 2)), 1, 1)
    return builder.as_markup()


def tag_labels(texts: Texts, tags: Sequence[str]) -> list[str]:
    return [tag_label(texts, tag) for tag in tags]


def tag_names(tags: Sequence[str]) -> list[str]:
    """How the tags read in every language: a new or renamed tag must differ from all of these."""
    return [tag_label(Texts(language), tag) for language in LANGUAGES for tag in tags]


def tag_marks(tags: Sequence[str]) -> list[str]:
    return [fingerprint(tag) for tag in tags]


def item(texts: Texts, community_id: int, position: int, mark: str, count: int, *, topics: bool
         ) -> InlineKeyboardMarkup:
    """One tag's or topic's buttons: rename, remove, move up or down, back to the list."""
    actions = (RENAME_TOPIC, REMOVE_TOPIC, UP_TOPIC, DOWN_TOPIC, TOPICS) if topics else \
        (RENAME_TAG, REMOVE_TAG, UP_TAG, DOWN_TAG, TAGS)
    builder = InlineKeyboardBuilder()
    _button(builder, texts, "settings.b_rename", community_id, actions[0], position, mark)
    _button(builder, texts, "settings.b_remove", community_id, actions[1], position, mark)
    if position > 0:
        _button(builder, texts, "settings.b_up", community_id, actions[2], position, mark)
    if position < count - 1:
        _button(builder, texts, "settings.b_down", community_id, actions[3], position, mark)
    _button(builder, texts, "settings.b_back", community_id, actions[4])
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def confirm(texts: Texts, community_id: int, yes_key: str, yes: str, count: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    _button(builder, texts, yes_key, community_id, yes, count=count)
    _button(builder, texts, "settings.b_back", community_id, MENU)
    builder.adjust(1)
    return builder.as_markup()
