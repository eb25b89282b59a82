"""A plain (non-editable) `pip install .` migrates and runs from any directory: Alembic's migrations ship
with the package."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.db.migrate import alembic_config
from tests.support.fake_telegram import FakeTelegram
from tests.support.process import bot_process, output_of

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "bot", "matching", "migrations")


def install_copy(tmp_path: Path) -> Path:
    """A copy of the project installed with `pip install --no-deps .` into a fresh venv whose dependencies
    come from this venv's site-packages (only the directory: this venv's editable install of the project is
    not visible there). Returns the new venv's python."""
    source = tmp_path / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --ignore-installed: without it pip would first uninstall this venv's own (editable) coffee-bot
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed",
                    "--prefix", venv, source], check=True, timeout=600, capture_output=True)
    where = subprocess.run([python, "-c", "import bot.db.migrate as m; print(m.__file__, m.MIGRATIONS)"],
                           cwd=tmp_path, check=True, capture_output=True, text=True, timeout=60).stdout.split()
    assert all(path.startswith(str(venv)) for path in where), f"not the installed copy: {where}"
    return python


async def test_a_non_editable_install_migrates_and_runs(tg: FakeTelegram, tmp_path: Path) -> None:
    python = await asyncio.to_thread(install_copy, tmp_path)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    database = workdir / "coffee.db"
    async with bot_process(tg, f"sqlite+aiosqlite:///{database}", workdir, python=str(python)) as process:
        await tg.wait_for_call("setMyCommands", timeout=120)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0, output_of(process)
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
