"""Long database work kept away from the bot's event loop and its interpreter: a round of 10,000 members loads
hundreds of thousands of rows, runs the engine, renders every intro and builds the bulk inserts, and each of
those steps is seconds of Python that would hold up every other update if it ran on the bot's loop, or in a
thread of the bot's process (the interpreter lock lets one thread run Python at a time: the last session
measured a thread's round holding other people's answers up for seconds).

`apart` runs such work in a worker process of its own (one per bot process, started once, kept for the next
round), with an event loop, an engine (one connection, no pool) and a session of its own; the bot's loop only
waits for the result, and other people's updates are answered meanwhile on the other CPU. The work is a
module-level function called with picklable arguments (ids, not objects) and returns a picklable result.

Outbox rows the work commits wake the bot's outbox worker as usual (on the bot's loop, once the work is done);
what the work logs is handed to the bot's own loggers; the worker exits with the bot (it watches its parent).
It runs at nice 10: when the bot has an update to answer, the bot gets the CPU first. The worker is a spawned
interpreter, so a script that runs rounds itself needs the usual `if __name__ == "__main__":` guard.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import logging.handlers
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import configure_mappers
from sqlalchemy.pool import NullPool

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.update_session import release_connection
from bot.outbox.store import wake_of, wake_on_commit

T = TypeVar("T")
Work = Callable[..., Awaitable[T]]  # work(session, *args): a module-level function (the worker imports it)

NICENESS = 10  # background work: when the bot has an update to answer, it gets the CPU first
_lock = threading.Lock()
_worker: _Worker | None = None


class _Worker:
    """One worker process (spawned: a fresh interpreter, nothing of the bot's threads, loop or connections) and
    the thread that hands its log records to the bot's loggers."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.logs: Any = context.Queue()
        self.listener = logging.handlers.QueueListener(self.logs, _Relay())
        self.listener.start()
        self.pool = ProcessPoolExecutor(1, mp_context=context, initializer=_started,
                                        initargs=(os.getpid(), logging.getLogger().level, self.logs))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.listener.stop()


def start_worker(*modules: str) -> None:
    """Start the worker process now and import `modules` there (the engine and the bot's texts take seconds),
    so that the first round does not wait for them; a round starts the worker anyway when nobody did."""
    _the_worker().pool.submit(_ready, modules)


def stop_worker() -> None:
    """Let the work in flight finish, then stop the worker process (a later round starts a new one)."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None:
        worker.close()


def _the_worker() -> _Worker:
    global _worker
    with _lock:
        if _worker is None:
            _worker = _Worker()
        return _worker


async def apart(session: AsyncSession, work: Work[T], *args: Any) -> T:
    """`await work(own_session, *args)` in the worker process, with a session of its own; the caller's open
    transaction is ended first, so that no connection of the bot's pool is held while it runs. `work` loads what
    it needs by id. A worker that died (killed, out of memory) is replaced for the next call; this one raises
    `BrokenProcessPool`."""
    bind = session.bind
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    assert isinstance(engine, AsyncEngine)
    url = engine.url.render_as_string(hide_password=False)
    wake = wake_of(session)
    await release_connection(session)
    worker = _the_worker()
    try:
        result, written = await asyncio.wrap_future(worker.pool.submit(_run, url, work, args))
    except BrokenProcessPool:
        global _worker
        with _lock:
            if _worker is worker:
                _worker = None
        await asyncio.to_thread(worker.close)
        raise
    if written and wake is not None:
        wake()
    return result


# In the worker process.

def _started(parent: int, level: int, logs: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the bot stops us
    os.nice(NICENESS)
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(logs)]
    root.setLevel(level)
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()


def _watch_parent(parent: int) -> None:
    """Exit with the bot: a worker whose bot was killed must not go on writing a round nobody waits for."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _ready(modules: tuple[str, ...]) -> None:
    for module in modules:
        importlib.import_module(module)
    configure_mappers()  # the ORM's first query would otherwise do it, inside the first round


def _run(url: str, work: Work[T], args: tuple[Any, ...]) -> tuple[T, bool]:
    return asyncio.run(_own_loop(url, work, args))


async def _own_loop(url: str, work: Work[T], args: tuple[Any, ...]) -> tuple[T, bool]:
    written: list[bool] = []
    own = create_engine(url, poolclass=NullPool)
    try:
        sessionmaker = create_sessionmaker(own)
        wake_on_commit(sessionmaker, lambda: written.append(True))
        async with sessionmaker() as own_session:
            return await work(own_session, *args), bool(written)
    finally:
        await own.dispose()


class _Relay(logging.Handler):
    """In the bot: a record logged in the worker goes through the logger of the same name, as if logged here."""

    def emit(self, record: logging.LogRecord) -> None:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)
