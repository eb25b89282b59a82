"""The vectorised weights (numpy) against the plain per-pair scorer `Rules.weight`, on every code path."""

from __future__ import annotations

import random
from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Instance, Meeting, Member
from matching import vectors as vectors_module
from matching.rules import Rules
from matching.simulate import generate_member
from matching.vectors import PairWeights

MANY_TAGS = [f"tag{k}" for k in range(150)]  # more than two 64-bit words of interest bits
NEEDS = ["python", "hiring engineers", "tax for freelancers", "design systems, pricing, sales, seo"]


def community(seed: int, n: int) -> Instance:
    rng = random.Random(seed)
    members = []
    for k in range(n):
        member = generate_member(100 + 3 * k, rng)  # sparse ids
        if rng.random() < 0.3:
            member = Member(member.id, tuple(rng.sample(MANY_TAGS, 4)), member.offers, rng.choice(NEEDS),
                            member.format, member.city, member.utc_offset, member.languages)
        if rng.random() < 0.05:  # a member stating many needs: the padded table no longer fits
            member = Member(member.id, member.interests, member.offers, ", ".join(f"need{x}" for x in range(12)))
        members.append(member)
    ids = [m.id for m in members]
    history = [
        Meeting(tuple(rng.sample(ids, min(n, rng.choice((2, 2, 3))))), rng.randint(1, 9)) for _ in range(3 * n)
    ]
    history.append(Meeting((ids[0], 99_999), 4))  # someone who left
    blocked = tuple((a, b) for a, b in (rng.sample(ids, 2) for _ in range(n // 4))) if n >= 2 else ()
    return Instance(tuple(members), tuple(history), blocked, round=10)


def reference(rules: Rules, i: int, j: int) -> float:
    found = rules.weight_or_none(i, j)
    return np.nan if found is None else found


@pytest.mark.parametrize("dense_credit", [True, False])
@pytest.mark.parametrize("class_table", [True, False])
# The patched thresholds are the same for every example, so the function-scoped fixture is safe here.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), n=st.integers(1, 40))
def test_matrix_and_pairs_equal_rules_weight(
    seed: int, n: int, dense_credit: bool, class_table: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors_module, "DENSE_CREDIT_UP_TO", 10**9 if dense_credit else 0)
    monkeypatch.setattr(vectors_module, "CLASS_TABLE_UP_TO", 10**9 if class_table else 0)
    rules = Rules(community(seed, n))
    weights = PairWeights(rules)
    expected = np.array([[reference(rules, i, j) for j in range(n)] for i in range(n)])
    everyone = np.arange(n)
    np.testing.assert_allclose(weights.matrix(everyone, everyone), expected, rtol=0, atol=1e-9)
    rows = np.array(sorted(random.Random(seed).sample(range(n), max(1, n // 2))))
    np.testing.assert_allclose(weights.matrix(rows, everyone[::-1]), expected[rows][:, ::-1], rtol=0, atol=1e-9)
    firsts = np.array([random.Random(seed + k).randrange(n) for k in range(200)])
    seconds = np.array([random.Random(seed - k).randrange(n) for k in range(200)])
    np.testing.assert_allclose(weights.pairs(firsts, seconds), expected[firsts, seconds], rtol=0, atol=1e-9)
    scores = weights.scores(firsts, seconds)
    for i, j, score in zip(firsts.tolist(), seconds.tolist(), scores.tolist(), strict=True):
        if not np.isnan(expected[i, j]):
            assert score == pytest.approx(rules.score(i, j), abs=1e-9)


def test_forbidden_pairs_are_nan() -> None:
    members = (
        Member(1, format="offline", city="Berlin"),
        Member(2, format="offline", city="Paris"),
        Member(3, format="online"),
        Member(4, format="any", city="Paris"),
    )
    rules = Rules(Instance(members, blocked=((3, 4),)))
    matrix = PairWeights(rules).matrix(np.arange(4), np.arange(4))
    forbidden = {(0, 0), (1, 1), (2, 2), (3, 3), (0, 1), (1, 0), (2, 3), (3, 2)}
    for i, j in combinations(range(4), 2):
        for a, b in ((i, j), (j, i)):
            assert np.isnan(matrix[a, b]) == ((a, b) in forbidden)
