"""Bring a database to the latest Alembic revision (used by `python -m bot` and the tests).

The migrations ship with the package (pyproject.toml installs the `migrations/` folder next to `bot/`), so this
works from a source checkout, an editable install and a plain `pip install .` alike, from any directory, and
needs no alembic.ini (that file is for developers running the `alembic` command in the checkout).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding the `bot` package: the source checkout, or site-packages after `pip install .`."""
MIGRATIONS = PACKAGE_ROOT / "migrations"


def alembic_config(database_url: str) -> Config:
    if not (MIGRATIONS / "env.py").is_file():
        raise FileNotFoundError(f"the Alembic migrations are missing: {MIGRATIONS / 'env.py'} does not exist")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def upgrade_to_head(database_url: str) -> None:
    """Synchronous: env.py runs its own event loop, so call this outside one (or in a thread)."""
    command.upgrade(alembic_config(database_url), "head")
