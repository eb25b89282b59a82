"""Shared helpers of the bench scripts: instances with history, and an exact reference matching."""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import make_url

from matching import Instance, PairResult
from matching.rules import Rules
from matching.score import RECENCY, REPEAT
from matching.serialization import instance_from_dict
from matching.simulate import generate_members, random_history
from tests.support.databases import SERVER_URL, _on_server


@asynccontextmanager
async def scratch_postgres() -> AsyncIterator[str]:
    """The URL of a migrated PostgreSQL database of this run's own on `TEST_DATABASE_URL`'s server, dropped after."""
    name = f"coffee_bench_{os.getpid()}_{secrets.token_hex(4)}"
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    await _on_server(f'CREATE DATABASE "{name}"')
    try:
        from bot.db.migrate import upgrade_to_head  # the bot's code only for the scripts that need a database

        await asyncio.to_thread(upgrade_to_head, url)
        yield url
    finally:
        await _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "members-sample.json"  # ../shared/


def generated(n: int, history_rounds: int, seed: int) -> Instance:
    rng = random.Random(seed)
    members = generate_members(n, rng)
    history = random_history(members, history_rounds, rng)
    return Instance(tuple(members), tuple(history), round=history_rounds + 1)


def sample(history_rounds: int, seed: int) -> Instance:
    base = instance_from_dict(json.loads(SAMPLE.read_text()))
    history = random_history(list(base.members), history_rounds, random.Random(seed))
    return Instance(base.members, tuple(history), round=history_rounds + 1)


def engine_weight(instance: Instance, result: PairResult) -> tuple[int, float]:
    """Number of pairs and their total optimisation weight (score minus repeat costs) of a pairs-only result."""
    rules = Rules(instance)
    total = 0.0
    for match in result.matches:
        a, b = (rules.index[i] for i in match.members)
        total += rules.weight(a, b)
    return len(result.matches), total


def exact_reference(instance: Instance) -> tuple[int, float]:
    """rustworkx maximum-weight maximum-cardinality matching over every allowed pair, same weights."""
    rules = Rules(instance)
    pairs = exact_matching(rules)
    return len(pairs), sum(rules.weight(a, b) for a, b in pairs)


def exact_matching(rules: Rules) -> list[tuple[int, int]]:
    import rustworkx as rx

    n = rules.n
    graph = rx.PyGraph()
    graph.add_nodes_from(range(n))
    shift = REPEAT + RECENCY + 1.0  # positive integer weights; a constant shift keeps the max-cardinality optimum
    edges = [
        (i, j, round((rules.weight(i, j) + shift) * 1000))
        for i in range(n)
        for j in range(i + 1, n)
        if rules.allowed(i, j)
    ]
    graph.add_edges_from(edges)
    matching = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda w: w)
    return sorted((min(a, b), max(a, b)) for a, b in matching)
