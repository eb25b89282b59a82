"""Drive the real Dispatcher the way a person would: type messages, press buttons, read replies."""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot, Dispatcher

from bot.presentation.texts import pick_language
from tests.support.catalogue import Catalogue
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.support.updates import TgUser, UpdateFactory


class Person:
    def __init__(self, user: TgUser, dispatcher: Dispatcher, bot: Bot, tg: FakeTelegram,
                 updates: UpdateFactory) -> None:
        self.user, self.dispatcher, self.bot, self.tg, self.updates = user, dispatcher, bot, tg, updates
        self.language = pick_language(user.language_code)
        """The language the bot speaks to this person: their Telegram language until /language changes it."""

    @property
    def id(self) -> int:
        return self.user.id

    async def feed(self, update: dict[str, Any]) -> list[SentMessage]:
        """Feed one update; return the messages sent or edited in this person's chat because of it."""
        mark = self.tg.mark()
        await self.dispatcher.feed_raw_update(self.bot, update)
        assert not self.tg.errors, self.tg.errors
        return [m for m in self.tg.messages(self.id) if m.changed_seq > mark]

    async def say(self, text: str) -> list[SentMessage]:
        return await self.feed(self.updates.message(self.user, text))

    async def press(self, button_text: str) -> list[SentMessage]:
        """Press a button on the newest message in this chat that has it."""
        for message in reversed(self.tg.messages(self.id)):
            if any(text == button_text for text, _ in message.buttons):
                return await self.feed(self.updates.callback_from_button(self.user, message, button_text))
        raise AssertionError(f"no button {button_text!r}; last: {self.last.buttons if self.last else None}")

    async def press_key(self, key: str, **values: Any) -> list[SentMessage]:
        """Press the button labelled with catalogue text `key`, in this person's language."""
        return await self.press(self.label(key, **values))

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.language)

    def tr(self, key: str, **values: Any) -> str:
        """Catalogue text `key` as this person's chat shows it (compare with plain_text / plain(...))."""
        return self.catalogue.text(key, **values)

    def like(self, key: str, **values: Any) -> re.Pattern[str]:
        """Catalogue text `key` as shown, each placeholder not given matching any non-empty text."""
        return self.catalogue.like(key, **values)

    def label(self, key: str, **values: Any) -> str:
        """Catalogue button label or callback alert `key` in this person's language (not HTML)."""
        return self.catalogue.label(key, **values)

    async def press_data(self, data: str) -> list[SentMessage]:
        """Press a button whose callback data we make up (forged or from an old message)."""
        last = self.last
        return await self.feed(self.updates.callback(self.user, data, last.message_id if last else 1))

    @property
    def last(self) -> SentMessage | None:
        return self.tg.last_message(self.id)

    def answers(self) -> list[str]:
        """Texts of answerCallbackQuery alerts (notices shown on button presses)."""
        return [str(call.params.get("text", "")) for call in self.tg.calls_of("answerCallbackQuery")]

    def buttons(self) -> list[str]:
        last = self.tg.last_keyboard_message(self.id)
        return last.button_texts if last else []


def plain(messages: list[SentMessage]) -> str:
    return "\n---\n".join(m.plain_text for m in messages)
