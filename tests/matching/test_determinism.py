"""The same seed gives the same matches (pairs and small groups) in separate processes, whatever the string hash
seed is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import random
from matching import Instance, match_pairs
from matching.simulate import generate_members, random_history
members = generate_members(2600, random.Random(4))  # above EXACT_TOP_UP_TO: sampled candidate pools
result = match_pairs(Instance(tuple(members), tuple(random_history(members, 3, random.Random(5))), round=4), seed=7)
print([m.members for m in result.matches])
"""
GROUPS = """
import random
from matching import Instance, match_round
from matching.simulate import generate_members, random_history
members = generate_members(300, random.Random(4))
history = random_history(members, 3, random.Random(5))
result = match_round(Instance(tuple(members), tuple(history), round=4), 4, 7, time_limit=600)
print([(m.members, m.score, m.reasons) for m in result.matches], result.unmatched)
"""


def run(hash_seed: str, script: str = SCRIPT) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout


def test_same_matches_across_hash_seeds() -> None:
    assert run("1") == run("2")


def test_same_groups_across_hash_seeds() -> None:
    assert run("1", GROUPS) == run("2", GROUPS)
