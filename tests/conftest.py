"""Fixtures: a real database per test (SQLite and PostgreSQL), a fake Bot API, the real Dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import hypothesis
import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import create_bot, create_dispatcher
from bot.config import Settings
from bot.db.engine import create_engine, create_sessionmaker
from tests.support.databases import BACKENDS, MigratedTemplates, empty_all_tables
from tests.support.driver import Person
from tests.support.fake_telegram import FakeTelegram
from tests.support.process import TEST_TOKEN
from tests.support.updates import TgUser, UpdateFactory

# Fresh random examples every run and no example database in the clone: a property test asserts only what
# the code guarantees, and an example found once becomes an explicit @example or a plain test.
hypothesis.settings.register_profile("coffee", database=None)
hypothesis.settings.load_profile("coffee")



@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("db"))
    yield templates
    asyncio.run(templates.drop_postgres())


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, templates: MigratedTemplates, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return await templates.sqlite(tmp_path / "coffee.db")
    return await templates.postgres()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    if engine.dialect.name == "postgresql":
        await empty_all_tables(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def settings(database_url: str, tg: FakeTelegram) -> Settings:
    return Settings(bot_token=TEST_TOKEN, database_url=database_url, telegram_api_url=tg.base_url)  # type: ignore[arg-type]


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[Bot]:
    bot = create_bot(settings)
    yield bot
    await bot.session.close()


@pytest.fixture
def dispatcher(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Dispatcher:
    return create_dispatcher(settings, sessionmaker)


@pytest.fixture
def updates() -> UpdateFactory:
    return UpdateFactory()


@pytest.fixture
def person(dispatcher: Dispatcher, bot: Bot, tg: FakeTelegram, updates: UpdateFactory) -> PersonFactory:
    def make(user_id: int, first_name: str, username: str | None = None, language_code: str = "en") -> Person:
        user = TgUser(user_id, first_name, username=username, language_code=language_code)
        return Person(user, dispatcher, bot, tg, updates)

    return make


PersonFactory = Callable[..., Person]
