"""Start and stop of `python -m bot`, light on imports: signals, the wait for the database, exit codes and
one-line errors. The heavy part (aiogram, models, matching) is imported only once the database answers."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass, field

from bot.config import Settings
from bot.db.availability import DatabaseProblem, wait_for_database


class StartupError(Exception):
    """Start-up cannot go on; one line for the operator, and the exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Lifecycle:
    """`stop` is set by SIGTERM / SIGINT. Until `started`, a signal cancels start-up at once (the bot may be
    waiting for the database or Telegram); afterwards the bot finishes what it is doing and stops."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    started: bool = False

    def watch_signals(self) -> None:
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()

        def on_signal() -> None:
            self.stop.set()
            if not self.started and main is not None:
                main.cancel()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)


async def _main(settings: Settings) -> None:
    lifecycle = Lifecycle()
    lifecycle.watch_signals()
    await wait_for_database(settings.database_url)
    from bot.runner import serve  # aiogram, the models and the matching engine: seconds to import

    await serve(settings, lifecycle)


def launch(settings: Settings) -> int:
    """0 after a clean stop (SIGTERM / Ctrl-C); 2 for a configuration the database or Telegram refuses;
    1 for a failed migration."""
    try:
        asyncio.run(_main(settings))
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.code
    except DatabaseProblem as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):  # a signal during start-up
        return 0
    return 0
