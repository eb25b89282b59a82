"""One definition of a pair's weight (`matching/score.py`: `can_meet`, `pair_score`, `repeat_cost`) and the
two ways the engine computes it: `Rules.weight` exactly, `PairWeights` (numpy) up to the rounding of its
reordered sums, which `rounding_bound` states as the code guarantees it (see `matching/vectors.py`)."""

from __future__ import annotations

import random
from unittest import mock

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from matching import may_meet, vectors
from matching.model import Instance, Meeting, Member
from matching.rules import Rules
from matching.score import (
    DEFAULT_WEIGHTS,
    Profile,
    Weights,
    can_meet,
    need_credit,
    need_credits,
    pair_score,
    profile,
    repeat_cost,
)
from matching.vectors import PairWeights

TAGS = ["ai", "AI ", "hr", "law", "design", " "]
MANY_TAGS = [f"tag{k}" for k in range(150)]  # more than two 64-bit words of interest bits
TOPICS = ["python", "hiring engineers", "tax for freelancers", "design systems", "pricing", "sales", "seo",
          "python backend architecture", "налоги для фрилансеров", "engineers", "tax"]
SEPARATORS = [", ", " and ", "; ", " / "]
HELP_TOPICS = ["hiring", "Hiring ", "fundraising", "12", "40", "legal", " "]
U = 2.0**-53  # unit roundoff of float64


@st.composite
def texts(draw: st.DrawFn, most: int = 4) -> str:
    topics = draw(st.lists(st.sampled_from(TOPICS), max_size=most))
    if draw(st.integers(0, 19)) == 0:  # many need phrases: no longer fits the padded table
        topics += [f"topic{k}" for k in range(12)]
    return "".join(t + draw(st.sampled_from(SEPARATORS)) for t in topics)


@st.composite
def members(draw: st.DrawFn, member_id: int) -> Member:
    tags = MANY_TAGS if draw(st.booleans()) else TAGS
    return Member(
        id=member_id,
        interests=tuple(draw(st.lists(st.sampled_from(tags), max_size=4))),
        offers=draw(texts()),
        needs=draw(texts()),
        format=draw(st.sampled_from(["online", "offline", "any"])),
        city=draw(st.sampled_from([None, "", "Berlin", "berlin ", "Paris"])),
        utc_offset=draw(st.none() | st.integers(-720, 840)),
        languages=tuple(draw(st.lists(st.sampled_from(["en", "EN", "ru", "de", " "]), max_size=2))),
        offer_topics=tuple(draw(st.lists(st.sampled_from(HELP_TOPICS), max_size=3))),
        need_topics=tuple(draw(st.lists(st.sampled_from(HELP_TOPICS), max_size=3))),
    )


@st.composite
def instances(draw: st.DrawFn, max_members: int = 24) -> Instance:
    ids = draw(st.lists(st.integers(1, 2**40), max_size=max_members, unique=True))
    people = tuple(draw(members(i)) for i in ids)
    pool = [*ids, 2**41]  # the history and blocks may name someone who left
    history = tuple(
        Meeting(tuple(draw(st.lists(st.sampled_from(pool), min_size=2, max_size=4))), draw(st.integers(0, 12)))
        for _ in range(draw(st.integers(0, 3 * len(ids))))
    )
    blocked = tuple(draw(st.lists(st.tuples(st.sampled_from(pool), st.sampled_from(pool)), max_size=len(ids))))
    return Instance(people, history, blocked, round=draw(st.integers(0, 15)))


weights_drawn = st.builds(
    Weights,
    topic=st.floats(0, 8),
    max_topics=st.integers(0, 4),
    mutual=st.floats(0, 8),
    interest=st.floats(0, 3),
    max_interests=st.integers(0, 5),
    help=st.floats(0, 5),
    max_help=st.floats(0, 10),
    format_ok=st.floats(0, 2),
    same_city=st.floats(0, 2),
    timezone=st.floats(0, 2),
    language=st.floats(0, 2),
)


def reference(instance: Instance, a: Member, b: Member, w: Weights) -> float | None:
    """The weight straight from the definitions: None where the pair may not meet."""
    blocked = {frozenset(pair) for pair in instance.blocked}
    pa, pb = profile(a), profile(b)
    if a.id == b.id or frozenset((a.id, b.id)) in blocked or not can_meet(pa, pb):
        return None
    rounds = [m.round for m in instance.history]
    now = instance.round if instance.round > 0 else max(rounds, default=-1) + 1
    last = max((m.round for m in instance.history if a.id in m.members and b.id in m.members), default=None)
    return pair_score(pa, pb, w) - repeat_cost(last, now)


def rounding_bound(pa: Profile, pb: Profile, w: Weights, cost: float) -> float:
    """|PairWeights − definition| ≤ 2·γ(m)·T: each side sums at most m rounded terms (a need credit, times a
    repeat count, counts twice) whose absolute values add up to at most T."""
    needs = len(pa.needs) + len(pb.needs)
    m = 2 * needs + 13
    total = (w.interest * w.max_interests + w.help * needs + w.format_ok + w.same_city + w.timezone + w.language
             + 2 * w.topic * w.max_topics + w.mutual + cost)
    return 2 * m * U / (1 - m * U) * total


def table(instance: Instance, w: Weights) -> tuple[Rules, np.ndarray, np.ndarray]:
    """Rules, the reference weights of every pair (NaN: may not meet) and the rounding bound of each."""
    rules = Rules(instance, w)
    people = sorted(instance.members, key=lambda m: m.id)
    n = len(people)
    expected = np.full((n, n), np.nan)
    bound = np.zeros((n, n))
    for i, a in enumerate(people):
        for j, b in enumerate(people):
            found = reference(instance, a, b, w)
            if found is not None:
                expected[i, j] = found
                bound[i, j] = rounding_bound(rules.profiles[i], rules.profiles[j], w, rules.repeat_cost(i, j))
    return rules, expected, bound


@settings(max_examples=80, deadline=None)
@given(instances(), st.one_of(st.just(DEFAULT_WEIGHTS), weights_drawn))
def test_rules_weight_is_the_definition(instance: Instance, w: Weights) -> None:
    rules, expected, _ = table(instance, w)
    for i in range(rules.n):
        for j in range(rules.n):
            assert rules.allowed(i, j) == (not np.isnan(expected[i, j]))
            if rules.allowed(i, j):
                assert rules.weight(i, j) == expected[i, j]  # the same operations: the same bits


def assert_close(found: np.ndarray, expected: np.ndarray, bound: np.ndarray) -> None:
    assert np.array_equal(np.isnan(found), np.isnan(expected)), "allowed where the definition forbids, or back"
    known = ~np.isnan(expected)
    assert np.all(np.abs(found[known] - expected[known]) <= bound[known])


@settings(max_examples=80, deadline=None)
@given(instances(), st.one_of(st.just(DEFAULT_WEIGHTS), weights_drawn), st.booleans(), st.booleans(),
       st.randoms(use_true_random=False))
@example(  # sixteen need phrases of one member: the sparse join instead of the padded table
    Instance((Member(1, needs=", ".join(f"topic{k}" for k in range(16)), offers="topic3 and topic4"),
              Member(2, offers="topic1, topic2 and topic3", needs="topic5"))),
    DEFAULT_WEIGHTS, True, True, random.Random(0),
)
def test_pair_weights_agree_with_the_definition(
    instance: Instance, w: Weights, dense_credit: bool, class_table: bool, rng: random.Random
) -> None:
    with (mock.patch.object(vectors, "DENSE_CREDIT_UP_TO", 10**9 if dense_credit else 0),
          mock.patch.object(vectors, "CLASS_TABLE_UP_TO", 10**9 if class_table else 0)):
        rules, expected, bound = table(instance, w)
        weights = PairWeights(rules)
        n = rules.n
        everyone = np.arange(n)
        assert_close(weights.matrix(everyone, everyone), expected, bound)
        rows = np.array(sorted(rng.sample(range(n), n // 2)), dtype=np.int64)
        assert_close(weights.matrix(rows, everyone[::-1]), expected[rows][:, ::-1], bound[rows][:, ::-1])
        if not n:
            return
        firsts = np.array([rng.randrange(n) for _ in range(100)], dtype=np.int64)
        seconds = np.array([rng.randrange(n) for _ in range(100)], dtype=np.int64)
        assert_close(weights.pairs(firsts, seconds), expected[firsts, seconds], bound[firsts, seconds])
        scores = weights.scores(firsts, seconds)
        for k, (i, j) in enumerate(zip(firsts.tolist(), seconds.tolist(), strict=True)):
            a, b = rules.profiles[i], rules.profiles[j]
            if not can_meet(a, b):
                assert np.isnan(scores[k])
            else:
                assert abs(scores[k] - pair_score(a, b, w)) <= rounding_bound(a, b, w, 0.0)


def test_need_credits_are_need_credit_bit_for_bit() -> None:
    for w in (DEFAULT_WEIGHTS, Weights(help=0.7), Weights(help=3.3)):
        common = np.array([c for size in range(1, 30) for c in range(1, size + 1)], dtype=np.float64)
        size = np.array([size for size in range(1, 30) for _ in range(1, size + 1)], dtype=np.float64)
        vectorised = need_credits(common, size, w).tolist()
        assert vectorised == [need_credit(int(c), int(s), w) for c, s in zip(common, size, strict=True)]


def test_forbidden_pairs_are_nan() -> None:
    people = (
        Member(1, format="offline", city="Berlin"),
        Member(2, format="offline", city="Paris"),
        Member(3, format="online"),
        Member(4, format="any", city="Paris"),
        Member(5, format="offline"),
    )
    rules = Rules(Instance(people, blocked=((3, 4),)))
    matrix = PairWeights(rules).matrix(np.arange(5), np.arange(5))
    forbidden = {(0, 1), (2, 3), (0, 2), (1, 2), (2, 4)}  # far cities, the block, online with in-person-only
    for i in range(5):
        for j in range(5):
            assert np.isnan(matrix[i, j]) == (i == j or (min(i, j), max(i, j)) in forbidden)


def test_may_meet_is_the_hard_rule_for_members_as_they_come() -> None:
    berlin, paris = Member(1, format="offline", city="Berlin "), Member(2, format="offline", city="paris")
    assert not may_meet(berlin, paris)
    assert may_meet(berlin, Member(3, format="offline", city="berlin"))
    assert not may_meet(Member(4, format="online"), Member(5, format="offline"))
    assert may_meet(Member(4, format="online"), Member(6, format="any", city="Paris"))
