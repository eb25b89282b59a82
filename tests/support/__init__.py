"""Telegram test harness: a fake Bot API server plus factories for real update dicts."""

from .fake_telegram import (
    ApiCall,
    FailureRule,
    FakeTelegram,
    SentMessage,
    TelegramError,
    UploadedFile,
    html_to_plain,
)
from .updates import (
    BOT_USER,
    ButtonNotFoundError,
    TgUser,
    UpdateFactory,
    chat_member_dict,
    find_button,
    group_chat,
    private_chat,
)

__all__ = [
    "BOT_USER",
    "ApiCall",
    "ButtonNotFoundError",
    "FailureRule",
    "FakeTelegram",
    "SentMessage",
    "TelegramError",
    "TgUser",
    "UpdateFactory",
    "UploadedFile",
    "chat_member_dict",
    "find_button",
    "group_chat",
    "html_to_plain",
    "private_chat",
]
