"""The layers of bot/ point one way (see README "How it is built" and ../shared/DESIGN.md).

handlers → services → (notifications → presentation) → domain, db, outbox, matching. Presentation never
imports services; services import neither aiogram nor presentation directly; matching stays pure; and no
module-level import cycle exists anywhere in bot/ or matching/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "matching")

# layer → what it must not import (prefixes)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "bot.domain": ("bot.services", "bot.handlers", "bot.presentation", "bot.notifications", "bot.outbox", "aiogram"),
    "bot.db": ("bot.services", "bot.handlers", "bot.presentation", "bot.notifications", "bot.outbox",
               "bot.domain"),
    "bot.outbox": ("bot.services", "bot.handlers", "bot.presentation", "bot.notifications"),
    "bot.presentation": ("bot.services", "bot.handlers", "bot.notifications", "bot.outbox"),
    "bot.notifications": ("bot.services", "bot.handlers"),
    "bot.services": ("bot.handlers", "bot.presentation", "aiogram", "bot.app", "bot.middlewares"),
    "matching": ("bot", "aiogram", "sqlalchemy"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Module-level imports (not those inside functions or TYPE_CHECKING blocks)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    files = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    modules = {module_name(path): path for path in files}
    return {name: {target for target in imports_of(path) if target in modules and target != name}
            for name, path in modules.items()}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_points_up(layer: str) -> None:
    files = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    wrong = sorted(
        f"{module_name(path)} imports {target}"
        for path in files if module_name(path) == layer or module_name(path).startswith(layer + ".")
        for target in imports_of(path)
        for banned in FORBIDDEN[layer] if target == banned or target.startswith(banned + ".")
    )
    assert wrong == []


def test_no_import_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target] if target in path else [node, target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_handlers_hold_no_queries_or_commits() -> None:
    offending = []
    for path in sorted((ROOT / "bot" / "handlers").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "session"):
                offending.append(f"{path.name}:{node.lineno} session.{node.func.attr}")
    assert offending == []


LONGEST_FUNCTION = 60  # lines; a longer one is doing several things


def test_no_function_in_bot_is_longer_than_a_screen() -> None:
    long_ones = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]
    assert long_ones == []
