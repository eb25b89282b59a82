"""Factories for Telegram update dicts, shaped exactly as the Bot API sends them.

Every dict produced here validates with ``aiogram.types.Update.model_validate``; the
self-test in ``tests/test_fake_telegram.py`` checks that.

Usage::

    f = UpdateFactory()
    alice = TgUser(1001, "Alice", username="alice")
    upd = f.message(alice, "/start ref_42")            # private chat, bot_command entity
    await dp.feed_raw_update(bot, upd)                  # or: tg.push_update(upd) for polling
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fake_telegram import SentMessage

__all__ = [
    "BOT_USER",
    "ButtonNotFoundError",
    "TgUser",
    "UpdateFactory",
    "chat_member_dict",
    "find_button",
    "group_chat",
    "private_chat",
    "utf16_len",
]

# The identity of the bot served by FakeTelegram (returned by getMe).
BOT_USER: dict[str, Any] = {
    "id": 4242,
    "is_bot": True,
    "first_name": "Coffee",
    "username": "coffee_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,64})?")

_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)

_RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


class ButtonNotFoundError(AssertionError, LookupError):
    """Raised when a button with the requested text is not present in a message."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets/lengths."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class TgUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> dict[str, Any]:
        return private_chat(self)


def _user_dict(user: TgUser | dict[str, Any]) -> dict[str, Any]:
    return user.as_dict() if isinstance(user, TgUser) else dict(user)


def private_chat(user: TgUser | dict[str, Any]) -> dict[str, Any]:
    u = _user_dict(user)
    chat: dict[str, Any] = {"id": u["id"], "type": "private", "first_name": u["first_name"]}
    if u.get("last_name"):
        chat["last_name"] = u["last_name"]
    if u.get("username"):
        chat["username"] = u["username"]
    return chat


def group_chat(chat_id: int, title: str, chat_type: str = "supergroup") -> dict[str, Any]:
    if chat_type not in ("group", "supergroup"):
        raise ValueError(f"chat_type must be 'group' or 'supergroup', not {chat_type!r}")
    return {"id": chat_id, "type": chat_type, "title": title}


def chat_member_dict(
    user: TgUser | dict[str, Any],
    status: str = "member",
    *,
    until_date: int = 0,
    can_be_edited: bool = False,
    is_anonymous: bool = False,
    rights: bool = True,
    custom_title: str | None = None,
) -> dict[str, Any]:
    """A ChatMember* dict valid for aiogram 3.31 (owner/administrator/member/restricted/left/kicked)."""
    u = _user_dict(user)
    if status == "creator":
        data: dict[str, Any] = {"status": "creator", "user": u, "is_anonymous": is_anonymous}
        if custom_title:
            data["custom_title"] = custom_title
        return data
    if status == "administrator":
        data = {"status": "administrator", "user": u, "can_be_edited": can_be_edited,
                "is_anonymous": is_anonymous}
        data.update(dict.fromkeys(_ADMIN_RIGHTS, rights))
        data["can_pin_messages"] = rights
        data["can_manage_topics"] = False
        if custom_title:
            data["custom_title"] = custom_title
        return data
    if status == "member":
        return {"status": "member", "user": u}
    if status == "restricted":
        data = {"status": "restricted", "user": u, "is_member": True, "until_date": until_date}
        data.update(dict.fromkeys(_RESTRICTED_RIGHTS, False))
        return data
    if status == "left":
        return {"status": "left", "user": u}
    if status == "kicked":
        return {"status": "kicked", "user": u, "until_date": until_date}
    raise ValueError(f"unknown chat member status {status!r}")


def _buttons_of(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


def find_button(markup: dict[str, Any] | None, button_text: str) -> dict[str, Any]:
    """Find an inline button by exact text, else by a unique substring match."""
    buttons = _buttons_of(markup)
    for button in buttons:
        if button.get("text") == button_text:
            return button
    partial = [b for b in buttons if button_text in str(b.get("text", ""))]
    if len(partial) == 1:
        return partial[0]
    available = [b.get("text") for b in buttons]
    if partial:
        raise ButtonNotFoundError(f"button text {button_text!r} is ambiguous among {available!r}")
    raise ButtonNotFoundError(f"no button {button_text!r}; available buttons: {available!r}")


class UpdateFactory:
    """Builds update dicts with incrementing update_id and message_id."""

    def __init__(
        self,
        *,
        bot_user: dict[str, Any] | None = None,
        first_update_id: int = 1,
        first_message_id: int = 1,
    ) -> None:
        self.bot_user = dict(bot_user or BOT_USER)
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(first_message_id)

    # -- primitives -----------------------------------------------------------------------------------
    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_message_id(self) -> int:
        return next(self._message_ids)

    @staticmethod
    def now() -> int:
        return int(time.time())

    def _update(self, **payload: Any) -> dict[str, Any]:
        return {"update_id": self.next_update_id(), **payload}

    def _message_dict(
        self,
        user: TgUser | dict[str, Any],
        chat: dict[str, Any] | None,
        **content: Any,
    ) -> dict[str, Any]:
        return {
            "message_id": self.next_message_id(),
            "from": _user_dict(user),
            "chat": dict(chat) if chat is not None else private_chat(user),
            "date": self.now(),
            **content,
        }

    @staticmethod
    def text_content(text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        match = _COMMAND_RE.match(text)
        if match:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}
            ]
        return content

    # -- messages -------------------------------------------------------------------------------------
    def message(
        self, user: TgUser | dict[str, Any], text: str, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A text message (private chat with ``user`` unless ``chat`` is given)."""
        return self._update(message=self._message_dict(user, chat, **self.text_content(text)))

    def command(
        self, user: TgUser | dict[str, Any], command: str, args: str | None = None,
        chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        text = "/" + command.lstrip("/") + (f" {args}" if args else "")
        return self.message(user, text, chat)

    def group_message(
        self, user: TgUser | dict[str, Any], chat_id: int, chat_title: str, text: str,
        chat_type: str = "supergroup",
    ) -> dict[str, Any]:
        return self.message(user, text, chat=group_chat(chat_id, chat_title, chat_type))

    def sticker(
        self, user: TgUser | dict[str, Any], chat: dict[str, Any] | None = None, emoji: str = "👍"
    ) -> dict[str, Any]:
        uid = uuid.uuid4().hex[:16]
        sticker = {
            "file_id": f"CAACAgIAAx-{uid}",
            "file_unique_id": f"AgAD{uid[:8]}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "TestStickers",
            "file_size": 12345,
        }
        return self._update(message=self._message_dict(user, chat, sticker=sticker))

    def photo(
        self, user: TgUser | dict[str, Any], chat: dict[str, Any] | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        uid = uuid.uuid4().hex[:16]
        sizes = [
            {"file_id": f"AgACAgIAAx-{uid}-{w}", "file_unique_id": f"AQAD{uid[:6]}{i}",
             "width": w, "height": w * 3 // 4, "file_size": w * 40}
            for i, w in enumerate((90, 320, 800))
        ]
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._update(message=self._message_dict(user, chat, **content))

    def voice(
        self, user: TgUser | dict[str, Any], chat: dict[str, Any] | None = None, duration: int = 3
    ) -> dict[str, Any]:
        uid = uuid.uuid4().hex[:16]
        voice = {"file_id": f"AwACAgIAAx-{uid}", "file_unique_id": f"AgAD{uid[:8]}",
                 "duration": duration, "mime_type": "audio/ogg", "file_size": 4096}
        return self._update(message=self._message_dict(user, chat, voice=voice))

    # -- callbacks ------------------------------------------------------------------------------------
    def bot_message_dict(
        self,
        chat: dict[str, Any],
        message_id: int,
        text: str = "",
        reply_markup: dict[str, Any] | None = None,
        date: int | None = None,
    ) -> dict[str, Any]:
        """A message sent *by the bot* (as embedded in a callback_query)."""
        msg: dict[str, Any] = {
            "message_id": message_id,
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": date if date is not None else self.now(),
        }
        if text:
            msg["text"] = text
        if reply_markup and "inline_keyboard" in reply_markup:
            msg["reply_markup"] = reply_markup
        return msg

    def callback(
        self,
        user: TgUser | dict[str, Any],
        data: str,
        message_id: int,
        chat_id: int | None = None,
        message_text: str = "",
        *,
        chat: dict[str, Any] | None = None,
        reply_markup: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A callback_query from pressing an inline button on bot message ``message_id``."""
        u = _user_dict(user)
        if chat is None:
            chat = private_chat(u) if chat_id is None or chat_id == u["id"] else (
                {"id": chat_id, "type": "private", "first_name": "User"} if chat_id > 0
                else group_chat(chat_id, f"Chat {chat_id}")
            )
        message = self.bot_message_dict(chat, message_id, message_text, reply_markup)
        return self._update(
            callback_query={
                "id": str(uuid.uuid4().int % 10**18),
                "from": u,
                "message": message,
                "chat_instance": str(abs(hash((u["id"], chat["id"]))) % 10**18),
                "data": data,
            }
        )

    def callback_from_button(
        self, user: TgUser | dict[str, Any], sent_message: SentMessage, button_text: str
    ) -> dict[str, Any]:
        """Press the button ``button_text`` on a message recorded by FakeTelegram.

        Raises ButtonNotFoundError (an AssertionError) if there is no such button or it is a URL
        button without callback_data.
        """
        button = find_button(sent_message.reply_markup, button_text)
        if "callback_data" not in button:
            raise ButtonNotFoundError(f"button {button.get('text')!r} has no callback_data: {button!r}")
        return self.callback(
            user,
            button["callback_data"],
            sent_message.message_id,
            chat=sent_message.chat,
            message_text=sent_message.plain_text,
            reply_markup=sent_message.reply_markup,
        )

    # -- membership -----------------------------------------------------------------------------------
    def my_chat_member(
        self,
        adder_user: TgUser | dict[str, Any],
        chat_id: int,
        chat_title: str,
        new_status: str = "member",
        old_status: str = "left",
        chat_type: str = "supergroup",
    ) -> dict[str, Any]:
        """The bot's own membership changed (e.g. added to a group by ``adder_user``)."""
        return self._update(
            my_chat_member={
                "chat": group_chat(chat_id, chat_title, chat_type),
                "from": _user_dict(adder_user),
                "date": self.now(),
                "old_chat_member": chat_member_dict(self.bot_user, old_status),
                "new_chat_member": chat_member_dict(self.bot_user, new_status),
            }
        )

    def chat_member(
        self,
        user: TgUser | dict[str, Any],
        chat_id: int,
        chat_title: str,
        new_status: str,
        old_status: str,
        actor: TgUser | dict[str, Any] | None = None,
        chat_type: str = "supergroup",
    ) -> dict[str, Any]:
        """Another member's status changed (requires allowed_updates=['chat_member'] in reality)."""
        return self._update(
            chat_member={
                "chat": group_chat(chat_id, chat_title, chat_type),
                "from": _user_dict(actor if actor is not None else user),
                "date": self.now(),
                "old_chat_member": chat_member_dict(user, old_status),
                "new_chat_member": chat_member_dict(user, new_status),
            }
        )

    def chat_member_left(
        self, user: TgUser | dict[str, Any], chat_id: int, chat_title: str,
        old_status: str = "member", chat_type: str = "supergroup",
    ) -> dict[str, Any]:
        return self.chat_member(user, chat_id, chat_title, "left", old_status, chat_type=chat_type)

    def chat_member_joined(
        self, user: TgUser | dict[str, Any], chat_id: int, chat_title: str, chat_type: str = "supergroup"
    ) -> dict[str, Any]:
        return self.chat_member(user, chat_id, chat_title, "member", "left", chat_type=chat_type)
