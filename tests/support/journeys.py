"""Common journeys through the real Dispatcher: an admin creates a community, a member fills the
questionnaire, the outbox is drained."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import MatchMember, User
from bot.domain.text import clean_text
from bot.domain.topics import DEFAULT_BY_ID, MEETING_LANGUAGES
from bot.outbox import DeliverySettings, DeliveryWorker
from bot.services import replacements
from tests.support.driver import Person, plain
from tests.support.fake_telegram import SentMessage

FAST = DeliverySettings(per_chat_interval=0.0, rate_per_second=1000.0)
MEETUP_TITLE = "Winter <b>networking</b> night"
MEETUP_PLACE = "Factory Berlin, Rheinsberger Str. 76"


async def create_community(admin: Person, name: str = "Berlin Founders") -> str:
    """/newcommunity; returns the invite code from the deep link in the reply."""
    replies = await admin.say(f"/newcommunity {name}")
    created = admin.catalogue.like("admin.created", community=name).search(plain(replies))
    assert created is not None, plain(replies)
    assert created["link"].startswith("https://t.me/coffee_test_bot?start=")
    return created["link"].split("?start=")[1]


ABOUT = "I run a small design studio and love meeting founders."
OFFERS = "Brand identity reviews and hiring designers"
NEEDS = "A technical co-founder for a side project"


async def fill_questionnaire(member: Person, code: str, *, city: str = "Berlin", about: str = ABOUT,
                             offers: str = OFFERS, needs: str = NEEDS,
                             offer_topics: Sequence[str] = ("design", "hiring"),
                             need_topics: Sequence[str] = ("cofounder", "engineering"),
                             languages: Sequence[str] | None = None) -> None:
    """Every question answered (in person in `city`); `languages` None keeps the bot's guess."""
    await member.say(f"/start {code}")
    await member.press_key("q.name.keep", name=member.user.first_name)
    await member.say(about)
    await member.press_key("tag.design")
    await member.press_key("tag.product")
    await member.press_key("q.interests.done")
    await help_and_languages(member, offers, needs, offer_topics, need_topics, languages)
    await member.press_key("q.format.offline")
    await member.say(city)
    await member.press(next(b for b in member.buttons() if b.startswith("🕒")))


def topic_label(member: Person, topic_id: str) -> str:
    """A default help topic's button label in the member's language."""
    return DEFAULT_BY_ID[topic_id].label(member.language)


async def pick_topics(member: Person, topic_ids: Sequence[str]) -> list[SentMessage]:
    """Tick the topics on the help topics question and press Done (or "None of these")."""
    for topic_id in topic_ids:
        await member.press(topic_label(member, topic_id))
    return await member.press_key("q.interests.done" if topic_ids else "q.topics.none_fit")


async def pick_languages(member: Person, codes: Sequence[str] | None) -> list[SentMessage]:
    """Tick exactly `codes` on the languages question (None: keep the guess) and press Done."""
    for code, name in MEETING_LANGUAGES.items() if codes is not None else ():
        if (f"✅ {name}" in member.buttons()) != (code in codes):
            await member.press(f"✅ {name}" if code not in codes else name)
    return await member.press_key("q.interests.done")


async def help_and_languages(member: Person, offers: str, needs: str, offer_topics: Sequence[str],
                             need_topics: Sequence[str], languages: Sequence[str] | None) -> None:
    """From "I can help with" (topics, then details) to the languages question, answered."""
    await pick_topics(member, offer_topics)
    await member.say(offers)
    await pick_topics(member, need_topics)
    await member.say(needs)
    await pick_languages(member, languages)


async def deliver(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    worker = DeliveryWorker(bot, sessionmaker, FAST, on_blocked=replacements.on_blocked)
    return await worker.drain()


async def create_meetup(admin: Person, *, size: str = "30", when_days: int = 7, title: str = MEETUP_TITLE,
                        place: str = MEETUP_PLACE) -> None:
    """The /session wizard from title to the mixed-groups button, trying a bad date, a past date and a sticker."""
    assert admin.tr("meetup.ask_title") in plain(await admin.say("/session"))
    await admin.say(title)
    when = (utcnow() + timedelta(days=when_days)).strftime("%Y-%m-%d 18:30")
    assert admin.like("meetup.bad_when").search(plain(await admin.say("next friday")))
    assert admin.tr("meetup.past_when") in plain(await admin.say("2020-01-01 10:00"))
    assert admin.tr("meetup.ask_size") in plain(await admin.say(when))
    await admin.feed(admin.updates.sticker(admin.user))
    assert admin.last is not None and admin.last.plain_text == admin.tr("meetup.use_answer")
    await admin.press(size)
    await admin.press_key("meetup.offline")
    await admin.say(place)
    await admin.press_key("meetup.deadline_24")
    replies = await admin.press_key("meetup.mixed")
    assert admin.like("meetup.created", title=clean_text(title)).search(plain(replies))


async def run_matchnow(admin: Person) -> None:
    """The admin's /matchnow, confirmed (one community)."""
    await admin.say("/matchnow")
    await admin.press_key("matchnow.yes")


async def matches_by_chat(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[int, list[int]]:
    """Every match's people as Telegram chat ids, by match id (0 for an erased person)."""
    async with sessionmaker() as session:
        rows = (await session.execute(select(MatchMember.match_id, User.telegram_id).join(User)
                                      .order_by(MatchMember.match_id, User.telegram_id))).tuples().all()
    matches: dict[int, list[int]] = {}
    for match_id, telegram_id in rows:
        matches.setdefault(match_id, []).append(telegram_id or 0)
    return matches


async def member_in_two_communities(person: Callable[..., Person]) -> tuple[Person, str]:
    """Alice, confirmed in Olga's "Founders"; returns her and the invite code of Olga's "Designers"."""
    olga = person(1, "Olga", username="olga")
    first = await create_community(olga, "Founders")
    second = await create_community(olga, "Designers")
    alice = person(2, "Alice Smith", username="alice")
    await fill_questionnaire(alice, first)
    await alice.press_key("preview.confirm")
    return alice, second
