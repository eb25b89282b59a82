"""A fake Telegram Bot API server for tests (Telegram is faked only at the HTTP boundary).

It is a real aiohttp web server on 127.0.0.1 with an ephemeral port, so both an in-process
aiogram ``Bot`` (see :meth:`FakeTelegram.make_bot`) and a ``python -m bot`` subprocess with
``TELEGRAM_API_URL=tg.base_url`` can talk to it.

    async with FakeTelegram() as tg:
        bot = tg.make_bot()
        await bot.send_message(1001, "hi")
        assert tg.last_message(1001).text == "hi"
        await bot.session.close()

Behaviour worth knowing:
* sendMessage/editMessageText with parse_mode=HTML validate the markup like Telegram does
  (unsupported / unbalanced tags -> 400 "can't parse entities"), and callback_data longer than
  64 bytes -> 400 BUTTON_DATA_INVALID.
* editMessageText with the same text and markup -> 400 "message is not modified" (as Telegram).
  Editing an unknown message_id is lenient: the message is created (marked ``synthetic``).
* editMessageText without reply_markup removes the inline keyboard (as Telegram).
* getUpdates waits at most ``max_poll_wait`` seconds (default 1.0) regardless of ``timeout``.
* Once setWebhook is called, queued and newly pushed updates are POSTed to the webhook URL (with the
  ``X-Telegram-Bot-Api-Secret-Token`` header when a secret_token was set), several at once like Telegram;
  an update is confirmed by a 2xx answer and retried every ``webhook_retry_interval`` seconds otherwise
  (each attempt is in ``webhook_deliveries``). getUpdates answers 409 while a webhook is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import inspect
import itertools
import json
import os
import re
import socket
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiohttp import ClientError, ClientSession, ClientTimeout, web
from aiohttp.web_request import FileField

from .updates import BOT_USER, chat_member_dict

__all__ = [
    "ApiCall",
    "FailureRule",
    "FakeTelegram",
    "SentMessage",
    "TelegramError",
    "UploadedFile",
    "WebhookDelivery",
    "html_to_plain",
]

Params = dict[str, Any]
Handler = Callable[[Params], Awaitable[Any]]

DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
}

# Form values for these keys stay strings even if they look like JSON numbers.
_STRING_KEYS = frozenset({
    "text", "caption", "description", "short_description", "query", "title", "name", "url",
    "data", "custom_title", "callback_query_id", "inline_message_id", "first_name", "last_name",
    "username", "emoji", "question", "explanation", "payload", "start_parameter",
    "business_connection_id", "language_code", "parse_mode", "action", "secret_token", "message_effect_id",
})

_ALLOWED_TAGS = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
    "pre", "tg-emoji", "blockquote", "tg-time",
})
# Not delivered unless explicitly listed in allowed_updates (Bot API getUpdates docs).
_NOT_DEFAULT_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>")


class TelegramError(Exception):
    """Raised inside handlers to produce a Telegram error response."""

    def __init__(self, error_code: int, description: str | None = None,
                 parameters: dict[str, Any] | None = None) -> None:
        self.error_code = error_code
        self.description = description or DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
        self.parameters = parameters
        super().__init__(f"{error_code}: {self.description}")

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def _parse_entities_error(detail: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: can't parse entities: {detail}")


def html_to_plain(text: str, *, validate: bool = True) -> str:
    """Strip Telegram HTML to the plain text Telegram would store; optionally validate tags."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for match in _TAG_RE.finditer(text):
        out.append(text[pos:match.start()])
        pos = match.end()
        closing, name = match.group(1) == "/", match.group(2).lower()
        offset = len(text[: match.start()].encode())
        if name not in _ALLOWED_TAGS:
            if validate:
                kind = "end" if closing else "start"
                raise _parse_entities_error(f'Unsupported {kind} tag "{name}" at byte offset {offset}')
            continue
        if not validate:
            continue
        if closing:
            if not stack:
                raise _parse_entities_error(f'Unexpected end tag at byte offset {offset}')
            expected = stack.pop()
            if expected != name:
                raise _parse_entities_error(
                    f'Unmatched end tag at byte offset {offset}, expected "</{expected}>", found "</{name}>"'
                )
        else:
            stack.append(name)
    out.append(text[pos:])
    rest = "".join(out)
    if validate:
        if stack:
            raise _parse_entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
        stray = re.search(r"<[A-Za-z/]", rest)
        if stray:
            offset = len(rest[: stray.start()].encode())
            raise _parse_entities_error(f"Unclosed start tag at byte offset {offset}")
    return html.unescape(rest)


@dataclass
class UploadedFile:
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class ApiCall:
    seq: int
    method: str
    params: Params
    token: str
    http_method: str = "POST"
    ok: bool = True
    error_code: int | None = None
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")

    def __repr__(self) -> str:
        status = "ok" if self.ok else f"ERR {self.error_code}"
        params = {k: v for k, v in self.params.items() if not isinstance(v, UploadedFile)}
        text = json.dumps(params, ensure_ascii=False, default=str)
        if len(text) > 300:
            text = text[:300] + "…"
        return f"<#{self.seq} {self.method} {status} {text}>"


@dataclass
class SentMessage:
    """What a chat sees of a message sent by the bot (edits applied)."""

    chat: dict[str, Any]
    message_id: int
    text: str
    """Raw text as sent (with HTML markup if parse_mode=HTML)."""
    plain_text: str
    """Text as Telegram stores/shows it (tags stripped, entities unescaped)."""
    reply_markup: dict[str, Any] | None
    date: int
    seq: int
    parse_mode: str | None = None
    deleted: bool = False
    synthetic: bool = False
    history: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)
    """Previous (text, reply_markup) versions, oldest first."""
    document: UploadedFile | None = None
    """A file sent with sendDocument (its caption is the text)."""
    edit_count: int = 0
    changed_seq: int = 0
    """Marker value of the last send/edit of this message (compare with FakeTelegram.mark())."""

    def __post_init__(self) -> None:
        self.changed_seq = max(self.changed_seq, self.seq)

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    @property
    def edited(self) -> bool:
        return self.edit_count > 0

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """(text, callback_data or url) for each inline button, row by row."""
        result: list[tuple[str, str | None]] = []
        for row in (self.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                result.append((button.get("text", ""), button.get("callback_data", button.get("url"))))
        return result

    @property
    def button_texts(self) -> list[str]:
        return [text for text, _ in self.buttons]

    def as_message_dict(self, bot_user: dict[str, Any] | None = None) -> dict[str, Any]:
        """The Telegram Message dict for this message (entities omitted)."""
        msg: dict[str, Any] = {
            "message_id": self.message_id,
            "from": dict(bot_user or BOT_USER),
            "chat": dict(self.chat),
            "date": self.date,
            "text": self.plain_text,
        }
        if self.edit_count:
            msg["edit_date"] = int(time.time())
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            msg["reply_markup"] = self.reply_markup
        return msg


@dataclass
class WebhookDelivery:
    """One POST of an update to the bot's webhook: the HTTP status, or None if the connection failed."""

    update_id: int
    status: int | None
    at: float = field(default_factory=time.monotonic)
    url: str = ""
    """Where it went (with ``webhook_targets``: which replica)."""


@dataclass
class FailureRule:
    method: str | None
    chat_id: int | str | None
    error_code: int
    description: str
    parameters: dict[str, Any] | None
    times: int | None
    """Remaining number of failures; None = forever."""
    hits: int = 0

    def matches(self, method: str, params: Params) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)

    def consume(self) -> TelegramError:
        self.hits += 1
        if self.times is not None:
            self.times -= 1
        return TelegramError(self.error_code, self.description, self.parameters)


def _is_send(method: str) -> bool:
    m = method.lower()
    return (m.startswith("send") and m != "sendchataction") or m in {
        "copymessage", "copymessages", "forwardmessage", "forwardmessages",
    }


def _is_chat_write(method: str) -> bool:
    m = method.lower()
    return _is_send(method) or m.startswith("editmessage") or m == "sendchataction"


def _decode_value(key: str, value: str) -> Any:
    if key in _STRING_KEYS or not value:
        return value
    first = value[0]
    if first in "{[" or value in ("true", "false", "null") or first == "-" or first.isdigit():
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _to_int(value: Any) -> int | str | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


class FakeTelegram:
    """Fake Bot API server. See module docstring."""

    def __init__(
        self,
        *,
        rate_limit_per_second: float | None = None,
        max_poll_wait: float = 1.0,
        bot_user: dict[str, Any] | None = None,
        default_member_status: str = "member",
        host: str = "127.0.0.1",
    ) -> None:
        self.bot_user: dict[str, Any] = dict(bot_user or BOT_USER)
        self.rate_limit_per_second = rate_limit_per_second
        self.max_poll_wait = max_poll_wait
        self.default_member_status = default_member_status
        self.host = host

        self.calls: list[ApiCall] = []
        self.errors: list[str] = []
        """Unexpected exceptions raised inside the fake server (should stay empty)."""
        self.send_counts: Counter[int | str] = Counter()
        """Successful sends per chat_id."""
        self.rate_limited: int = 0
        """Number of requests refused by the rate limiter."""
        self.send_delay: float = 0.0
        """Seconds each send request waits before it is processed (network latency; widens in-flight windows)."""
        self.commands: dict[str, list[dict[str, Any]]] = {}
        """Last setMyCommands list per scope/language key (json of scope + language_code)."""
        self.descriptions: dict[str, str] = {}
        self.webhook_url: str = ""
        self.webhook_secret: str | None = None
        """secret_token of the last setWebhook (sent back in X-Telegram-Bot-Api-Secret-Token)."""
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_retry_interval = 0.5
        self.webhook_targets: list[str] = []
        """Replicas behind a round-robin reverse proxy (``http://host:port``): each POST goes to the next one,
        at the webhook URL's path; a replica that does not answer is skipped on the retry. Empty: the URL."""
        self._next_target = itertools.count()
        self.allowed_updates: list[str] | None = None
        """allowed_updates from the last getUpdates that passed it (None: Telegram's default set)."""
        self.dropped_updates: list[dict[str, Any]] = []
        """Pushed updates never delivered because their type was not in allowed_updates."""
        self.conflicts: int = 0
        """getUpdates requests terminated by a newer concurrent getUpdates (two pollers running)."""

        self._seq = itertools.count(1)
        self._last_seq = 0
        self._messages: dict[int | str, list[SentMessage]] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._failures: list[FailureRule] = []
        self._blocked: set[str] = set()
        self._send_times: deque[float] = deque()
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {int(self.bot_user["id"]): self._public_bot_user()}
        self._members: dict[int, dict[int, dict[str, Any]]] = {}
        self._admins: dict[int, list[int]] = {}
        self._creators: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._confirmed_update_id = 0
        self._poll_waiters: set[asyncio.Event] = set()
        self._active_polls: dict[str, asyncio.Event] = {}
        self._conflicted: set[asyncio.Event] = set()
        self._current_token = ""
        self._message_cursor: dict[int | str, int] = {}
        self._closing = False
        self._webhook_tasks: dict[int, asyncio.Task[None]] = {}
        self._client: ClientSession | None = None

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name, handler in self._handler_table().items():
            self._handlers[name.lower()] = (name, handler)

    # ------------------------------------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------------------------------------
    async def start(self) -> FakeTelegram:
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self._port = int(sock.getsockname()[1])
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner
        self._closing = False
        return self

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        for task in list(self._webhook_tasks.values()):
            task.cancel()
        if self._webhook_tasks:
            await asyncio.wait(list(self._webhook_tasks.values()))
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def make_bot(self, token: str = "123456:TEST-token") -> Bot:
        """A real aiogram Bot pointed at this server (parse_mode=HTML). Caller closes bot.session."""
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))

    def subprocess_env(self, **extra: str) -> dict[str, str]:
        """os.environ + TELEGRAM_API_URL=base_url (+ extra) for a `python -m bot` subprocess."""
        env = dict(os.environ)
        env["TELEGRAM_API_URL"] = self.base_url
        env.update(extra)
        return env

    def reset(self) -> None:
        """Forget recorded calls, messages, failures, blocks and queued updates (keeps chats/admins)."""
        self.calls.clear()
        self.errors.clear()
        self.send_counts.clear()
        self.rate_limited = 0
        self._messages.clear()
        self._failures.clear()
        self._blocked.clear()
        self._send_times.clear()
        self._updates.clear()
        self._message_cursor.clear()
        self.dropped_updates.clear()
        self.conflicts = 0

    # ------------------------------------------------------------------------------------------------
    # configuration
    # ------------------------------------------------------------------------------------------------
    def fail(
        self,
        method: str | None = "sendMessage",
        chat_id: int | str | None = None,
        error_code: int = 429,
        retry_after: int = 1,
        times: int | None = 1,
        description: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> FailureRule:
        """Make the next ``times`` matching calls fail (times=None: forever; method=None: any)."""
        params = dict(parameters or {})
        if error_code == 429:
            params.setdefault("retry_after", retry_after)
            description = description or f"Too Many Requests: retry after {params['retry_after']}"
        rule = FailureRule(
            method=method,
            chat_id=chat_id,
            error_code=error_code,
            description=description or DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}"),
            parameters=params or None,
            times=times,
        )
        self._failures.append(rule)
        return rule

    def clear_failures(self) -> None:
        self._failures.clear()

    def block(self, chat_id: int | str) -> None:
        """Every send/edit to ``chat_id`` gets 403 until unblock()."""
        self._blocked.add(str(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.discard(str(chat_id))

    def is_blocked(self, chat_id: int | str) -> bool:
        return str(chat_id) in self._blocked

    def set_user(self, user: Any) -> None:
        """Register a user (TgUser or dict) so getChatMember/getChat return realistic data."""
        data = user.as_dict() if hasattr(user, "as_dict") else dict(user)
        self._users[int(data["id"])] = data

    def set_chat(self, chat: dict[str, Any] | int, *, title: str | None = None,
                 chat_type: str | None = None, username: str | None = None) -> None:
        """Register a chat (a Chat dict, or an id plus attributes) for getChat."""
        data: dict[str, Any] = dict(chat) if isinstance(chat, dict) else {"id": chat}
        chat_id = int(data["id"])
        data.setdefault("type", chat_type or ("private" if chat_id > 0 else "supergroup"))
        if title is not None:
            data["title"] = title
        if username is not None:
            data["username"] = username
        self._chats[chat_id] = {**self._chats.get(chat_id, {}), **data}

    def set_chat_member(self, chat_id: int, user_id: int, status: str = "member", **kwargs: Any) -> None:
        """Configure getChatMember(chat_id, user_id): member/administrator/creator/restricted/left/kicked."""
        self._members.setdefault(int(chat_id), {})[int(user_id)] = chat_member_dict(
            self._user(int(user_id)), status, **kwargs
        )

    def set_chat_admins(self, chat_id: int, user_ids: Iterable[int], creator: int | None = None) -> None:
        """Configure getChatAdministrators (and getChatMember for those users)."""
        chat_id = int(chat_id)
        admins = [int(u) for u in user_ids if creator is None or int(u) != int(creator)]
        self._admins[chat_id] = admins
        if creator is not None:
            self._creators[chat_id] = int(creator)
        else:
            self._creators.pop(chat_id, None)

    # ------------------------------------------------------------------------------------------------
    # inspection
    # ------------------------------------------------------------------------------------------------
    def mark(self) -> int:
        """A marker: pass as ``after=`` to only see calls/messages happening after this point."""
        return self._last_seq

    def calls_of(self, method: str, *, after: int | None = None, ok: bool | None = None) -> list[ApiCall]:
        m = method.lower()
        return [
            c for c in self.calls
            if c.method.lower() == m and (after is None or c.seq > after) and (ok is None or c.ok == ok)
        ]

    def messages(self, chat_id: int | str, *, include_deleted: bool = False,
                 after: int | None = None) -> list[SentMessage]:
        return [
            m for m in self._messages.get(_to_int(chat_id) or 0, [])
            if (include_deleted or not m.deleted) and (after is None or m.seq > after)
        ]

    def all_messages(self) -> list[SentMessage]:
        return sorted((m for ms in self._messages.values() for m in ms if not m.deleted), key=lambda m: m.seq)

    def last_message(self, chat_id: int | str) -> SentMessage | None:
        msgs = self.messages(chat_id)
        return msgs[-1] if msgs else None

    def get_message(self, chat_id: int | str, message_id: int) -> SentMessage | None:
        for m in self._messages.get(_to_int(chat_id) or 0, []):
            if m.message_id == message_id:
                return m
        return None

    def last_keyboard_message(self, chat_id: int | str) -> SentMessage | None:
        for m in reversed(self.messages(chat_id)):
            if m.reply_markup and m.reply_markup.get("inline_keyboard"):
                return m
        return None

    def buttons(self, chat_id: int | str) -> list[tuple[str, str | None]]:
        """(text, callback_data or url) of the last message in the chat with an inline keyboard."""
        m = self.last_keyboard_message(chat_id)
        return m.buttons if m else []

    def texts(self, chat_id: int | str) -> list[str]:
        return [m.text for m in self.messages(chat_id)]

    def menu(self, chat_id: int, language_code: str = "en", *, group: bool = False) -> list[str]:
        """The command names a person whose Telegram speaks `language_code` sees in this chat's menu, found as
        Telegram does ("Determining list of commands"): the first list set, from the chat's own scope to the
        default, each with the language first (a group: the chat, then all group chats)."""
        scopes: list[dict[str, Any]] = [{"type": "chat", "chat_id": chat_id},
                                        {"type": "all_group_chats" if group else "all_private_chats"},
                                        {"type": "default"}]
        for scope in scopes:
            for language in (language_code, ""):
                commands = self.commands.get(json.dumps([scope, language], sort_keys=True))
                if commands:
                    return [str(command["command"]) for command in commands]
        return []

    # ------------------------------------------------------------------------------------------------
    # updates / long polling
    # ------------------------------------------------------------------------------------------------
    def push_update(self, update: Any) -> int:
        """Queue an update for getUpdates; assigns update_id if missing. Returns the update_id."""
        if hasattr(update, "model_dump"):
            data = update.model_dump(mode="json", exclude_none=True, by_alias=True)
        else:
            data = json.loads(json.dumps(update))
        if "update_id" not in data:
            data["update_id"] = self._next_update_id
        update_id = int(data["update_id"])
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._learn(data)
        self._updates.append(data)
        self._updates.sort(key=lambda u: int(u["update_id"]))
        self._wake_pollers()
        self._deliver_to_webhook()
        return update_id

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by an offset in getUpdates."""
        return list(self._updates)

    def update_confirmed(self, update_id: int) -> bool:
        return update_id < self._confirmed_update_id

    def _wake_pollers(self) -> None:
        for ev in self._poll_waiters:
            ev.set()

    def _learn(self, obj: Any) -> None:
        if isinstance(obj, dict):
            for key, value in obj.items():
                if key == "chat" and isinstance(value, dict) and "id" in value:
                    cid = int(value["id"])
                    self._chats[cid] = {**self._chats.get(cid, {}), **value}
                elif key in ("from", "user") and isinstance(value, dict) and "id" in value:
                    uid = int(value["id"])
                    if uid != int(self.bot_user["id"]):
                        self._users[uid] = value
                self._learn(value)
        elif isinstance(obj, list):
            for item in obj:
                self._learn(item)

    # ------------------------------------------------------------------------------------------------
    # waiting
    # ------------------------------------------------------------------------------------------------
    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 10.0,  # noqa: ASYNC109 - the API the tests want
        interval: float = 0.01,
        message: str | None = None,
    ) -> Any:
        """Poll ``predicate`` (sync or async) until truthy; return its value or raise AssertionError."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            if loop.time() >= deadline:
                raise AssertionError(self._dump(message or f"condition not met within {timeout}s"))
            await asyncio.sleep(interval)

    async def wait_for_message(
        self,
        chat_id: int | str,
        contains: str | None = None,
        *,
        after: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the API the tests want
    ) -> SentMessage:
        """First new message to ``chat_id`` (optionally containing ``contains`` in its text).

        "New" means: after the marker ``after`` if given, otherwise after the message returned by
        the previous wait_for_message call for this chat (all messages on the first call).
        """
        key = _to_int(chat_id) or 0
        start = after if after is not None else self._message_cursor.get(key, 0)

        def find() -> SentMessage | None:
            for m in self.messages(chat_id, after=start):
                if contains is None or contains in m.text or contains in m.plain_text:
                    return m
            return None

        what = f"message to chat {chat_id}" + (f" containing {contains!r}" if contains else "")
        msg: SentMessage = await self.wait_for(find, timeout=timeout, message=f"no {what} within {timeout}s")
        self._message_cursor[key] = msg.seq
        return msg

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        after: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the API the tests want
    ) -> ApiCall:
        """First recorded call of ``method`` after marker ``after`` matching ``predicate``."""

        def find() -> ApiCall | None:
            for c in self.calls_of(method, after=after):
                if predicate is None or predicate(c):
                    return c
            return None

        call: ApiCall = await self.wait_for(
            find, timeout=timeout, message=f"no {method} call within {timeout}s")
        return call

    async def wait_for_edit(
        self,
        chat_id: int | str,
        message_id: int | None = None,
        contains: str | None = None,
        *,
        after: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the API the tests want
    ) -> SentMessage:
        """A message in ``chat_id`` edited after marker ``after`` (default: now)."""
        start = self.mark() if after is None else after

        def find() -> SentMessage | None:
            for m in self.messages(chat_id):
                if m.edit_count and m.changed_seq > start:
                    if message_id is not None and m.message_id != message_id:
                        continue
                    if contains is None or contains in m.text or contains in m.plain_text:
                        return m
            return None

        msg: SentMessage = await self.wait_for(
            find, timeout=timeout, message=f"no edit in chat {chat_id} within {timeout}s")
        return msg

    def _dump(self, headline: str, last: int = 25) -> str:
        lines = [headline, f"last {min(last, len(self.calls))} of {len(self.calls)} API calls:"]
        lines += [f"  {c!r}" for c in self.calls[-last:]]
        if self._updates:
            lines.append(f"{len(self._updates)} unconfirmed update(s), ids "
                         f"{[u['update_id'] for u in self._updates][:20]}")
        if self.dropped_updates:
            lines.append(f"{len(self.dropped_updates)} update(s) dropped: type not in allowed_updates="
                         f"{self.allowed_updates!r}")
        if self.conflicts:
            lines.append(f"{self.conflicts} getUpdates conflict(s): more than one poller is running")
        if self.errors:
            lines.append("fake server errors:")
            lines += [f"  {e}" for e in self.errors[-5:]]
        return "\n".join(lines)

    # ------------------------------------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------------------------------------
    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(TelegramError(404).payload(), status=404)

    async def _read_params(self, request: web.Request) -> Params:
        params: Params = {}
        for key, query_value in request.query.items():
            params[key] = _decode_value(key, query_value)
        if request.method != "POST" or not request.can_read_body:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
            return params
        post = await request.post()
        for key, value in post.items():
            if isinstance(value, FileField):
                params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
            elif isinstance(value, bytes | bytearray):
                params[key] = _decode_value(key, bytes(value).decode())
            else:
                params[key] = _decode_value(key, str(value))
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        raw_method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except Exception as exc:  # pragma: no cover - defensive
            return web.json_response(TelegramError(400, f"Bad Request: {exc}").payload(), status=400)
        method, handler = self._handlers.get(raw_method.lower(), (raw_method, None))
        seq = next(self._seq)
        self._last_seq = seq
        call = ApiCall(seq=seq, method=method, params=params, token=token, http_method=request.method)
        self.calls.append(call)
        try:
            if handler is None:
                raise TelegramError(404, "Not Found: method not found")
            if self.send_delay and _is_send(method):
                await asyncio.sleep(self.send_delay)
            self._check_injected(method, params)
            self._current_token = token
            result = await handler(params)
        except TelegramError as err:
            call.ok, call.error_code, call.response = False, err.error_code, err.payload()
            return web.json_response(err.payload(), status=err.error_code)
        except Exception as exc:  # a bug in the fake: make it loud
            self.errors.append(f"{method}: {type(exc).__name__}: {exc}")
            crash = TelegramError(500, f"Internal Server Error: fake server crashed: {exc!r}")
            call.ok, call.error_code, call.response = False, 500, crash.payload()
            return web.json_response(crash.payload(), status=500)
        call.response = result
        if _is_send(method):
            self.send_counts[_to_int(params.get("chat_id")) or 0] += 1
        return web.json_response({"ok": True, "result": result})

    def _check_injected(self, method: str, params: Params) -> None:
        chat_id = params.get("chat_id")
        if chat_id is not None and _is_chat_write(method) and str(chat_id) in self._blocked:
            if isinstance(_to_int(chat_id), int) and int(chat_id) > 0:
                raise TelegramError(403, "Forbidden: bot was blocked by the user")
            raise TelegramError(403, "Forbidden: bot was kicked from the supergroup chat")
        for rule in self._failures:
            if rule.matches(method, params):
                raise rule.consume()
        if self.rate_limit_per_second is not None and _is_send(method):
            now = time.monotonic()
            while self._send_times and now - self._send_times[0] >= 1.0:
                self._send_times.popleft()
            if len(self._send_times) >= self.rate_limit_per_second:
                self.rate_limited += 1
                raise TelegramError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._send_times.append(now)

    # ------------------------------------------------------------------------------------------------
    # helpers for handlers
    # ------------------------------------------------------------------------------------------------
    def _public_bot_user(self) -> dict[str, Any]:
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username") if k in self.bot_user}

    def _user(self, user_id: int) -> dict[str, Any]:
        return self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        cid = _to_int(chat_id)
        if isinstance(cid, str):
            return {"id": -1000000000000 - abs(hash(cid)) % 10**9, "type": "channel", "title": cid,
                    "username": cid.lstrip("@")}
        assert cid is not None
        known = self._chats.get(cid)
        if known:
            return {k: v for k, v in known.items() if k in ("id", "type", "title", "username", "first_name",
                                                            "last_name", "is_forum")}
        if cid > 0:
            user = self._users.get(cid, {})
            chat: dict[str, Any] = {"id": cid, "type": "private",
                                    "first_name": user.get("first_name", f"User{cid}")}
            if user.get("username"):
                chat["username"] = user["username"]
            return chat
        return {"id": cid, "type": "supergroup", "title": f"Chat {cid}"}

    @staticmethod
    def _require(params: Params, *names: str) -> None:
        for name in names:
            if params.get(name) in (None, ""):
                raise TelegramError(400, f"Bad Request: {name} is empty" if name != "text"
                                    else "Bad Request: message text is empty")

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise TelegramError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise TelegramError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise TelegramError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        return markup

    @staticmethod
    def _render(params: Params) -> tuple[str, str]:
        text = str(params["text"])
        parse_mode = params.get("parse_mode")
        plain = html_to_plain(text) if str(parse_mode or "").lower() == "html" else text
        if not plain.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        if len(plain.encode("utf-16-le")) // 2 > 4096:
            raise TelegramError(400, "Bad Request: message is too long")
        return text, plain

    # ------------------------------------------------------------------------------------------------
    # method handlers
    # ------------------------------------------------------------------------------------------------
    def _handler_table(self) -> dict[str, Handler]:
        async def true(params: Params) -> bool:
            return True

        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "setMyShortDescription": self._set_my_description,
            "close": true,
            "logOut": true,
            "answerCallbackQuery": true,
            "sendChatAction": true,
            "setChatMenuButton": true,
            "pinChatMessage": true,
            "unpinChatMessage": true,
            "leaveChat": true,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
        }

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return dict(self.bot_user)

    async def _delete_webhook(self, params: Params) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._confirm(self._next_update_id)
        return True

    async def _set_webhook(self, params: Params) -> bool:
        self.webhook_url = str(params.get("url", ""))
        self.webhook_secret = params.get("secret_token") or None
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(a) for a in allowed] or None
        if params.get("drop_pending_updates"):
            self._confirm(self._next_update_id)
        asyncio.get_running_loop().call_soon(self._deliver_to_webhook)
        return True

    # ------------------------------------------------------------------------------------------------
    # webhook delivery
    # ------------------------------------------------------------------------------------------------
    async def post_to_webhook(self, update: dict[str, Any], secret: str | None, url: str | None = None) -> int:
        """POST one update to the webhook URL (or ``url``) as Telegram would, with ``secret`` as the secret-token
        header (None: no header); returns the HTTP status. Not queued, not retried (for testing the endpoint)."""
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with self._http().post(url or self.webhook_url, json=update, headers=headers) as response:
            await response.read()
            return response.status

    def _http(self) -> ClientSession:
        if self._client is None or self._client.closed:
            self._client = ClientSession(timeout=ClientTimeout(total=70))
        return self._client

    def _deliver_to_webhook(self) -> None:
        if not self.webhook_url or self._closing:
            return
        for update in self._deliverable():
            update_id = int(update["update_id"])
            if update_id not in self._webhook_tasks:
                task = asyncio.get_running_loop().create_task(self._webhook_delivery(update))
                self._webhook_tasks[update_id] = task
                task.add_done_callback(lambda _, uid=update_id: self._webhook_tasks.pop(uid, None))

    async def _webhook_delivery(self, update: dict[str, Any]) -> None:
        update_id = int(update["update_id"])
        while self.webhook_url and not self._closing:
            url = self.webhook_url
            if self.webhook_targets:
                url = self.webhook_targets[next(self._next_target) % len(self.webhook_targets)] + \
                    "/" + self.webhook_url.split("/", 3)[3]
            try:
                status: int | None = await self.post_to_webhook(update, self.webhook_secret, url)
            except (ClientError, OSError, TimeoutError):
                status = None
            self.webhook_deliveries.append(WebhookDelivery(update_id, status, url=url))
            if status is not None and 200 <= status < 300:
                self._updates = [u for u in self._updates if int(u["update_id"]) != update_id]
                self._confirmed_update_id = max(self._confirmed_update_id, update_id + 1)
                return
            await asyncio.sleep(self.webhook_retry_interval)

    async def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    @staticmethod
    def _commands_key(params: Params) -> str:
        return json.dumps([params.get("scope") or {"type": "default"}, params.get("language_code") or ""],
                          sort_keys=True)

    async def _set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise TelegramError(400, "Bad Request: can't parse commands JSON object")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: Params) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: Params) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _set_my_description(self, params: Params) -> bool:
        for key in ("description", "short_description"):
            if key in params:
                self.descriptions[f"{key}:{params.get('language_code') or ''}"] = str(params[key])
        return True

    def _confirm(self, offset: int) -> None:
        self._confirmed_update_id = max(self._confirmed_update_id, offset)
        self._updates = [u for u in self._updates if int(u["update_id"]) >= offset]

    def _update_allowed(self, update: dict[str, Any]) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _NOT_DEFAULT_UPDATE_TYPES

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        token = self._current_token
        if self.webhook_url:
            raise TelegramError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        previous = self._active_polls.get(token)
        if previous is not None:  # Telegram terminates the older long poll of the same bot
            self._conflicted.add(previous)
            previous.set()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(a) for a in allowed] or None
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if isinstance(offset, int) and offset > 0:
            self._confirm(offset)
        if not self._deliverable() and timeout > 0 and not self._closing:
            ev = asyncio.Event()
            self._poll_waiters.add(ev)
            self._active_polls[token] = ev
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ev.wait(), min(timeout, self.max_poll_wait))
            finally:
                self._poll_waiters.discard(ev)
                if self._active_polls.get(token) is ev:
                    del self._active_polls[token]
            if ev in self._conflicted:
                self._conflicted.discard(ev)
                self.conflicts += 1
                raise TelegramError(409, DEFAULT_DESCRIPTIONS[409])
        updates = self._deliverable()
        if isinstance(offset, int) and offset < 0:
            updates = updates[offset:]
        return updates[: max(1, min(limit, 100))]

    def _deliverable(self) -> list[dict[str, Any]]:
        """Queued updates the bot asked for; others are dropped as Telegram would (see dropped_updates)."""
        kept: list[dict[str, Any]] = []
        for update in self._updates:
            if self._update_allowed(update):
                kept.append(update)
            else:
                self.dropped_updates.append(update)
        self._updates = kept
        return kept

    def _store_message(self, params: Params, text: str, plain: str,
                       markup: dict[str, Any] | None) -> SentMessage:
        chat = self._chat(params["chat_id"])
        key = _to_int(params["chat_id"]) or 0
        message_id = self._next_message_id.get(key, 1)
        self._next_message_id[key] = message_id + 1
        msg = SentMessage(
            chat=chat, message_id=message_id, text=text, plain_text=plain, reply_markup=markup,
            date=int(time.time()), seq=self._last_seq, parse_mode=params.get("parse_mode"),
        )
        self._messages.setdefault(key, []).append(msg)
        return msg

    async def _send_message(self, params: Params) -> dict[str, Any]:
        self._require(params, "chat_id", "text")
        text, plain = self._render(params)
        markup = self._check_markup(params.get("reply_markup"))
        return self._store_message(params, text, plain, markup).as_message_dict(self.bot_user)

    async def _send_document(self, params: Params) -> dict[str, Any]:
        self._require(params, "chat_id", "document")
        document = params["document"]
        if isinstance(document, str) and document.startswith("attach://"):  # aiogram uploads this way
            document = params.get(document.removeprefix("attach://"))
        if not isinstance(document, UploadedFile) or not document.data:
            raise TelegramError(400, "Bad Request: file must be non-empty")
        if len(document.data) > 50 * 1024 * 1024:
            raise TelegramError(413, "Request Entity Too Large")
        text, plain = ("", "")
        if params.get("caption"):
            text, plain = self._render({**params, "text": params["caption"]})
            if len(plain) > 1024:
                raise TelegramError(400, "Bad Request: message caption is too long")
        msg = self._store_message(params, text, plain, self._check_markup(params.get("reply_markup")))
        msg.document = document
        return {**msg.as_message_dict(self.bot_user),
                "document": {"file_id": f"doc{msg.message_id}", "file_unique_id": f"u{msg.message_id}",
                             "file_name": document.filename}}

    async def _send_photo(self, params: Params) -> dict[str, Any]:
        """A photo is kept like a document (SentMessage.document holds the uploaded bytes)."""
        sent = await self._send_document({**params, "document": params.get("photo")})
        sent.pop("document")
        return {**sent, "photo": [{"file_id": f"photo{sent['message_id']}", "file_unique_id": f"p{sent['message_id']}",
                                   "width": 1280, "height": 960}]}

    def _find_for_edit(self, params: Params) -> SentMessage:
        self._require(params, "chat_id", "message_id")
        key = _to_int(params["chat_id"]) or 0
        message_id = int(params["message_id"])
        msg = self.get_message(key, message_id)
        if msg is None:  # lenient: a message we never sent (e.g. built by UpdateFactory.callback)
            msg = SentMessage(chat=self._chat(params["chat_id"]), message_id=message_id, text="",
                              plain_text="", reply_markup=None, date=int(time.time()), seq=self._last_seq,
                              synthetic=True)
            self._messages.setdefault(key, []).append(msg)
            self._next_message_id[key] = max(self._next_message_id.get(key, 1), message_id + 1)
        elif msg.deleted:
            raise TelegramError(400, "Bad Request: message to edit not found")
        return msg

    def _apply_edit(self, msg: SentMessage, text: str, plain: str, markup: dict[str, Any] | None) -> None:
        if msg.plain_text == plain and msg.text == text and msg.reply_markup == markup and not msg.synthetic:
            raise TelegramError(
                400, "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")
        if not msg.synthetic:
            msg.history.append((msg.text, msg.reply_markup))
        msg.synthetic = False
        msg.text, msg.plain_text, msg.reply_markup = text, plain, markup
        msg.changed_seq = self._last_seq
        msg.edit_count += 1

    async def _edit_message_text(self, params: Params) -> dict[str, Any] | bool:
        self._require(params, "text")
        text, plain = self._render(params)
        markup = self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        msg = self._find_for_edit(params)
        msg.parse_mode = params.get("parse_mode")
        self._apply_edit(msg, text, plain, markup)
        return msg.as_message_dict(self.bot_user)

    async def _edit_message_reply_markup(self, params: Params) -> dict[str, Any] | bool:
        markup = self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        msg = self._find_for_edit(params)
        self._apply_edit(msg, msg.text, msg.plain_text, markup)
        return msg.as_message_dict(self.bot_user)

    async def _delete_message(self, params: Params) -> bool:
        self._require(params, "chat_id", "message_id")
        msg = self.get_message(params["chat_id"], int(params["message_id"]))
        if msg is None or msg.deleted:
            raise TelegramError(400, "Bad Request: message to delete not found")
        msg.deleted = True
        return True

    async def _get_chat(self, params: Params) -> dict[str, Any]:
        self._require(params, "chat_id")
        chat = self._chat(params["chat_id"])
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": True, "limited_gifts": True, "unique_gifts": True,
                                    "premium_subscription": True, "gifts_from_channels": True},
        }

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        configured = self._members.get(chat_id, {}).get(user_id)
        if configured is not None:
            return configured
        if self._creators.get(chat_id) == user_id:
            return chat_member_dict(self._user(user_id), "creator")
        if user_id in self._admins.get(chat_id, []):
            return chat_member_dict(self._user(user_id), "administrator",
                                    can_be_edited=user_id != int(self.bot_user["id"]))
        if chat_id > 0:
            return chat_member_dict(self._user(user_id), "member")
        return chat_member_dict(self._user(user_id), self.default_member_status)

    async def _get_chat_member(self, params: Params) -> dict[str, Any]:
        self._require(params, "chat_id", "user_id")
        chat_id = _to_int(params["chat_id"])
        if not isinstance(chat_id, int):
            raise TelegramError(400, "Bad Request: chat not found")
        return self._member(chat_id, int(params["user_id"]))

    async def _get_chat_administrators(self, params: Params) -> list[dict[str, Any]]:
        self._require(params, "chat_id")
        chat_id = _to_int(params["chat_id"])
        if not isinstance(chat_id, int):
            raise TelegramError(400, "Bad Request: chat not found")
        if chat_id > 0:
            raise TelegramError(400, "Bad Request: there are no administrators in the private chat")
        result: list[dict[str, Any]] = []
        creator = self._creators.get(chat_id)
        if creator is not None:
            result.append(self._member(chat_id, creator))
        result += [self._member(chat_id, uid) for uid in self._admins.get(chat_id, [])]
        return result

    async def _get_chat_member_count(self, params: Params) -> int:
        self._require(params, "chat_id")
        chat_id = _to_int(params["chat_id"])
        if not isinstance(chat_id, int) or chat_id > 0:
            return 2
        return max(2, len(self._admins.get(chat_id, [])) + 1 + len(self._members.get(chat_id, {})))
