"""The JSON command line, run as a subprocess: happy path and every error path (exit 2, one line, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matching", *args], input=stdin, capture_output=True, text=True, cwd=ROOT,
        timeout=120,
    )


def test_pairs_round_trip() -> None:
    instance = {
        "members": [
            {"id": 1, "interests": ["hr", "it"], "offers": "python", "needs": "hiring", "format": "online",
             "city": "Berlin", "utc_offset": 60, "languages": ["en"]},
            {"id": 2, "offers": "hiring"},
            {"id": 3},
            {"id": 7, "format": "offline", "city": "Paris"},
            {"id": 8, "format": "offline", "city": "Rome"},
        ],
        "history": [{"members": [1, 2], "round": 3}, {"members": [1, 99], "round": 4}],
        "blocked": [[7, 1], [7, 2], [7, 3]],
        "round": 10,
    }
    done = run(["pairs", "--seed", "3"], json.dumps(instance))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [u["id"] for u in result["unmatched"]] == [7]
    assert result["unmatched"][0]["reason"] == "no_compatible_partner"
    members = sorted(i for m in result["matches"] for i in m["members"])
    assert members == [1, 2, 3, 8]
    assert result["stats"]["repeats"] == 0
    assert {"shared_interests", "helps", "same_city", "shared_languages"} <= set(result["matches"][0]["reasons"])


@pytest.mark.parametrize(
    "stdin",
    [
        "{not json",
        "[]",
        '{"members": [{"id": 1, "format": "zoom"}]}',
        '{"members": [{"id": 1}, {"id": 1}]}',
        '{"members": [{"id": "one"}]}',
        '{"members": [{"name": "no id"}]}',
        '{"members": [{"id": 1}], "blocked": [[1]]}',
        '{"members": [{"id": 1}], "history": [{"members": "1,2"}]}',
        '{"members": [{"id": 1, "interests": "hr"}]}',
    ],
)
def test_malformed_input_is_one_line_exit_2(stdin: str) -> None:
    done = run(["pairs"], stdin)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_simulate_prints_table_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "plot.svg"
    done = run(["simulate", "--members", "12", "--rounds", "14", "--churn", "0", "--seed", "2", "--plot", str(out)])
    assert done.returncode == 0, done.stderr
    assert "summary: repeats=" in done.stdout
    assert out.read_text().startswith("<svg")
