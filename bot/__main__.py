"""`python -m bot`: check the settings first (within a second or two, one line and exit code 2 for anything
wrong), wait for the database (same), then import the rest, migrate and run (webhook or long polling: see
bot.runner).

aiogram, the models and the matching engine take several seconds to import: an operator with a typo in a
setting or DATABASE_URL should not wait for them (bot.lifecycle imports them last)."""

from __future__ import annotations

import sys

from bot.config import SettingsError, load_settings
from bot.logs import setup_logging


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.log_format)

    from bot.lifecycle import launch  # waits for the database, then imports and runs the bot

    return launch(settings)


if __name__ == "__main__":
    sys.exit(main())
