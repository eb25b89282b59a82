"""Common journeys through the real Dispatcher: an admin creates a community, a member fills the
questionnaire, the outbox is drained."""

from __future__ import annotations

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox import DeliverySettings, DeliveryWorker
from bot.services import replacements
from tests.support.driver import Person, plain

FAST = DeliverySettings(per_chat_interval=0.0, rate_per_second=1000.0)


async def create_community(admin: Person, name: str = "Berlin Founders") -> str:
    """/newcommunity; returns the invite code from the deep link in the reply."""
    replies = await admin.say(f"/newcommunity {name}")
    created = admin.catalogue.like("admin.created", community=name).search(plain(replies))
    assert created is not None, plain(replies)
    assert created["link"].startswith("https://t.me/coffee_test_bot?start=")
    return created["link"].split("?start=")[1]


async def fill_questionnaire(member: Person, code: str, *, city: str = "Berlin") -> None:
    await member.say(f"/start {code}")
    await member.press_key("q.name.keep", name="Alice Smith")
    await member.say("I run a small design studio and love meeting founders.")
    await member.press_key("tag.design")
    await member.press_key("tag.product")
    await member.press_key("q.interests.done")
    await member.say("Brand identity reviews and hiring designers")
    await member.say("A technical co-founder for a side project")
    await member.press_key("q.format.offline")
    await member.say(city)
    await member.press(next(b for b in member.buttons() if b.startswith("🕒")))


async def deliver(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    worker = DeliveryWorker(bot, sessionmaker, FAST, on_blocked=replacements.on_blocked)
    return await worker.drain()
