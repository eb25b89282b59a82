"""Replies reach people: through a short Telegram outage (5xx answers are retried with backoff, a bounded
number of times) and whatever their Telegram name holds."""

from __future__ import annotations

from aiogram import Dispatcher, F
from aiogram.types import CallbackQuery

from bot.presentation.texts import Texts
from tests.conftest import PersonFactory
from tests.support.fake_telegram import FakeTelegram


async def test_a_reply_is_retried_through_server_errors(person: PersonFactory, tg: FakeTelegram) -> None:
    alice = person(5, "Alice", username="alice")
    tg.fail("sendMessage", chat_id=5, error_code=502, times=2)
    replies = await alice.say("/help")
    assert replies and replies[-1].text == Texts("en")("help")


async def test_a_name_with_control_characters_is_answered(person: PersonFactory) -> None:
    odd = person(7, "Ni\x00ck\x07", username="nick")
    replies = await odd.say("/help")
    assert replies and replies[-1].text == Texts("en")("help")


async def test_a_button_whose_handler_fails_is_still_answered(
    person: PersonFactory, dispatcher: Dispatcher, tg: FakeTelegram,
) -> None:
    async def broken(query: CallbackQuery) -> None:
        raise RuntimeError("a bug")

    dispatcher.callback_query.register(broken, F.data == "broken")  # the dispatcher's own handlers come first
    alice = person(8, "Alice", username="alice")
    await alice.say("/help")
    await alice.press_data("broken")
    assert tg.calls_of("answerCallbackQuery")
    assert alice.last is not None and alice.last.text == Texts("en")("error.generic")
