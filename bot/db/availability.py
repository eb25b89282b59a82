"""Is the database there? Start-up checks that end in one line naming DATABASE_URL, a wait for a PostgreSQL
that is not up yet, and the readiness probe's ping."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine

log = logging.getLogger(__name__)


class DatabaseProblem(Exception):
    """A database the bot cannot use as configured, described in one line for the operator."""


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def check_sqlite_location(url: str) -> None:
    """For a SQLite file: its folder exists and the bot can create files there (the database, and SQLite's
    -wal and -shm files beside it). Does nothing for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith(
            "file:"):
        return
    path = Path(database).expanduser().absolute()
    folder = path.parent
    if not folder.is_dir():
        raise DatabaseProblem(f"DATABASE_URL points to {path}, but the folder {folder} does not exist: "
                              "create it or choose another path")
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".coffee-write-check-"):
            pass
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise PermissionError(path)
    except OSError as error:
        raise DatabaseProblem(f"DATABASE_URL points to {path}, but the bot cannot write there "
                              f"({error.strerror or 'permission denied'}): make {folder} writable for this user "
                              "or choose another path") from None


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "orig", None)  # SQLAlchemy's DBAPIError
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__


def is_transient(error: BaseException) -> bool:
    """A server that is down, restarting, unreachable or full: worth waiting for. A wrong user, password or
    database name is not."""
    import asyncpg  # only PostgreSQL gets here with its own errors

    transient = (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
                 asyncpg.PostgresConnectionError)
    return any(isinstance(cause, transient) for cause in _causes(error))


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [f"{type(error).__name__}, no details"])[0]


async def ping(engine: AsyncEngine, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a probe's own deadline
    async with asyncio.timeout(timeout), engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def wait_for_database(url: str, *, first_delay: float = 1.0, longest_delay: float = 30.0) -> None:
    """Connect until the database answers. An unreachable server is waited out with backoff (as Telegram is);
    a refusal that waiting cannot fix raises DatabaseProblem."""
    check_sqlite_location(url)
    delay = first_delay
    while True:
        engine = create_engine(url)
        try:
            await ping(engine, timeout=10.0)
            return
        except Exception as error:
            if not is_transient(error):  # TimeoutError is an OSError: no answer in time is waited out too
                raise DatabaseProblem(f"DATABASE_URL ({safe_url(url)}): the database refused the connection: "
                                      f"{first_line(error)}") from error
            log.warning("the database at %s is unreachable (%s); retrying in %.0f s", safe_url(url),
                        first_line(error), delay)
        finally:
            await engine.dispose()
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest_delay)
