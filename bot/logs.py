"""Logging set-up: plain text (default) or one JSON object per line (`LOG_FORMAT=json`), each record carrying
the update id and community id of the work it belongs to, where known.

The ids live in context variables: the update middleware binds `update_id` for everything an update's handling
logs, a round binds `community_id`; code that learns a community mid-way can call `bind(community_id=…)`.
Light on imports: `python -m bot` sets logging up before it imports aiogram.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("update_id", "community_id")

_context: ContextVar[dict[str, int]] = ContextVar("log_context", default={})  # noqa: B039 - never mutated


def bind(**values: int | None) -> None:
    """Attach ids to every record logged from here on in this task (and tasks it starts)."""
    _context.set({**_context.get(), **{key: value for key, value in values.items() if value is not None}})


@contextmanager
def log_context(**values: int | None) -> Iterator[None]:
    """Attach ids to every record logged inside the block."""
    token = _context.set({**_context.get(), **{key: value for key, value in values.items() if value is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record (as attributes, so a JSON formatter emits them as fields)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            setattr(record, key, value)
        return True


def setup_logging(level: str, log_format: Literal["text", "json"] = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter  # only when asked for

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # health checks and scrapes every few seconds
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin at start-up
