"""Seeded fuzzing of the real Dispatcher (issue 14): random updates of every kind from many people, one at a time
and in bursts of simultaneous updates, and the checks every run must pass.

    fuzz = Fuzz(dispatcher, bot, tg, sessionmaker, updates, FuzzConfig(seed=1, updates=1000))
    report = await fuzz.run()
    assert not report.failures(), report.describe()

Shared by tests/test_fuzz.py (CI-sized runs) and bench/bench_hardening.py (10,000 updates, reply latencies).

What is fed: commands (every command of the bot, with and without arguments, with @botname, in private chats
and groups), random text (long, HTML, control characters, Unicode digits, emoji), stickers, photos, voice,
contacts, edits; presses of buttons the bot really sent (the latest or an old one, double taps), forged and
mutated callback data (ids out of range, negative, garbage, other people's ids); the bot added to and removed
from groups by members and admins, chat_member changes, anonymous group admins, channels posting into linked
groups, channel posts; people without a username or with empty or very long names, some of whom change their
username; people who block the bot. A ready community of confirmed members (admin: Telegram id 1) makes rounds,
check-ins and group sessions reachable, and the outbox is delivered now and then so their buttons exist.

What is checked (`FuzzReport`):
* no unhandled error: no ERROR log record (the error handler logs "update %s failed"), nothing raised out of
  `feed_raw_update`, no crash of the fake server;
* every callback query answered;
* every text sent or edited is valid Telegram HTML of 1 to 4,096 characters (captions 1,024), every alert at
  most 200, and Telegram refused no call (403s from chats the fuzzer blocked on purpose excepted; "message is
  not modified" is counted apart: harmless when handled, an unhandled error when not);
* no error reply (the catalogue's "error.generic");
* database invariants (`check_invariants`).

Reproduction: decisions come from `random.Random(seed)`; they depend on the messages the bot has sent, and
bursts are fed concurrently, so the interleaving inside a burst can differ from run to run. Every failure is
reported with the update that caused it, as JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import statistics
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import ADMIN_COMMANDS, MEMBER_COMMANDS
from bot.db.models import (
    Block,
    CheckinAnswer,
    Community,
    CommunityAdmin,
    Match,
    MatchMember,
    Meetup,
    MeetupConnection,
    MeetupGroup,
    MeetupGroupMember,
    MeetupRsvp,
    Membership,
    MembershipStatus,
    NoMeetingReason,
    OutboxMessage,
    OutboxStatus,
    Round,
    User,
)
from bot.presentation import callbacks
from bot.presentation.texts import LANGUAGES, Texts, catalog
from tests.support.factories import ADMIN_TELEGRAM_ID, FIRST_MEMBER, community_with_members
from tests.support.fake_telegram import FakeTelegram, SentMessage, TelegramError, html_to_plain
from tests.support.updates import BOT_USER, TgUser, UpdateFactory, group_chat, private_chat, utf16_len

Update = dict[str, Any]
Drain = Callable[[], Awaitable[object]]

BOT_NAME = str(BOT_USER["username"])
COMMANDS = (*MEMBER_COMMANDS, *ADMIN_COMMANDS, "cancel", "join")
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
SERVICE_USER = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
TEXT_LIMIT = 4096
ALERT_LIMIT = 200
CAPTION_LIMIT = 1024
REPLY_METHODS = frozenset({
    "SendMessage", "EditMessageText", "EditMessageReplyMarkup", "AnswerCallbackQuery", "SendPhoto", "SendDocument",
    "CopyMessage",
})
ERROR_REPLIES = tuple(text for language in LANGUAGES if (text := catalog(language).get("error.generic")))
START_LINK = re.compile(r"[?&]start(?:group)?=([A-Za-z0-9_-]{1,64})")

# ---------------------------------------------------------------------------------------------------------------
# palettes
# ---------------------------------------------------------------------------------------------------------------
FIRST_NAMES = (
    "Alice", "Bob", "Ива́н", "José", "李雷", "محمد", "Zoë", "<b>Bold</b>", "Tom & Jerry", "&amp;", "a<b", "</i>",
    "", " ", "\u3164", "\u200b", "\u202eevil", "A" * 64, "😀" * 20, "Ann\x00Lee", "x", "{name}", "%s",
)
LAST_NAMES = (None, None, None, None, "Smith", "Б" * 64, "<i>", "&", "", "🙂", "O'Neil")
LANGUAGE_CODES = ("en", "en", "en", "ru", "ru", None, "de", "pt-br", "EN", "zz")
SPECIAL = (
    "²", "٣", "３", "Ⅻ", "¼", "𝟕", "\x00", "\x01", "\x08", "\x1b[31m", "\x7f", "\u200b", "\u200e", "\u202e", "\ufeff",
    "😀", "👨‍👩‍👧‍👦", "🇺🇦", "👍🏽", "<b>", "</b>", "<i>x</i>", "<a href='x'>", "<tg-spoiler>", "&", "&amp;", "&lt;",
    "&#0;", "<", ">", '"', "'", "\\", "%s", "{name}", "{}", "{0}", "\n", "\t", "\r\n", "Привет", "مرحبا", "日本語",
    "e\u0301", "ﷺ", "ǅ", "ß", "İ",
)
WORDS = (
    "coffee", "founder", "design", "hiring", "Berlin", "product", "help", "meet", "python", "investor", "☕",
    "community", "marketing", "sales", "science",
)
PLAUSIBLE = (
    "Alice", "Berlin", "Moscow", "Tokyo", "UTC+3", "utc-5", "GMT+05:45", "Europe/Berlin",
    "I organise meetups for founders and love helping people find their first hires.",
    "Hiring advice and pitch deck reviews", "A technical co-founder for a side project",
    "Reach me at alice@example.com", "@alice_contact", "2099-06-01 18:30", "Founders breakfast",
    "Room 4, Main St 1", "Thanks, it was great!",
)
NUMBERS = (
    "0", "-1", "1", "7", "12", "²", "٣", "３", "1²", "²³", "99999999999999999999", "1e400", "-0", "+5", "0x10",
    "2099-06-01 18:30", "2024-02-30 10:00", "9999-12-31 23:59", "0001-01-01 00:00", "2099-06-01 25:99",
    "UTC+25", "GMT-12:60", "utc+14:00", "−5", "UTC+²", "UTC+٣",
)
# Good answers to the bot's prompts (catalogue key -> answer), for people who cooperate.
HINTS = {
    "q.name": "Alice Smith",
    "q.about": "I organise meetups for founders and love helping people find their first hires.",
    "q.offers": "Hiring advice and pitch deck reviews", "q.needs": "A technical co-founder for a side project",
    "q.city": "Berlin", "q.timezone": "Berlin", "q.timezone.unknown": "UTC+3", "q.contact": "alice@example.com",
    "meetup.ask_title": "Founders <b>breakfast</b> & co", "meetup.bad_title": "Founders breakfast",
    "meetup.ask_when": "2099-06-01 18:30", "meetup.bad_when": "2099-06-01 18:30",
    "meetup.ask_place": "Room 4, Main St 1", "meetup.ask_group_place": "Room 4 & <b>5</b>, Main St 1",
    "checkin.thanks_comment": "Thanks, it was great!",
}
HINT_PREFIXES = tuple(  # the prompt's text up to its first placeholder, in each language
    (catalog(language)[key].split("{")[0], answer)
    for language in LANGUAGES for key, answer in HINTS.items() if key in catalog(language)
)
CODES = ("", "x", "nope", "../../etc", "A" * 64, "A" * 65, "²", "ab cd", "-_-_-_", "0" * 12)
INT_VALUES = (
    "-1", "-2147483649", "2147483647", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808",
    "18446744073709551616", "-9223372036854775809", "99999999999999999999999", "abc", "", "²", "٣", "1.5",
    "1e3", "0x1f", " 7", "+3", "007", "1_000", "-0",
)
NASTY = (
    "²", "٣", "３", "𝟕", "¹⁰", "٠", "-1", "0", "2147483648", "9223372036854775808", "-9223372036854775809", "",
    "abc", "1.5", " 7", "99999999999999999999999", "\x00",
)
BOOL_VALUES = ("0", "1", "true", "false", "yes", "", "2", "on")
STR_VALUES = (
    "", "met", "planned", "not_met", "no_answer", "i_could_not", "other", "online", "offline", "any", "interest",
    "mixed", "en", "ru", "xx", "keep", "tag", "done", "fmt", "tz", "tzname", "tglink", "confirm", "edit", "field",
    "name", "about", "city", "contact", "weekday", "time", "frequency", "groupsize", "reminder", "community",
    "size", "format", "place", "deadline", "mode", "comment", "delete", "leave", "Europe/Berlin", "Not/AZone",
    "../x", "<b>", "²", "٣", "-60", "840", "9999", "1030", "2400", "0000", "weekly", "monthly", "4", "30", "100",
    "-720", "1e3", "A" * 40,
)
CALLBACK_CLASSES: tuple[type[CallbackData], ...] = tuple(
    value for value in vars(callbacks).values()
    if isinstance(value, type) and issubclass(value, CallbackData) and value is not CallbackData
)

# The update being fed in this task (None: outbox delivery, set-up).
CURRENT_UPDATE: ContextVar[int | None] = ContextVar("fuzz_current_update", default=None)


@dataclass(frozen=True)
class FuzzConfig:
    seed: int
    updates: int = 1000
    people: int = 40
    """Fresh people: random names (some empty or very long), usernames (some none) and languages."""
    seeded_members: int = 12
    """Confirmed members of a ready community whose admin is Telegram id 1 (rounds and sessions need them)."""
    groups: int = 4
    burst_chance: float = 0.08
    burst_size: tuple[int, int] = (2, 16)
    drain_every: int = 150
    """Deliver the outbox after about this many updates (intros, check-ins, invitations and their buttons)."""
    block_chance: float = 0.3
    """At each delivery, the chance that one more person blocks the bot (their intros bounce with 403)."""


# ---------------------------------------------------------------------------------------------------------------
# what a run saw
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Problem:
    kind: str
    key: str
    """What makes two problems the same bug (exception type and the bot's frame, the refusal, the invariant)."""
    detail: str
    update_id: int | None = None


@dataclass
class Refusal:
    update_id: int | None
    method: str
    error: str


class _Probe(BaseRequestMiddleware):
    """Sees every Bot API request the bot makes: which update it answers, when, and Telegram's refusals."""

    def __init__(self) -> None:
        self.first_reply: dict[int, float] = {}
        self.refusals: list[Refusal] = []
        self.active = True

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        update_id = CURRENT_UPDATE.get()
        name = type(method).__name__
        if self.active and update_id is not None and name in REPLY_METHODS:
            self.first_reply.setdefault(update_id, time.perf_counter())
        try:
            return await make_request(bot, method)
        except TelegramAPIError as error:
            if self.active:
                self.refusals.append(Refusal(update_id, name, str(error)))
            raise


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def capture_errors() -> Iterator[_ErrorRecords]:
    handler = _ErrorRecords()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    if root.level > logging.ERROR or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class FuzzReport:
    label: str
    updates: dict[int, Update] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)
    bursts: int = 0
    largest_burst: int = 0
    problems: list[Problem] = field(default_factory=list)
    callbacks: int = 0
    unanswered: list[int] = field(default_factory=list)
    answered_twice: list[int] = field(default_factory=list)
    error_replies: int = 0
    not_modified: int = 0
    """Edits Telegram refused as "message is not modified" (a second press): fine when the bot carries on."""
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    delivered: int = 0

    def add(self, kind: str, key: str, detail: str, update_id: int | None = None) -> None:
        self.problems.append(Problem(kind, key, detail, update_id))

    def of(self, kind: str) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]

    def failures(self) -> list[str]:
        """One line per distinct failure; empty when the run passed every check."""
        grouped: dict[tuple[str, str], int] = Counter((p.kind, p.key) for p in self.problems)
        lines = [f"{kind}: {key} (x{count})" for (kind, key), count in grouped.items()]
        if self.unanswered:
            lines.append(f"unanswered callbacks: {len(self.unanswered)} of {self.callbacks}")
        if self.error_replies:
            lines.append(f"error replies: {self.error_replies}")
        return lines

    def update_json(self, update_id: int | None, limit: int = 1500) -> str:
        if update_id is None or update_id not in self.updates:
            return "(no single update: outbox delivery, set-up, or see above)"
        text = json.dumps(self.updates[update_id], ensure_ascii=False)
        return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"

    def latency_line(self) -> str:
        ms = [v * 1000 for v in self.latencies]
        if not ms:
            return "reply latency: no replies"
        return (f"reply latency ms: p50 {percentile(ms, 0.5):.1f}  p99 {percentile(ms, 0.99):.1f}  "
                f"max {max(ms):.1f}  (n={len(ms)})")

    def describe(self) -> str:
        lines = [
            f"{self.label}: {len(self.updates)} updates in {self.seconds:.1f} s, {self.bursts} bursts "
            f"(largest {self.largest_burst}), {self.callbacks} callback queries, {self.delivered} outbox messages "
            f"delivered",
            "kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(self.kinds.items())),
            f"unhandled errors: {len(self.of('unhandled'))}, unanswered callbacks: {len(self.unanswered)}, "
            f"answered twice: {len(self.answered_twice)}, refused calls: {len(self.of('refused'))} "
            f"(and {self.not_modified} 'not modified'), "
            f"invalid texts: {len(self.of('text'))}, error replies: {self.error_replies}, "
            f"invariant violations: {len(self.of('invariant'))}",
            self.latency_line(),
        ]
        seen: dict[tuple[str, str], list[Problem]] = defaultdict(list)
        for problem in self.problems:
            seen[(problem.kind, problem.key)].append(problem)
        for (kind, key), found in seen.items():
            first = found[0]
            lines += [f"--- {kind} x{len(found)}: {key}", first.detail, "update: " + self.update_json(first.update_id)]
        failed = {p.update_id for p in self.problems if p.kind == "unhandled"}
        silent = [u for u in self.unanswered if u not in failed]
        lines.append(f"unanswered callbacks: {len(self.unanswered)}, of which {len(silent)} without an unhandled "
                     f"error")
        for update_id in (silent or self.unanswered)[:5]:
            lines += ["--- unanswered callback", "update: " + self.update_json(update_id)]
        return "\n".join(lines)


def bot_frame(tb: traceback.StackSummary) -> str:
    """The innermost frame in our own code (bot/ or matching/), else the innermost frame."""
    for frame in reversed(tb):
        path = frame.filename.replace("\\", "/")
        if _ours(path) and not path.endswith("bot/telegram_retry.py"):
            package = "/bot/" if "/bot/" in path else "/matching/"
            return f"{package.strip('/')}/{path.rsplit(package, 1)[1]}:{frame.lineno} in {frame.name}"
    last = tb[-1] if tb else None
    return f"{last.filename}:{last.lineno} in {last.name}" if last else "?"


def describe_exception(error: BaseException) -> tuple[str, str]:
    """(key, detail): the key names the exception type, its first words and where in our code it was raised."""
    tb = traceback.extract_tb(error.__traceback__)
    message = " ".join(str(error).split())
    short = re.sub(r"\d{3,}", "N", message)[:90]
    key = f"{type(error).__name__} at {bot_frame(tb)}: {short}"
    ours = [frame for frame in tb if _ours(frame.filename)][-4:] or list(tb)[-2:]
    lines = traceback.format_list(ours) + traceback.format_exception_only(type(error), error)
    return key, "".join(lines)[-2000:]


def _ours(filename: str) -> bool:
    path = filename.replace("\\", "/")
    return "site-packages" not in path and ("/bot/" in path or "/matching/" in path)


# ---------------------------------------------------------------------------------------------------------------
# the fuzzer
# ---------------------------------------------------------------------------------------------------------------
class Fuzz:
    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
        updates: UpdateFactory, config: FuzzConfig, *, label: str = "", drain: Drain | None = None,
    ) -> None:
        self.dispatcher, self.bot, self.tg, self.sessionmaker, self.factory = dispatcher, bot, tg, sessionmaker, updates
        self.config = config
        self.rng = random.Random(config.seed)
        self.drain = drain
        self.report = FuzzReport(label or f"seed {config.seed}")
        self.probe = _Probe()
        bot.session.middleware(self.probe)
        self.people: list[TgUser] = []
        self.admin = TgUser(ADMIN_TELEGRAM_ID, "Olga", username=f"user{ADMIN_TELEGRAM_ID}")
        self.blocked: set[int] = set()
        self.codes: list[str] = []
        self.groups: list[dict[str, Any]] = []
        self.channels: dict[int, dict[str, Any]] = {}
        self.callback_ids: dict[str, int] = {}
        self.raised: list[tuple[int, BaseException]] = []
        self.started: dict[int, float] = {}
        self.creators: set[int] = set()
        self._violations: set[tuple[str, str]] = set()
        self._looked_after = 0
        self.seen_data: list[str] = []
        self.values_at: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._seen_data_set: set[str] = set()
        self._harvested = 0
        self._callback_counter = 0
        self._fed_since_drain = 0

    # -- set-up ---------------------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        rng, config = self.rng, self.config
        seeded = await community_with_members(self.sessionmaker, config.seeded_members, name="Seeded <Founders> & Co",
                                              long_about=True)
        async with self.sessionmaker() as session:
            code = await session.scalar(select(Community.invite_code).where(Community.id == seeded.id))
        self.codes.append(str(code))
        self.people.append(self.admin)
        self.people += [TgUser(FIRST_MEMBER + i, f"Member{i}", username=f"user{FIRST_MEMBER + i}")
                        for i in range(config.seeded_members)]
        for index in range(config.people):
            self.people.append(TgUser(
                500_000 + index, rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES),
                username=None if rng.random() < 0.35 else f"fz{index}_{rng.randrange(1000)}",
                language_code=rng.choice(LANGUAGE_CODES),
            ))
        for index in range(config.groups):
            chat_id = -1001_000_000_000 - index
            title = rng.choice(("Founders chat", "<b>Group</b> & friends", "Группа", "😀" * 30, "G" * 128, "x"))
            chat_type = "supergroup" if index % 3 else "group"
            chat = group_chat(chat_id, title, chat_type)
            self.groups.append(chat)
            admins = rng.sample(self.people, 2)
            self.tg.set_chat(chat)
            self.tg.set_chat_admins(chat_id, [a.id for a in admins], creator=admins[0].id)
            self.channels[chat_id] = {"id": -1002_000_000_000 - index, "type": "channel", "title": f"Channel {index}"}
        for person in self.people:
            self.tg.set_user(person)

    # -- running --------------------------------------------------------------------------------------------------
    async def run(self) -> FuzzReport:
        started = time.perf_counter()
        with capture_errors() as errors:
            await self.prepare()
            await self.prelude()
            while len(self.report.updates) < self.config.updates:
                if self.rng.random() < self.config.burst_chance:
                    low, high = self.config.burst_size
                    batch = [u for _ in range(self.rng.randint(low, high)) for u in self.next_updates()]
                    await self.feed_burst(batch)
                else:
                    for update in self.next_updates():
                        await self.feed_one(update)
                if self._fed_since_drain >= self.config.drain_every:
                    await self.deliver()
            await self.deliver()
        self.report.seconds = time.perf_counter() - started
        await self.check(errors.records)
        return self.report

    async def prelude(self) -> None:
        """A round, its check-in and a group session of the ready community, and two more communities, so that
        their buttons exist from the start. A step whose button is not there (the bot changed) is skipped."""
        admin = self.admin
        await self.script(admin, "/matchnow")
        await self.script_press(admin, "mn:")
        await self.deliver()
        await self.script(admin, "/checkin")
        await self.deliver()
        for text in ("/session", HINTS["meetup.ask_title"], HINTS["meetup.ask_when"]):
            await self.script(admin, text)
        for step in ("size", "format", "place", "deadline", "mode"):
            await self.script_press(admin, f"sw:{step}:")
        await self.deliver()
        for creator in self.rng.sample(self.people[1 + self.config.seeded_members:], 2):
            self.creators.add(creator.id)
            await self.script(creator, f"/newcommunity {self.rng.choice(WORDS)} club")
        self.harvest_codes()

    async def script(self, person: TgUser, text: str) -> None:
        self.report.kinds["prelude"] += 1
        await self.feed_one(self.factory.message(person, text))

    async def script_press(self, person: TgUser, prefix: str) -> None:
        for message in reversed(self.keyboard_messages(person.id)):
            data = next((d for _, d in message.buttons if d and d.startswith(prefix)), None)
            if data is not None:
                self.report.kinds["prelude"] += 1
                await self.feed_one(self.press(person, message, data, fresh=True))
                return

    async def deliver(self) -> None:
        self._fed_since_drain = 0
        if self.drain is None:
            return
        active = [p for p in self.people if p.id not in self.blocked and p.id != ADMIN_TELEGRAM_ID]
        if active and self.rng.random() < self.config.block_chance:
            quitter = self.rng.choice(active)
            self.blocked.add(quitter.id)
            self.tg.block(quitter.id)
            await self.feed_one(self._update("my_chat_member", {
                "chat": private_chat(quitter), "from": quitter.as_dict(), "date": self.factory.now(),
                "old_chat_member": {"status": "member", "user": dict(BOT_USER)},
                "new_chat_member": {"status": "kicked", "user": dict(BOT_USER), "until_date": 0},
            }))
        sent = await self.drain()
        self.report.delivered += int(sent) if isinstance(sent, int) else 0
        self.harvest_codes()
        await self.check_database()

    async def check_database(self) -> None:
        """Invariants, now: a violation is reported once, with the updates fed since the previous look."""
        last = max(self.report.updates, default=0)
        for key, detail in await check_invariants(self.sessionmaker):
            if (key, detail) not in self._violations:
                self._violations.add((key, detail))
                self.report.add("invariant", key, f"{detail}\nfirst seen after update {last} (previous look: after "
                                f"update {self._looked_after})")
        self._looked_after = last

    async def feed_one(self, update: Update) -> None:
        update_id = int(update["update_id"])
        self.report.updates[update_id] = update
        self._fed_since_drain += 1
        query = update.get("callback_query")
        if query is not None:
            self.callback_ids[str(query["id"])] = update_id
        token = CURRENT_UPDATE.set(update_id)
        self.started[update_id] = time.perf_counter()
        try:
            await self.dispatcher.feed_raw_update(self.bot, update)
        except Exception as error:  # the dispatcher's error handler should have taken it
            self.raised.append((update_id, error))
        finally:
            CURRENT_UPDATE.reset(token)
        if len(self.report.updates) % 25 == 0:
            self.harvest_codes()

    async def feed_burst(self, batch: list[Update]) -> None:
        self.report.bursts += 1
        self.report.largest_burst = max(self.report.largest_burst, len(batch))
        await asyncio.gather(*(self.feed_one(update) for update in batch))

    def harvest_codes(self) -> None:
        """Invite codes and callback data from the messages the bot sent or edited since the last look."""
        since, self._harvested = self._harvested, self.tg.mark()
        for message in self.tg.all_messages():
            if message.changed_seq <= since:
                continue
            for found in START_LINK.findall(message.text):
                if found not in self.codes:
                    self.codes.append(found)
            for _, target in message.buttons:
                for found in START_LINK.findall(target or ""):
                    if found not in self.codes:
                        self.codes.append(found)
                if target and not target.startswith(("http", "tg:")) and target not in self._seen_data_set:
                    self._seen_data_set.add(target)
                    self.seen_data.append(target)
                    prefix, *values = target.split(":")
                    for position, value in enumerate(values, start=1):
                        known = self.values_at[(prefix, position)]
                        if value not in known:
                            known.append(value)

    # -- choosing what happens next ------------------------------------------------------------------------------
    def next_updates(self) -> list[Update]:
        kinds: tuple[tuple[Callable[[], list[Update]], int], ...] = (
            (self.cooperate, 24), (self.private_text, 14), (self.private_command, 16), (self.press_button, 12),
            (self.double_tap, 4), (self.forged_callback, 9), (self.media, 4), (self.group_command, 5),
            (self.group_text, 2), (self.bot_membership, 3), (self.chat_member, 1), (self.anonymous_admin, 2),
            (self.channel_in_group, 2), (self.channel_post, 1), (self.edited, 1), (self.rename, 1),
        )
        maker = self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        made = maker()
        self.report.kinds[maker.__name__] += len(made)
        return made

    def person(self) -> TgUser:
        active = [p for p in self.people if p.id not in self.blocked]
        if self.rng.random() < 0.12:
            return self.admin
        return self.rng.choice(active or self.people)

    def _update(self, kind: str, payload: dict[str, Any]) -> Update:
        return {"update_id": self.factory.next_update_id(), kind: payload}

    def code(self) -> str:
        if self.codes and self.rng.random() < 0.75:
            return self.rng.choice(self.codes)
        return self.rng.choice(CODES)

    def random_text(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.25:
            return rng.choice(PLAUSIBLE)
        if roll < 0.4:
            return rng.choice(NUMBERS)
        if roll < 0.7:
            parts = [rng.choice(SPECIAL + WORDS) for _ in range(rng.randint(1, 12))]
            return rng.choice(("", " ")).join(parts)
        if roll < 0.8:
            return rng.choice(("   ", "\n\n", "\u200b", "/", "/ start", "//x", "@" + BOT_NAME, "\x00", "<b>"))
        if roll < 0.9:
            unit = rng.choice(("A", "é", "😀", "<b>", "&", "Привет ", "a\x00"))
            return (unit * (rng.choice((4096, 5000)) // len(unit) + 1))[: rng.choice((300, 501, 4096, 5000))]
        return "".join(rng.choice(SPECIAL + WORDS + (" ",)) for _ in range(rng.randint(200, 700)))[:5000]

    def command_text(self, *, in_group: bool, admin: bool = False) -> str:
        rng = self.rng
        if admin and rng.random() < 0.5:
            name = rng.choice(ADMIN_COMMANDS)
        else:
            name = rng.choice((*COMMANDS, *COMMANDS, "foo", "START", "Help", "start_", "s"))
        mention = rng.choice(("", "", "", f"@{BOT_NAME}", f"@{BOT_NAME.upper()}", "@other_bot")) if not in_group \
            else rng.choice(("", f"@{BOT_NAME}", f"@{BOT_NAME}", "@other_bot"))
        roll = rng.random()
        if name in ("start", "START") and roll < 0.7:
            args: str | None = self.code()
        elif name == "newcommunity" and roll < 0.8:
            args = rng.choice(("Founders", "<b>HR</b> & people", "²", "", " ", "C" * 200, "😀" * 70,
                               self.random_text()))
        elif roll < 0.6:
            args = None
        else:
            args = rng.choice((self.random_text(), self.code(), "²", "1", "-1", "9223372036854775808"))
        return f"/{name}{mention}" + (f" {args}" if args else "")

    # -- kinds of update ------------------------------------------------------------------------------------------
    def private_text(self) -> list[Update]:
        return [self.factory.message(self.person(), self.random_text())]

    def private_command(self) -> list[Update]:
        person = self.person()
        admin = person.id == ADMIN_TELEGRAM_ID or person.id in self.creators
        return [self.factory.message(person, self.command_text(in_group=False, admin=admin))]

    def cooperate(self) -> list[Update]:
        """What a well-meaning person would do next: press a button of the latest message or answer its question."""
        person = self.person()
        last = self.tg.last_message(person.id)
        if last is None or self.rng.random() < 0.08:
            return [self.factory.message(person, f"/start {self.code()}")]
        pressable = [(text, data) for text, data in last.buttons if data and not data.startswith(("http", "tg:"))]
        if pressable and self.rng.random() < 0.85:
            return [self.press(person, last, self.rng.choice(pressable)[1] or "")]
        hint = next((answer for prefix, answer in HINT_PREFIXES if len(prefix) > 8 and prefix in last.text), None)
        if hint is not None and self.rng.random() < 0.9:
            return [self.factory.message(person, hint)]
        return [self.factory.message(person, self.rng.choice(PLAUSIBLE))]

    def keyboard_messages(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.tg.messages(chat_id)
                if any(data and not data.startswith(("http", "tg:")) for _, data in m.buttons)]

    def press(self, person: TgUser, message: SentMessage, data: str, *, fresh: bool = False) -> Update:
        update = self.factory.callback(person, data, message.message_id, chat=message.chat,
                                       message_text=message.plain_text, reply_markup=message.reply_markup)
        if not fresh and self.rng.random() < 0.04:  # older than 48 hours: Telegram sends an InaccessibleMessage
            update["callback_query"]["message"] = {"chat": message.chat, "message_id": message.message_id, "date": 0}
        self._callback_counter += 1
        update["callback_query"]["id"] = f"{self.config.seed}-{self._callback_counter}"
        return update

    def press_button(self) -> list[Update]:
        person = self.person()
        messages = self.keyboard_messages(person.id)
        if not messages:
            return self.forged_callback(person)
        message = messages[-1] if self.rng.random() < 0.6 else self.rng.choice(messages)
        data = self.rng.choice([d for _, d in message.buttons if d and not d.startswith(("http", "tg:"))])
        return [self.press(person, message, data or "")]

    def double_tap(self) -> list[Update]:
        person = self.person()
        messages = self.keyboard_messages(person.id)
        if not messages:
            return self.forged_callback(person)
        message = messages[-1]
        data = self.rng.choice([d for _, d in message.buttons if d and not d.startswith(("http", "tg:"))]) or ""
        return [self.press(person, message, data), self.press(person, message, data)]

    def forged_data(self, person: TgUser) -> str:
        rng = self.rng
        roll = rng.random()
        own = self.keyboard_messages(person.id)[-1:]
        if own and roll < 0.3:  # tamper with a button of the latest keyboard this person sees
            parts = (rng.choice([d for _, d in own[0].buttons if d and not d.startswith(("http", "tg:"))]) or "")
            parts_list = parts.split(":")
            index = len(parts_list) - 1 if rng.random() < 0.6 else rng.randrange(len(parts_list))
            parts_list[index] = rng.choice(NASTY) if rng.random() < 0.7 else str(rng.randrange(0, 40))
            return ":".join(parts_list).encode()[:64].decode(errors="ignore")
        roll = rng.random()
        if roll < 0.5:
            cls = rng.choice(CALLBACK_CLASSES)
            parts = [cls.__prefix__]
            for position, info in enumerate(cls.model_fields.values(), start=1):
                seen = self.values_at.get((cls.__prefix__, position))
                if seen and rng.random() < 0.5:
                    parts.append(rng.choice(seen))
                elif info.annotation is bool:
                    parts.append(rng.choice(BOOL_VALUES))
                elif info.annotation is int:
                    parts.append(str(rng.randrange(0, 25)) if rng.random() < 0.6 else rng.choice(INT_VALUES))
                else:
                    parts.append(rng.choice(STR_VALUES) if rng.random() < 0.85 else self.random_text()[:20])
            if rng.random() < 0.08:
                parts.append(rng.choice(("", "1", "x")))
            elif rng.random() < 0.08 and len(parts) > 1:
                parts.pop()
            data = ":".join(parts)
        elif roll < 0.85:  # a real button's data, mutated (possibly from someone else's chat)
            if not self.seen_data:
                return "x:nothing"
            parts = rng.choice(self.seen_data).split(":")
            if rng.random() < 0.3:  # someone else's button as it is
                return ":".join(parts)
            index = rng.randrange(1, len(parts)) if len(parts) > 1 else 0
            roll = rng.random()
            parts[index] = (rng.choice(NASTY) if roll < 0.5 else str(rng.randrange(0, 40)) if roll < 0.7
                            else rng.choice((*INT_VALUES, *STR_VALUES)))
            data = ":".join(parts)
        else:
            data = rng.choice(("", ":", "::", "q", "q:", "zz:1", "x:" + "a" * 70, "ё:1", "\x00", "sv:1:1:1", "p"))
        return data.encode()[:64].decode(errors="ignore")

    def forged_callback(self, person: TgUser | None = None) -> list[Update]:
        person = person or self.person()
        last = self.tg.last_message(person.id)
        data = self.forged_data(person)
        message_id = last.message_id if last is not None and self.rng.random() < 0.7 else self.rng.randrange(1, 10**6)
        chat = last.chat if last is not None else private_chat(person)
        update = self.factory.callback(person, data, message_id, chat=chat)
        if self.rng.random() < 0.03:
            del update["callback_query"]["data"]  # a game button: no data at all
            update["callback_query"]["game_short_name"] = "game"
        self._callback_counter += 1
        update["callback_query"]["id"] = f"{self.config.seed}-{self._callback_counter}"
        return [update]

    def media(self) -> list[Update]:
        person, roll = self.person(), self.rng.random()
        if roll < 0.3:
            return [self.factory.sticker(person, emoji=self.rng.choice(("👍", "☕", "😀")))]
        if roll < 0.55:
            caption = self.rng.choice((None, "my photo", "/start", "/profile", "²", "<b>x</b>"))
            return [self.factory.photo(person, caption=caption)]
        if roll < 0.8:
            return [self.factory.voice(person)]
        message = self.factory._message_dict(person, None)
        if self.rng.random() < 0.5:
            message["contact"] = {"phone_number": "+491234567", "first_name": person.first_name or "x",
                                  "user_id": person.id}
        else:
            message["location"] = {"latitude": 52.52, "longitude": 13.4}
        return [self._update("message", message)]

    def group(self) -> dict[str, Any]:
        return dict(self.rng.choice(self.groups))

    def group_command(self) -> list[Update]:
        chat = self.group()
        return [self.factory.message(self.person(), self.command_text(in_group=True), chat=chat)]

    def group_text(self) -> list[Update]:
        return [self.factory.message(self.person(), self.random_text(), chat=self.group())]

    def bot_membership(self) -> list[Update]:
        chat = self.group()
        old, new = self.rng.choice((
            ("left", "member"), ("left", "member"), ("left", "administrator"), ("member", "administrator"),
            ("member", "left"), ("administrator", "left"), ("member", "kicked"), ("kicked", "member"),
            ("member", "member"),
        ))
        actor = self.person()
        update = self.factory.my_chat_member(actor, chat["id"], chat["title"], new, old, chat["type"])
        if self.rng.random() < 0.1:  # added by an anonymous admin
            update["my_chat_member"]["from"] = dict(ANONYMOUS_ADMIN)
        return [update]

    def chat_member(self) -> list[Update]:
        chat, person = self.group(), self.person()
        old, new = self.rng.choice((("left", "member"), ("member", "left"), ("member", "administrator"),
                                    ("member", "kicked"), ("member", "restricted")))
        return [self.factory.chat_member(person, chat["id"], chat["title"], new, old, chat_type=chat["type"])]

    def anonymous_admin(self) -> list[Update]:
        chat = self.group()
        text = self.rng.choice((f"/start@{BOT_NAME} {self.code()}", f"/join@{BOT_NAME}", f"/start@{BOT_NAME}",
                                "/start", self.command_text(in_group=True)))
        message = {"message_id": self.factory.next_message_id(), "from": dict(ANONYMOUS_ADMIN), "sender_chat": chat,
                   "chat": chat, "date": self.factory.now(), **self.factory.text_content(text)}
        return [self._update("message", message)]

    def channel_in_group(self) -> list[Update]:
        chat = self.group()
        channel = self.channels[chat["id"]]
        text = self.rng.choice((f"/start@{BOT_NAME} {self.code()}", f"/join@{BOT_NAME}", "news of the week",
                                self.random_text(), self.command_text(in_group=True)))
        message: dict[str, Any] = {"message_id": self.factory.next_message_id(), "sender_chat": channel, "chat": chat,
                                   "date": self.factory.now(), **self.factory.text_content(text)}
        if self.rng.random() < 0.5:  # a linked channel's post, forwarded automatically into its discussion group
            message["from"] = dict(SERVICE_USER)
            message["is_automatic_forward"] = True
            message["forward_origin"] = {"type": "channel", "chat": channel, "message_id": 7,
                                         "date": self.factory.now()}
        else:  # someone writing in the group as the channel
            message["from"] = dict(CHANNEL_BOT)
        return [self._update("message", message)]

    def channel_post(self) -> list[Update]:
        channel = self.rng.choice(list(self.channels.values()))
        message = {"message_id": self.factory.next_message_id(), "sender_chat": channel, "chat": channel,
                   "date": self.factory.now(), **self.factory.text_content(self.rng.choice(("/start", "/join", "hi")))}
        return [self._update("channel_post", message)]

    def edited(self) -> list[Update]:
        person = self.person()
        message = self.factory._message_dict(person, None, **self.factory.text_content(self.random_text()))
        message["edit_date"] = self.factory.now()
        return [self._update("edited_message", message)]

    def rename(self) -> list[Update]:
        """Someone changes their username (or removes it) and writes again."""
        index = self.rng.choice([i for i, p in enumerate(self.people) if p.id not in self.blocked])
        old = self.people[index]
        username = None if old.username else f"renamed{old.id}"
        new = TgUser(old.id, old.first_name, old.last_name, username, old.language_code)
        self.people[index] = new
        if old.id == ADMIN_TELEGRAM_ID:
            self.admin = new
        self.tg.set_user(new)
        return [self.factory.message(new, self.rng.choice(PLAUSIBLE))]

    # -- checks ---------------------------------------------------------------------------------------------------
    async def check(self, records: list[logging.LogRecord]) -> None:
        report = self.report
        self.probe.active = False
        for record in records:
            update_id = record.args[0] if isinstance(record.args, tuple) and record.args else None
            update_id = update_id if isinstance(update_id, int) and record.msg == "update %s failed" else None
            if record.exc_info and record.exc_info[1] is not None:
                key, detail = describe_exception(record.exc_info[1])
            else:
                key, detail = f"{record.name}: {record.msg}"[:150], record.getMessage()[:1500]
            report.add("unhandled", key, detail, update_id)
        for update_id, error in self.raised:
            key, detail = describe_exception(error)
            report.add("unhandled", "raised out of feed_raw_update: " + key, detail, update_id)
        for error in self.tg.errors:
            report.add("unhandled", "fake server: " + error[:120], error)

        answers = Counter(str(call.params.get("callback_query_id")) for call in self.tg.calls_of("answerCallbackQuery"))
        report.callbacks = len(self.callback_ids)
        report.unanswered = [u for cid, u in self.callback_ids.items() if answers[cid] == 0]
        report.answered_twice = [u for cid, u in self.callback_ids.items() if answers[cid] > 1]

        refused_by_update: dict[tuple[str, str], list[int | None]] = defaultdict(list)
        for refusal in self.probe.refusals:
            refused_by_update[(refusal.method, _short(refusal.error))].append(refusal.update_id)
        for call in self.tg.calls:
            if call.method in ("getUpdates",):
                continue
            if not call.ok:
                if call.error_code == 403 and call.chat_id is not None and self.tg.is_blocked(call.chat_id):
                    continue
                description = str((call.response or {}).get("description", call.error_code))
                if "message is not modified" in description:  # harmless if handled; if not, an unhandled error
                    report.not_modified += 1
                    continue
                candidates = refused_by_update.get((call.method[0].upper() + call.method[1:], _short(description)))
                update_id = candidates.pop(0) if candidates else None
                report.add("refused", f"{call.method}: {_short(description)}", f"{call!r}", update_id)
            if call.method in ("sendMessage", "editMessageText") and "text" in call.params:
                problem = text_problem(str(call.params["text"]), str(call.params.get("parse_mode") or ""))
                if problem:
                    report.add("text", f"{call.method}: {problem.split(':')[0]}", f"{problem}\n{call!r}")
                if any(error in str(call.params["text"]) for error in ERROR_REPLIES):
                    report.error_replies += 1
            if call.method in ("sendDocument", "sendPhoto") and call.params.get("caption"):
                problem = text_problem(str(call.params["caption"]), str(call.params.get("parse_mode") or ""),
                                       CAPTION_LIMIT)
                if problem:
                    report.add("text", f"{call.method} caption: {problem.split(':')[0]}", f"{problem}\n{call!r}")
            if call.method == "answerCallbackQuery" and len(str(call.params.get("text") or "")) > ALERT_LIMIT:
                report.add("text", f"answerCallbackQuery: alert over {ALERT_LIMIT} characters", f"{call!r}",
                           self.callback_ids.get(str(call.params.get("callback_query_id"))))

        for update_id, replied in self.probe.first_reply.items():
            started = self.started.get(update_id)
            if started is not None and replied >= started:
                report.latencies.append(replied - started)

        await self.check_database()


def _short(description: str) -> str:
    text = re.sub(r"\d+", "N", description.replace("Telegram server says - ", ""))
    return text.split(": specified new message content")[0][:100]


def text_problem(text: str, parse_mode: str, limit: int = TEXT_LIMIT) -> str | None:
    """Why Telegram would refuse this message text (or caption, limit 1,024), or None."""
    plain = text
    if parse_mode.lower() == "html":
        try:
            plain = html_to_plain(text)
        except TelegramError as error:
            return f"invalid HTML: {error.description}"
    if not plain.strip():
        return "empty text"
    if utf16_len(plain) > limit:
        return f"too long: {utf16_len(plain)} characters"
    return None


# ---------------------------------------------------------------------------------------------------------------
# database invariants
# ---------------------------------------------------------------------------------------------------------------
async def check_invariants(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    """(key, detail) for every violated invariant; an empty list when the database is consistent."""
    found: list[tuple[str, str]] = []
    async with sessionmaker() as session:
        duplicates = (await session.execute(
            select(Round.community_id, Round.period, func.count()).group_by(Round.community_id, Round.period)
            .having(func.count() > 1))).all()
        for community_id, period, count in duplicates:
            found.append(("two rounds for one community and period", f"community {community_id} {period}: {count}"))

        erased = set(await session.scalars(select(User.id).where(User.deleted_at.is_not(None))))
        status = {(u, c): s for u, c, s in (await session.execute(
            select(Membership.user_id, Membership.community_id, Membership.status))).all()}
        rows = (await session.execute(
            select(Round.id, Round.community_id, Match.id, MatchMember.user_id, MatchMember.no_reason)
            .join(Match, Match.round_id == Round.id).join(MatchMember, MatchMember.match_id == Match.id)
            .order_by(Round.id, Match.id))).all()
        members: dict[int, list[int]] = defaultdict(list)
        seats: dict[tuple[int, int], list[int]] = defaultdict(list)
        community_of_round: dict[int, int] = {}
        cannot = {(match_id, user_id) for _, _, match_id, user_id, reason in rows
                  if reason is NoMeetingReason.CANT_MAKE_IT}
        for round_id, community_id, match_id, user_id, _ in rows:
            members[match_id].append(user_id)
            seats[(round_id, user_id)].append(match_id)
            community_of_round[round_id] = community_id
        for match_id, people in members.items():
            if not 2 <= len(people) <= 8:
                found.append(("a match of fewer than 2 or more than 8 people", f"match {match_id}: {people}"))

        def dropped_out(user_id: int, community_id: int, match_id: int) -> bool:
            return (user_id in erased or status.get((user_id, community_id)) is not MembershipStatus.ACTIVE
                    or (match_id, user_id) in cannot)

        for (round_id, user_id), matches in seats.items():
            community_id = community_of_round[round_id]
            for earlier in matches[:-1]:
                partners = [p for p in members[earlier] if p != user_id]
                if not all(dropped_out(p, community_id, earlier) for p in partners):
                    found.append(("a second match in one round though no partner dropped out",
                                  f"round {round_id}: user {user_id} in matches {matches}; partners of {earlier} "
                                  f"{partners}: not all of them dropped out"))

        # A sent row of an erased person keeps no chat id (and no text): only rows still to send need one.
        bad_outbox = (await session.execute(select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.chat_id).where(
            (OutboxMessage.chat_id.is_(None)) | (OutboxMessage.chat_id == 0),
            OutboxMessage.status != OutboxStatus.SENT))).all()
        for outbox_id, kind, chat_id in bad_outbox:
            found.append(("an unsent outbox row without a chat id", f"outbox {outbox_id} ({kind}): chat {chat_id}"))
        kept = (await session.execute(select(OutboxMessage.id, OutboxMessage.kind).where(
            OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.text != ""))).all()
        for outbox_id, kind in kept:
            found.append(("a sent message whose copy is kept", f"outbox {outbox_id} ({kind})"))
        if erased:
            pending = (await session.execute(select(OutboxMessage.id, OutboxMessage.user_id).where(
                OutboxMessage.user_id.in_(erased),
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))))).all()
            for outbox_id, user_id in pending:
                found.append(("a message still queued for an erased person", f"outbox {outbox_id} user {user_id}"))
            leftovers = (await session.execute(select(User.id).where(User.id.in_(erased), (
                User.telegram_id.is_not(None) | User.username.is_not(None) | User.first_name.is_not(None)
                | User.display_name.is_not(None) | User.about.is_not(None) | User.contact.is_not(None)
                | User.city.is_not(None))))).scalars().all()
            for user_id in leftovers:
                found.append(("personal data kept after /delete", f"user {user_id}"))
            for column in (Membership.user_id, CommunityAdmin.user_id, Block.user_id, CheckinAnswer.user_id,
                           CheckinAnswer.partner_id):
                kept = (await session.execute(select(column).where(column.in_(erased)))).scalars().all()
                for user_id in kept:
                    found.append((f"{column} of an erased person", f"user {user_id}"))

        wrong_pause = (await session.execute(select(Membership.id).where(
            Membership.paused_until.is_not(None), Membership.status != MembershipStatus.PAUSED))).scalars().all()
        for membership_id in wrong_pause:
            found.append(("paused_until on a membership that is not paused", f"membership {membership_id}"))

        partners_of: dict[int, set[int]] = defaultdict(set)
        for people in members.values():
            for person in people:
                partners_of[person].update(p for p in people if p != person)
        for user_id, blocked in (await session.execute(select(Block.user_id, Block.blocked_user_id))).all():
            if blocked == user_id or blocked not in partners_of[user_id]:
                found.append(("a block of someone who was never a partner", f"user {user_id} blocked {blocked}"))

        ratings = (await session.execute(select(MatchMember.match_id, MatchMember.user_id, MatchMember.rating).where(
            MatchMember.rating.is_not(None), (MatchMember.rating < 1) | (MatchMember.rating > 5)))).all()
        for match_id, user_id, rating in ratings:
            found.append(("a rating outside 1-5", f"match {match_id} user {user_id}: {rating}"))
        for match_id, user_id, partner_id in (await session.execute(
                select(CheckinAnswer.match_id, CheckinAnswer.user_id, CheckinAnswer.partner_id))).all():
            if user_id == partner_id or not {user_id, partner_id} <= set(members[match_id]):
                found.append(("a check-in answer about someone not a partner in that match",
                              f"match {match_id}: user {user_id} about {partner_id}"))
        group_ratings = (await session.execute(select(MeetupGroupMember.group_id, MeetupGroupMember.rating).where(
            MeetupGroupMember.rating.is_not(None),
            (MeetupGroupMember.rating < 1) | (MeetupGroupMember.rating > 5)))).all()
        for group_id, rating in group_ratings:
            found.append(("a session rating outside 1-5", f"group {group_id}: {rating}"))

        communities = (await session.execute(select(
            Community.id, Community.schedule_weekday, Community.schedule_hour, Community.schedule_minute,
            Community.reminder_days, Community.round_group_size))).all()
        for community_id, weekday, hour, minute, reminder, size in communities:
            if not (0 <= weekday <= 6 and 0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= reminder <= 31
                    and 2 <= size <= 8):
                found.append(("a schedule out of range", f"community {community_id}: {weekday} {hour}:{minute} "
                                                         f"reminder {reminder} size {size}"))

        in_groups = (await session.execute(
            select(MeetupGroup.meetup_id, MeetupGroupMember.user_id, func.count())
            .join(MeetupGroupMember, MeetupGroupMember.group_id == MeetupGroup.id)
            .group_by(MeetupGroup.meetup_id, MeetupGroupMember.user_id).having(func.count() > 1))).all()
        for meetup_id, user_id, count in in_groups:
            found.append(("a person in two groups of one meetup", f"meetup {meetup_id} user {user_id}: {count}"))
        group_members: dict[int, set[int]] = defaultdict(set)
        for group_id, user_id in (await session.execute(
                select(MeetupGroupMember.group_id, MeetupGroupMember.user_id))).all():
            group_members[group_id].add(user_id)
        for group_id, user_id, other in (await session.execute(select(
                MeetupConnection.group_id, MeetupConnection.user_id, MeetupConnection.other_user_id))).all():
            if user_id not in group_members[group_id] or other not in group_members[group_id] or user_id == other:
                found.append(("a session connection outside the group", f"group {group_id}: {user_id} -> {other}"))
        rsvps = (await session.execute(select(MeetupRsvp.meetup_id, MeetupRsvp.user_id, Meetup.community_id)
                                       .join(Meetup, Meetup.id == MeetupRsvp.meetup_id))).all()
        for meetup_id, user_id, community_id in rsvps:
            if user_id not in erased and (user_id, community_id) not in status:
                found.append(("an RSVP from someone outside the community", f"meetup {meetup_id} user {user_id}"))
    return found


# ---------------------------------------------------------------------------------------------------------------
# a crowd walking the questionnaire in lock step
# ---------------------------------------------------------------------------------------------------------------
CROWD_ANSWERS = (
    "Berlin Founders Club", "I build products for founders", "Helping people hire engineers",
    "Design reviews and brand work", "Anna from the Berlin office",
)


@dataclass
class CrowdResult:
    report: FuzzReport
    confirmed: int
    steps: int


def crowd_step(person: TgUser, last: SentMessage | None, rng: random.Random, code: str) -> tuple[str, str | None]:
    """("text", answer) or ("press", callback data): the right next move in the questionnaire."""
    if last is None:
        return "text", f"/start {code}"
    data = [d or "" for _, d in last.buttons if d and d.startswith("q:")]
    chosen = [d or "" for t, d in last.buttons if d and d.startswith("q:tag:") and t.startswith("✅")]
    # help topics: "none of these"; languages: as guessed
    for prefix in ("q:confirm", "q:keep", "q:tglink", "q:tzname", "q:topics", "q:langs"):
        if any(d.startswith(prefix) for d in data):
            return "press", next(d for d in data if d.startswith(prefix))
    tags = [d for d in data if d.startswith("q:tag:")]
    if tags:
        return "press", (next(d for d in data if d.startswith("q:done")) if chosen else rng.choice(tags))
    for prefix in ("q:fmt:", "q:tz:"):
        options = [d for d in data if d.startswith(prefix)]
        if options:
            return "press", rng.choice(options)
    return "text", rng.choice(CROWD_ANSWERS)


async def crowd_questionnaire(
    dispatcher: Dispatcher, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
    updates: UpdateFactory, *, size: int = 100, seed: int = 1, label: str = "crowd",
) -> CrowdResult:
    """An admin creates a community; `size` people open its invite link at the same moment, then answer each
    question of the questionnaire at the same moment as everyone else, until all have confirmed their profile."""
    rng = random.Random(seed)
    fuzz = Fuzz(dispatcher, bot, tg, sessionmaker, updates, FuzzConfig(seed=seed, updates=0), label=label)
    crowd = [TgUser(700_000 + i, f"Crowd {i}", last_name=rng.choice((None, "Smith")),
                    username=None if i % 3 == 0 else f"crowd{i}", language_code=rng.choice(("en", "ru")))
             for i in range(size)]
    admin = TgUser(699_999, "Olga", username="olga")
    started = time.perf_counter()
    steps = 0
    with capture_errors() as errors:
        await fuzz.feed_one(updates.message(admin, "/newcommunity Crowd club"))
        fuzz.harvest_codes()
        code = fuzz.codes[0]
        done: set[int] = set()
        saved = {Texts(language)("profile.saved_for", community="Crowd club") for language in LANGUAGES}
        while len(done) < size and steps < 20:
            steps += 1
            batch = []
            for person in crowd:
                last = tg.last_message(person.id)
                if last is not None and last.text in saved:
                    done.add(person.id)
                    continue
                kind, value = crowd_step(person, last, rng, code)
                if kind == "press":
                    assert last is not None
                    batch.append(fuzz.press(person, last, value or "", fresh=True))
                else:
                    batch.append(updates.message(person, value or ""))
            if batch:
                fuzz.report.kinds["crowd"] += len(batch)
                await fuzz.feed_burst(batch)
    fuzz.report.seconds = time.perf_counter() - started
    await fuzz.check(errors.records)
    async with sessionmaker() as session:
        confirmed = await session.scalar(select(func.count()).select_from(User).where(
            User.telegram_id.in_([p.id for p in crowd]), User.profile_confirmed_at.is_not(None)))
    return CrowdResult(fuzz.report, int(confirmed or 0), steps)


async def lone_latency(
    dispatcher: Dispatcher, bot: Bot, updates: UpdateFactory, *, repeat: int = 20,
) -> list[float]:
    """Reply latency of one update at a time with nothing else going on: /help from one person, `repeat` times."""
    probe = _Probe()
    bot.session.middleware(probe)
    person = TgUser(900_001, "Solo", username="solo")
    latencies = []
    for _ in range(repeat):
        update = updates.message(person, "/help")
        update_id = int(update["update_id"])
        token = CURRENT_UPDATE.set(update_id)
        started = time.perf_counter()
        try:
            await dispatcher.feed_raw_update(bot, update)
        finally:
            CURRENT_UPDATE.reset(token)
        if update_id in probe.first_reply:
            latencies.append(probe.first_reply[update_id] - started)
    probe.active = False
    return latencies


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
