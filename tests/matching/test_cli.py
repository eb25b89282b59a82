"""The JSON command line, run as a subprocess: happy path and every error path (exit 2, one line, no traceback)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matching.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matching", *args], input=stdin, capture_output=True, text=True, cwd=ROOT,
        timeout=120,
    )


def run_main(
    args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """The CLI's main function in this process (an exception escaping it fails the test): exit code, stdout,
    stderr."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(args)
    except SystemExit as stop:  # argparse
        code = stop.code if isinstance(stop.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


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
        "history": [{"members": [1, 2], "round": 3}, {"members": [2, 3], "round": 4}],
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
        "{}",  # no members at all: not an empty community
        '{"member": [{"id": 1}, {"id": 2}]}',  # a misspelled key
        '{"members": [{"id": 1, "interest": ["ai"]}, {"id": 2}]}',
        '{"members": [{"id": 99999999999999999999}, {"id": 2}]}',  # beyond 64 bits
        '{"members": [{"id": 1}, {"id": 2}], "history": [{"members": [1, 2], "round": 99999999999999999999}]}',
        '{"members": [{"id": 1}, {"id": 2}], "round": -1}',
        '{"members": [{"id": 1}, {"id": 2}], "blocked": [[1, 1]]}',  # a self-block
        '{"members": [{"id": 1}, {"id": 2}], "blocked": [[1, 3]]}',
        '{"members": [{"id": 1}, {"id": 2}], "history": [{"members": [1, 3], "round": 1}]}',  # 3 is unknown
        '{"members": [{"id": 1}, {"id": 2}], "history": [{"members": [1, 1], "round": 1}]}',
        '{"members": [{"id": 1, "utc_offset": 100000}, {"id": 2}]}',  # no place on Earth
        '{"members": [{"id": 1, "utc_offset": -721}, {"id": 2}]}',
        '{"members": [{"id": ' + "9" * 5000 + "}]}",  # more digits than Python converts
        '{"members": [{"id": 1, "languages": "en"}, {"id": 2}]}',
        '{"members": [{"id": 1, "languages": [1]}, {"id": 2}]}',
        '{"members": [{"id": 1, "offer_topics": "hiring"}, {"id": 2}]}',
        '{"members": [{"id": 1, "need_topics": [true]}, {"id": 2}]}',
        '{"members": [{"id": 1, "need_topics": [{"id": 3}]}, {"id": 2}]}',
        '{"members": [{"id": 1, "timezone": "Mars/Olympus"}, {"id": 2}]}',
        '{"members": [{"id": 1, "timezone": 60}, {"id": 2}]}',
        '{"members": [{"id": 1, "timezone": "../../etc/passwd"}, {"id": 2}]}',
        '{"members": [{"id": 1, "timezone": "Europe/Berlin", "utc_offset": 60}, {"id": 2}]}',
    ],
)
def test_malformed_input_is_one_line_exit_2(stdin: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["pairs"], stdin, monkeypatch, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1


def test_simulate_prints_table_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "plot.svg"
    done = run(["simulate", "--members", "12", "--rounds", "14", "--churn", "0", "--seed", "2", "--plot", str(out)])
    assert done.returncode == 0, done.stderr
    assert "summary: repeats=" in done.stdout
    assert out.read_text().startswith("<svg")


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "--members", "1"],
        ["simulate", "--members", "abc"],  # argparse's own errors are one line too
        ["round", "--group-size", "1"],
        ["groups", "--size", "0"],
        ["nonsense"],
    ],
)
def test_bad_arguments_are_one_line_exit_2(args: list[str], monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(args, '{"members": [{"id": 1}, {"id": 2}]}', monkeypatch, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1


def test_plot_into_a_missing_folder_is_refused_before_simulating(tmp_path: Path) -> None:
    folder = tmp_path / "nowhere"
    done = run(["simulate", "--members", "20", "--rounds", "3", "--plot", str(folder / "x.svg")])
    assert done.returncode == 2
    assert done.stdout == ""  # refused up front: not a single round simulated
    assert done.stderr.strip().splitlines() == [f"error: --plot: the folder {str(folder)!r} does not exist"]


@pytest.mark.parametrize("args", [["simulate", "--members", "30", "--rounds", "50"], ["pairs"], ["round"]])
def test_a_closed_pipe_ends_quietly(args: list[str]) -> None:
    """As with `| head -1`: the reader is gone before the output is written."""
    instance = json.dumps({"members": [{"id": i, "interests": ["ai"]} for i in range(1, 400)]})
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "matching", *args], input=instance.encode(), stdout=write, stderr=subprocess.PIPE,
            cwd=ROOT, timeout=120,
        )
    finally:
        os.close(write)
    assert done.stderr.decode() == ""
    assert done.returncode == 0


def test_round_in_small_groups() -> None:
    members = [{"id": i, "format": "online"} for i in range(1, 5)] + [
        {"id": i, "format": "offline", "city": "Berlin"} for i in range(5, 9)
    ]
    done = run(["round", "--group-size", "4", "--seed", "1"], json.dumps({"members": members}))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert sorted(m["members"] for m in result["matches"]) == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert result["stats"]["strategy"] == "groups"


def test_topics_languages_and_time_zones_round_trip(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    instance = {
        "members": [
            {"id": 12, "offer_topics": ["hiring", 7], "need_topics": ["fundraising"], "languages": ["en", "ru"],
             "timezone": "Europe/Berlin", "format": "offline", "city": "Berlin"},
            {"id": 40, "offer_topics": ["fundraising"], "need_topics": ["hiring"], "languages": ["ru"],
             "utc_offset": 60, "format": "any", "city": "Berlin"},
            {"id": 41, "need_topics": ["hiring"], "languages": ["en"]},
            {"id": 42, "languages": ["en"], "needs": "design systems", "offers": "UX writing"},
        ],
    }
    for command in (["pairs"], ["round", "--group-size", "2"]):
        code, out, err = run_main(command, json.dumps(instance), monkeypatch, capsys)
        assert code == 0, err
        result = json.loads(out)
        (mutual,) = [m for m in result["matches"] if 12 in m["members"]]
        assert mutual["members"] == [12, 40]  # 40 speaks only Russian, 41 and 42 only English
        assert {"type": "helps", "from": 12, "to": 40, "topics": ["hiring"], "mutual": True} in mutual["why"]
        assert {"type": "helps", "from": 40, "to": 12, "topics": ["fundraising"], "mutual": True} in mutual["why"]
        assert {"type": "shared_languages", "languages": ["ru"]} in mutual["why"]
        assert {"type": "same_city", "city": "Berlin"} in mutual["why"]
    code, out, err = run_main(["groups", "--size", "2"], json.dumps(instance), monkeypatch, capsys)
    assert code == 0, err
    groups = json.loads(out)
    assert [12, 40] in [g["members"] for g in groups["groups"]] and groups["left_out"] == []
    (mutual,) = [g for g in groups["groups"] if g["members"] == [12, 40]]
    assert {"type": "helps", "from": 12, "to": 40, "topics": ["hiring"], "mutual": True} in mutual["why"]


@pytest.mark.parametrize("command", ["pairs", "round", "groups"])
def test_help_documents_the_json(command: str, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main([command, "--help"], "", monkeypatch, capsys)
    assert code == 0
    for key in ("offer_topics", "need_topics", "languages", "timezone", "utc_offset", "blocked", "history"):
        assert key in out
    assert ("left_out" if command == "groups" else '"type": "helps"') in out
