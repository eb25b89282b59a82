"""Self-test of the Telegram harness with a real aiogram Bot and a real Dispatcher."""

from __future__ import annotations

import asyncio
import html
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    CallbackQuery,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from tests.support import BOT_USER, ButtonNotFoundError, FakeTelegram, TgUser, UpdateFactory

ALICE = TgUser(1001, "Alice", "Liddell", username="alice")
BOB = TgUser(1002, "Bob <the builder>")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    b: Bot = tg.make_bot()
    yield b
    await b.session.close()


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text="Yes ☕", callback_data="ans:yes"),
         InlineKeyboardButton(text="No", callback_data="ans:no")],
        [InlineKeyboardButton(text="Docs", url="https://example.org/docs")],
    ])


def build_dispatcher() -> Dispatcher:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(
            f"Hello, <b>{html.escape(message.from_user.first_name if message.from_user else '?')}</b>! "
            f"payload={command.args}",
            reply_markup=keyboard(),
        )

    @router.message(Command("ping"))
    async def ping(message: Message) -> None:
        await message.answer("pong")

    @router.callback_query(F.data.startswith("ans:"))
    async def answer(callback: CallbackQuery) -> None:
        await callback.answer("noted")
        assert isinstance(callback.message, Message)
        await callback.message.edit_text(f"You said {callback.data}")

    @router.message(F.sticker)
    async def sticker(message: Message) -> None:
        await message.answer("nice sticker")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


# ---------------------------------------------------------------------------------------------------
# raw Bot roundtrips
# ---------------------------------------------------------------------------------------------------
async def test_get_me(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username, me.can_join_groups) == (
        4242, True, "Coffee", "coffee_test_bot", True)
    assert tg.base_url.startswith("http://127.0.0.1:")
    assert tg.calls_of("getMe")[0].token == "123456:TEST-token"


async def test_send_and_edit_roundtrip(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(ALICE.id, "Hi <b>Alice</b> &amp; co", reply_markup=keyboard())
    assert sent.message_id == 1 and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == 4242
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "ans:yes"

    call = tg.calls_of("sendMessage")[0]
    assert call.params["chat_id"] == ALICE.id
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"]["inline_keyboard"][0][1] == {"text": "No", "callback_data": "ans:no"}

    msg = tg.last_message(ALICE.id)
    assert msg is not None
    assert msg.text == "Hi <b>Alice</b> &amp; co" and msg.plain_text == "Hi Alice & co"
    assert tg.buttons(ALICE.id) == [("Yes ☕", "ans:yes"), ("No", "ans:no"), ("Docs", "https://example.org/docs")]

    second = await bot.send_message(ALICE.id, "second")
    assert second.message_id == 2
    assert tg.buttons(ALICE.id)[0] == ("Yes ☕", "ans:yes")  # last message *with* a keyboard

    edited = await bot.edit_message_text("Edited", chat_id=ALICE.id, message_id=1)
    assert isinstance(edited, Message) and edited.text == "Edited" and edited.reply_markup is None
    assert [m.text for m in tg.messages(ALICE.id)] == ["Edited", "second"]
    assert tg.messages(ALICE.id)[0].history[0][0] == "Hi <b>Alice</b> &amp; co"
    assert tg.buttons(ALICE.id) == []
    assert len(tg.calls_of("editMessageText")) == 1

    new_markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]])
    await bot.edit_message_reply_markup(chat_id=ALICE.id, message_id=1, reply_markup=new_markup)
    assert tg.buttons(ALICE.id) == [("Go", "go")]

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=ALICE.id, message_id=1, reply_markup=new_markup)

    assert await bot.delete_message(ALICE.id, 2)
    assert [m.message_id for m in tg.messages(ALICE.id)] == [1]
    assert tg.send_counts[ALICE.id] == 2


async def test_text_params_stay_strings_and_html_is_validated(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(ALICE.id, "42")
    assert tg.calls_of("sendMessage")[0].params["text"] == "42"
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(ALICE.id, f"Hi {BOB.first_name}")  # unescaped user input
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE.id, "x", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="long", callback_data="x" * 65)]]))
    assert len(tg.messages(ALICE.id)) == 1


async def test_http_json_and_get_and_unknown(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{tg.base_url}/bot1:x/sendMessage"
        async with http.post(url, json={"chat_id": -100, "text": "group hi"}) as resp:
            body = await resp.json()
        assert body["ok"] and body["result"]["chat"]["type"] == "supergroup"
        async with http.get(f"{tg.base_url}/bot1:x/getMe") as resp:
            assert (await resp.json())["result"]["username"] == "coffee_test_bot"
        async with http.post(f"{tg.base_url}/bot1:x/getChat", data={"chat_id": "-100"}) as resp:
            assert (await resp.json())["result"]["id"] == -100
        async with http.post(f"{tg.base_url}/bot1:x/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404,
                                         "description": "Not Found: method not found"}
    assert tg.last_message(-100) is not None
    assert [c.method for c in tg.calls] == ["sendMessage", "getMe", "getChat", "noSuchMethod"]


# ---------------------------------------------------------------------------------------------------
# failures
# ---------------------------------------------------------------------------------------------------
async def test_failure_injection(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as exc_info:
        await bot.send_message(ALICE.id, "x")
    assert exc_info.value.retry_after == 7
    await bot.send_message(ALICE.id, "ok now")  # times=1 consumed

    tg.fail("sendMessage", chat_id=BOB.id, error_code=403, times=None)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(BOB.id, "x")
    await bot.send_message(ALICE.id, "alice unaffected")
    tg.clear_failures()

    tg.block(ALICE.id)
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(ALICE.id, "x")
    tg.unblock(ALICE.id)
    await bot.send_message(ALICE.id, "back")

    tg.fail("editMessageText", error_code=400, description="Bad Request: message can't be edited")
    with pytest.raises(TelegramBadRequest, match="can't be edited"):
        await bot.edit_message_text("y", chat_id=ALICE.id, message_id=1)

    assert [m.plain_text for m in tg.messages(ALICE.id)] == ["ok now", "alice unaffected", "back"]
    assert len(tg.calls_of("sendMessage", ok=False)) == 4
    assert tg.send_counts[ALICE.id] == 3 and tg.send_counts[BOB.id] == 0


async def test_rate_limit_mode() -> None:
    async with FakeTelegram(rate_limit_per_second=5) as tg:
        bot: Bot = tg.make_bot()
        try:
            results = await asyncio.gather(
                *(bot.send_message(1000 + i, "x") for i in range(8)), return_exceptions=True)
            limited = [r for r in results if isinstance(r, TelegramRetryAfter)]
            assert len(limited) == 3 and limited[0].retry_after == 1
            assert tg.rate_limited == 3 and sum(tg.send_counts.values()) == 5
        finally:
            await bot.session.close()


# ---------------------------------------------------------------------------------------------------
# chat / membership
# ---------------------------------------------------------------------------------------------------
async def test_chat_members_and_admins(tg: FakeTelegram, bot: Bot) -> None:
    group = -100123
    tg.set_user(ALICE)
    tg.set_chat(group, title="Pythonistas")
    tg.set_chat_admins(group, [ALICE.id, BOT_USER["id"], BOB.id], creator=BOB.id)

    admins = await bot.get_chat_administrators(group)
    assert isinstance(admins[0], ChatMemberOwner) and admins[0].user.id == BOB.id
    assert [type(a) for a in admins[1:]] == [ChatMemberAdministrator, ChatMemberAdministrator]
    assert admins[1].user.username == "alice"

    member = await bot.get_chat_member(group, 555)
    assert member.status == "member"
    tg.set_chat_member(group, 555, "left")
    assert (await bot.get_chat_member(group, 555)).status == "left"
    assert (await bot.get_chat_member(group, ALICE.id)).status == "administrator"

    chat = await bot.get_chat(group)
    assert chat.title == "Pythonistas" and chat.type == "supergroup"
    assert (await bot.get_chat(ALICE.id)).first_name == "Alice"

    with pytest.raises(TelegramBadRequest):
        await bot.get_chat_administrators(ALICE.id)


async def test_commands_and_descriptions(tg: FakeTelegram, bot: Bot) -> None:
    from aiogram.types import BotCommand, BotCommandScopeAllGroupChats

    assert await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands([BotCommand(command="setup", description="Setup")],
                              scope=BotCommandScopeAllGroupChats())
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())] == ["setup"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert await bot.set_my_description("Random coffee")
    assert await bot.set_my_short_description("Coffee")
    assert await bot.delete_webhook(drop_pending_updates=True)


# ---------------------------------------------------------------------------------------------------
# update factory
# ---------------------------------------------------------------------------------------------------
def test_factory_updates_validate() -> None:
    f = UpdateFactory()
    updates = [
        f.message(ALICE, "/start ref_42"),
        f.message(ALICE, "hello"),
        f.command(ALICE, "setup@coffee_test_bot"),
        f.sticker(ALICE),
        f.photo(ALICE, caption="me"),
        f.voice(ALICE),
        f.callback(ALICE, "ans:yes", message_id=7, message_text="Q?"),
        f.callback(ALICE, "x", message_id=8, chat_id=-100500),
        f.my_chat_member(ALICE, -100500, "Group", new_status="administrator"),
        f.my_chat_member(ALICE, -500, "Small", new_status="member", chat_type="group"),
        f.my_chat_member(ALICE, -100500, "Group", new_status="kicked", old_status="member"),
        f.group_message(BOB, -100500, "Group", "/start@coffee_test_bot"),
        f.chat_member_left(BOB, -100500, "Group"),
        f.chat_member_joined(BOB, -100500, "Group"),
    ]
    ids = [u["update_id"] for u in updates]
    assert ids == sorted(set(ids))
    parsed = [Update.model_validate(u) for u in updates]
    start = parsed[0].message
    assert start is not None and start.entities is not None
    entity = start.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    assert json.loads(json.dumps(updates)) == updates  # plain JSON data
    assert parsed[8].my_chat_member is not None
    assert parsed[8].my_chat_member.new_chat_member.status == "administrator"
    assert parsed[8].my_chat_member.new_chat_member.user.id == 4242
    assert parsed[12].chat_member is not None and parsed[12].chat_member.new_chat_member.status == "left"


# ---------------------------------------------------------------------------------------------------
# dispatcher driven via feed_update
# ---------------------------------------------------------------------------------------------------
async def test_dispatcher_feed_update(tg: FakeTelegram, bot: Bot) -> None:
    dp = build_dispatcher()
    f = UpdateFactory()

    await dp.feed_update(bot, Update.model_validate(f.message(ALICE, "/start ref_42"), context={"bot": bot}))
    reply = tg.last_message(ALICE.id)
    assert reply is not None and reply.plain_text == "Hello, Alice! payload=ref_42"

    update = f.callback_from_button(ALICE, reply, "Yes")  # unique substring of "Yes ☕"
    await dp.feed_raw_update(bot, update)
    assert tg.calls_of("answerCallbackQuery")[0].params["text"] == "noted"
    assert tg.calls_of("answerCallbackQuery")[0].params["callback_query_id"] == update["callback_query"]["id"]
    edited = tg.get_message(ALICE.id, reply.message_id)
    assert edited is not None and edited.text == "You said ans:yes" and edited.edited

    with pytest.raises(ButtonNotFoundError):
        f.callback_from_button(ALICE, edited, "Yes")
    with pytest.raises(ButtonNotFoundError):
        f.callback_from_button(ALICE, reply, "Docs")  # URL button

    # a callback built by hand for a message the fake never sent: the edit is accepted
    await dp.feed_raw_update(bot, f.callback(ALICE, "ans:no", message_id=77, message_text="old"))
    synthetic = tg.get_message(ALICE.id, 77)
    assert synthetic is not None and synthetic.text == "You said ans:no"

    mark = tg.mark()
    await dp.feed_raw_update(bot, f.sticker(ALICE))
    assert (await tg.wait_for_message(ALICE.id, after=mark, timeout=1)).text == "nice sticker"
    assert tg.errors == []


# ---------------------------------------------------------------------------------------------------
# long polling
# ---------------------------------------------------------------------------------------------------
async def test_long_polling(tg: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    dp = build_dispatcher()
    f = UpdateFactory()
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=30))
    try:
        await tg.wait_for(lambda: tg.calls_of("getUpdates"), timeout=5)
        tg.push_update(f.message(ALICE, "/ping"))
        assert (await tg.wait_for_message(ALICE.id, timeout=5)).text == "pong"

        first = tg.push_update({k: v for k, v in f.message(BOB, "/start").items() if k != "update_id"})
        msg = await tg.wait_for_message(BOB.id, contains="Hello", timeout=5)
        assert "payload=None" in msg.plain_text

        tg.push_update(f.callback_from_button(BOB, msg, "No"))
        edited = await tg.wait_for_edit(BOB.id, msg.message_id, after=msg.seq, timeout=5)
        assert edited.text == "You said ans:no"
        await tg.wait_for(lambda: tg.update_confirmed(first), timeout=5)
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, timeout=5)
    assert time.monotonic() - started < 5
    assert tg.errors == []


async def test_get_updates_offset_limit_and_timeout(tg: FakeTelegram, bot: Bot) -> None:
    f = UpdateFactory(first_update_id=100)
    ids = [tg.push_update(f.message(ALICE, f"m{i}")) for i in range(3)]
    assert ids == [100, 101, 102]
    got = await bot.get_updates(limit=2)
    assert [u.update_id for u in got] == [100, 101]
    got = await bot.get_updates(offset=101)
    assert [u.update_id for u in got] == [101, 102]
    got = await bot.get_updates(offset=103, timeout=0)
    assert got == [] and tg.pending_updates == []

    t0 = time.monotonic()
    got = await bot.get_updates(offset=103, timeout=30)  # capped at max_poll_wait
    assert got == [] and time.monotonic() - t0 < 2

    async def push_later() -> None:
        await asyncio.sleep(0.1)
        tg.push_update(f.message(ALICE, "late"))

    pusher = asyncio.create_task(push_later())
    t0 = time.monotonic()
    got = await bot.get_updates(offset=103, timeout=30)
    await pusher
    assert [u.message.text for u in got if u.message] == ["late"]
    assert time.monotonic() - t0 < 0.8


async def test_allowed_updates_and_conflict(tg: FakeTelegram, bot: Bot) -> None:
    f = UpdateFactory()
    left = tg.push_update(f.chat_member_left(BOB, -100500, "Group"))
    msg = tg.push_update(f.message(ALICE, "hi"))
    got = await bot.get_updates(allowed_updates=["message", "callback_query"])
    assert [u.update_id for u in got] == [msg]
    assert [u["update_id"] for u in tg.dropped_updates] == [left]

    tg.push_update(f.chat_member_left(BOB, -100500, "Group"))
    got = await bot.get_updates(offset=msg + 1, allowed_updates=["chat_member"])
    assert [u.chat_member is not None for u in got] == [True]

    mark = tg.mark()
    first = asyncio.create_task(bot.get_updates(offset=10**6, timeout=30))
    await tg.wait_for_call("getUpdates", after=mark, timeout=2)
    second = await bot.get_updates(offset=10**6, timeout=1)
    with pytest.raises(TelegramConflictError):
        await first
    assert second == [] and tg.conflicts == 1


async def test_wait_for_timeout_dumps_calls(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(ALICE.id, "only this")
    with pytest.raises(AssertionError) as exc_info:
        await tg.wait_for_message(ALICE.id, contains="never", timeout=0.2)
    assert "sendMessage" in str(exc_info.value) and "only this" in str(exc_info.value)


async def test_wait_for_message_cursor(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(ALICE.id, "one")
    await bot.send_message(ALICE.id, "two")
    assert (await tg.wait_for_message(ALICE.id, timeout=1)).text == "one"
    assert (await tg.wait_for_message(ALICE.id, timeout=1)).text == "two"

    async def send_later() -> Any:
        await asyncio.sleep(0.05)
        return await bot.send_message(ALICE.id, "three")

    task = asyncio.create_task(send_later())
    assert (await tg.wait_for_message(ALICE.id, timeout=2)).text == "three"
    await task


# ---------------------------------------------------------------------------------------------------
# the server is plain HTTP: a bot in another process can long-poll it (what the e2e tests rely on)
# ---------------------------------------------------------------------------------------------------
SUBPROCESS_BOT = """
import asyncio, os
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

async def main() -> None:
    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])
    bot = Bot("123456:TEST-token", session=AiohttpSession(api=api))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer("echo: " + (message.text or ""))

    await dp.start_polling(bot, handle_signals=False)

asyncio.run(main())
"""


async def test_subprocess_bot_long_polls(tg: FakeTelegram) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SUBPROCESS_BOT, env=tg.subprocess_env(),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    failure: AssertionError | None = None
    try:
        update_id = tg.push_update(UpdateFactory().message(ALICE, "hello from a test"))
        msg = await tg.wait_for_message(ALICE.id, timeout=20)
        assert msg.text == "echo: hello from a test"
        await tg.wait_for(lambda: tg.update_confirmed(update_id), timeout=5)
        assert tg.calls_of("getUpdates")[0].params.get("timeout") == 10  # aiogram's default
    except AssertionError as exc:
        failure = exc
    finally:
        if proc.returncode is None:
            proc.terminate()
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=10)
    if failure is not None:
        raise AssertionError(f"{failure}\n--- bot stderr ---\n{stderr.decode(errors='replace')}")
