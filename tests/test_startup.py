"""`python -m bot` starting up as an operator sees it: a wrong setting or database is one line on stderr with
exit code 2, reported before aiogram and the matching engine are imported; a PostgreSQL that is not up yet is
waited for."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bot.db.engine import create_engine
from tests.support.catalogue import en
from tests.support.databases import MigratedTemplates, empty_all_tables
from tests.support.fake_telegram import FakeTelegram
from tests.support.process import TEST_TOKEN, bot_process, free_port, output_of, run_bot_once
from tests.support.updates import TgUser, UpdateFactory

pytestmark = pytest.mark.e2e

SETTINGS = ("BOT_TOKEN", "DATABASE_URL", "TELEGRAM_API_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEB_PORT",
            "WEB_HOST", "REDIS_URL", "LOG_FORMAT", "LOG_LEVEL")
HEAVY = ("aiogram", "numpy", "scipy", "matching", "bot.app", "bot.runner")
# main() as `python -m bot` runs it, then which heavy modules got imported on the way to the error.
PROBE = (
    "import sys\n"
    "from bot.__main__ import main\n"
    "code = main()\n"
    f"print(code, *sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
)


def clean_env(**settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS}
    return {**env, **settings}


async def probe(workdir: Path, env: dict[str, str]) -> tuple[str, str]:
    """(stdout: exit code and heavy modules imported, stderr) of main() in a fresh interpreter."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROBE, cwd=workdir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    return stdout.decode().strip(), stderr.decode().strip()


@pytest.mark.parametrize(("settings", "named"), [
    ({}, "BOT_TOKEN"),
    ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
    ({"BOT_TOKEN": TEST_TOKEN, "DATABASE_URL": "mysql://coffee@db/coffee"}, "DATABASE_URL"),
    ({"BOT_TOKEN": TEST_TOKEN, "DATABASE_URL": "not a url at all"}, "DATABASE_URL"),
    ({"BOT_TOKEN": TEST_TOKEN, "DATABASE_URL": "postgresql+psycopg2://db/coffee"}, "DATABASE_URL"),
    ({"BOT_TOKEN": TEST_TOKEN, "WEBHOOK_URL": "ftp://example.com/hook"}, "WEBHOOK_URL"),
    ({"BOT_TOKEN": TEST_TOKEN, "WEBHOOK_SECRET": "spaces are not allowed"}, "WEBHOOK_SECRET"),
    ({"BOT_TOKEN": TEST_TOKEN, "WEB_PORT": "99999"}, "WEB_PORT"),
    ({"BOT_TOKEN": TEST_TOKEN, "REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
    ({"BOT_TOKEN": TEST_TOKEN, "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
])
async def test_a_wrong_setting_is_one_line_before_any_heavy_import(
    tmp_path: Path, settings: dict[str, str], named: str
) -> None:
    result, stderr = await probe(tmp_path, clean_env(**settings))
    assert result == "2", f"exit code and heavy modules imported: {result}"
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], stderr
    assert os.listdir(tmp_path) == []


async def test_a_missing_token_is_reported_quickly(tmp_path: Path) -> None:
    code, stderr, seconds = await run_bot_once(tmp_path, clean_env())
    assert code == 2 and len(stderr.splitlines()) == 1 and "BOT_TOKEN" in stderr
    # Typically 0.6 s on the 2-core development box (it was 5-10 s with aiogram imported first); the bound
    # leaves room for a loaded machine, the probe above is what shows nothing heavy is imported.
    assert seconds < 5, seconds


@pytest.mark.parametrize("where", ["missing folder", "folder is a file"])
async def test_an_unusable_sqlite_location_is_one_line(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    path = tmp_path / "absent" / "coffee.db" if where == "missing folder" else blocker / "coffee.db"
    result, stderr = await probe(tmp_path, clean_env(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=f"sqlite:///{path}"))
    assert result == "2", result
    lines = stderr.splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and str(path) in lines[0], stderr


async def test_a_postgresql_refusal_is_one_line(tmp_path: Path) -> None:
    url = "postgresql://no_such_role_for_coffee_tests@127.0.0.1:5432/postgres"
    result, stderr = await probe(tmp_path, clean_env(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=url))
    assert result == "2", result
    lines = stderr.splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "no_such_role_for_coffee_tests" in lines[0], stderr


async def test_sigterm_while_waiting_for_the_database_stops_cleanly(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/coffee"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=clean_env(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=url),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert b"unreachable" in line and b"retrying" in line, line
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def tcp_forwarder(port: int, target_port: int) -> AsyncIterator[None]:
    """127.0.0.1:port → 127.0.0.1:target_port: PostgreSQL "coming up" on the address the bot waits for."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    connections: set[asyncio.Task[None]] = set()

    async def connect(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    server = await asyncio.start_server(connect, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        await server.wait_closed()


async def test_postgresql_that_comes_up_late_is_waited_for(
    tg: FakeTelegram, templates: MigratedTemplates, tmp_path: Path
) -> None:
    real = make_url(await templates.postgres())
    engine = create_engine(real.render_as_string(hide_password=False))
    await empty_all_tables(engine)
    await engine.dispose()
    port = free_port()
    url = real.set(port=port).render_as_string(hide_password=False)
    async with bot_process(tg, url, tmp_path) as process:
        await tg.wait_for(lambda: output_of(process).count("unreachable") >= 2, timeout=30)
        assert not tg.calls_of("getMe")
        async with tcp_forwarder(port, real.port or 5432):
            await tg.wait_for_call("setMyCommands", timeout=60)
            mark = tg.mark()
            tg.push_update(UpdateFactory().message(TgUser(7, "Vera"), "/help"))
            await tg.wait_for_message(7, contains=en.text("help").splitlines()[0], after=mark, timeout=20)
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0
