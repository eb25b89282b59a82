"""Reading the history into `Rules`: latest meeting per pair and pairs per round, against a plain reference."""

from __future__ import annotations

import random
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Instance, Meeting, Member
from matching.rules import Rules


def reference(instance: Instance) -> tuple[dict[int, int], dict[int, list[int]]]:
    ids = sorted(m.id for m in instance.members)
    index = {member_id: i for i, member_id in enumerate(ids)}
    n = len(ids)
    last: dict[int, int] = {}
    rounds: dict[int, list[int]] = {}
    for meeting in instance.history:
        inside = sorted({index[m] for m in meeting.members if m in index})
        for i, j in combinations(inside, 2):
            k = i * n + j
            last[k] = max(last.get(k, meeting.round), meeting.round)
            rounds.setdefault(meeting.round, []).append(k)
    return last, rounds


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 12), st.booleans())
def test_history_matches_reference(seed: int, n: int, shuffled: bool) -> None:
    rng = random.Random(seed)
    members = tuple(Member(id=10 + k) for k in range(n))
    pool = [10 + k for k in range(n + 3)]  # three ids that are no longer members
    history = [
        Meeting(tuple(rng.sample(pool, rng.choice((0, 1, 2, 2, 2, 3)))) if len(pool) >= 3 else (), rng.randint(1, 6))
        for _ in range(rng.randint(0, 30))
    ]
    history.append(Meeting((10, 10), 2))  # a member "meeting" themself counts for nothing
    if not shuffled:
        history.sort(key=lambda m: m.round)
    instance = Instance(members, tuple(history), round=7)
    rules = Rules(instance)
    last, rounds = reference(instance)
    assert dict(rules.last_met.items()) == last
    assert all(rules.last_met.get(k) == r and k in rules.last_met for k, r in last.items())
    assert rules.last_met.get(-5) is None and rules.n * rules.n not in rules.last_met
    assert {r: sorted(rules.round_keys(r).tolist()) for r in rules.history_rounds()} == {
        r: sorted(rounds.get(r, [])) for r in rules.history_rounds()
    }
    assert set(rounds) <= set(rules.history_rounds())
