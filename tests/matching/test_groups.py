"""form_groups: balanced sizes, everyone once, repeats counted right, repeat-free when obviously possible, blocks,
determinism, interests mixed (or grouped with by_interest), the lower bound and the CLI result."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import replace
from itertools import combinations
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import partition
from matching.groups import (
    Group,
    GroupResult,
    MeetupCosts,
    form_groups,
    group_count,
    groups_cli_result,
    repeat_lower_bound,
)
from matching.model import InputError, Instance, Meeting, Member
from matching.partition import Search

TAGS = ["ai", "hr", "law", "design"]
PATIENT = 120.0  # seconds: far more than any instance below needs, so the bound or the stall rule ends each search
# (not the clock): results do not depend on how loaded the machine is


def form(instance: Instance, size: int, **options: Any) -> GroupResult:
    return form_groups(instance, size, time_limit=PATIENT, **options)


def brute_repeats(instance: Instance, members: tuple[int, ...]) -> int:
    met = {frozenset(p) for m in instance.history for p in combinations(set(m.members), 2)}
    return sum(1 for p in combinations(members, 2) if frozenset(p) in met)


@st.composite
def instances(draw: st.DrawFn, max_members: int = 24) -> tuple[Instance, int]:
    n = draw(st.integers(min_value=1, max_value=max_members))
    ids = draw(st.lists(st.integers(min_value=1, max_value=1000), min_size=n, max_size=n, unique=True))
    members = tuple(
        Member(id=i, interests=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True)))) for i in ids
    )
    pool = [*ids, 5000, 5001]  # history may mention people who are no longer here
    history = tuple(
        Meeting(tuple(draw(st.lists(st.sampled_from(pool), min_size=2, max_size=5, unique=True))), r)
        for r in draw(st.lists(st.integers(min_value=1, max_value=6), max_size=12))
    )
    blocked = tuple(
        (a, b) for a, b in draw(st.lists(st.tuples(st.sampled_from(pool), st.sampled_from(pool)), max_size=4))
    )
    size = draw(st.integers(min_value=2, max_value=8))
    return Instance(members, history, blocked, round=7), size


def check_partition(instance: Instance, size: int, groups: tuple[Group, ...]) -> None:
    """Balanced sizes and everyone once (what the search gives when nobody had to be moved apart)."""
    n = len(instance.members)
    assert len(groups) == group_count(n, size) == max(1, round(n / size))
    sizes = [len(g.members) for g in groups]
    assert max(sizes) - min(sizes) <= 1
    everyone = [i for g in groups for i in g.members]
    assert sorted(everyone) == sorted(m.id for m in instance.members)
    for g in groups:
        assert list(g.members) == sorted(g.members)


def check_repaired(instance: Instance, result: GroupResult) -> None:
    """After a repair: everyone once, in a group or left out, and nobody with someone they may not meet."""
    everyone = [i for g in result.groups for i in g.members] + list(result.left_out)
    assert sorted(everyone) == sorted(m.id for m in instance.members)
    blocked = {frozenset(p) for p in instance.blocked}
    for g in result.groups:
        assert len(g.members) >= 2 and list(g.members) == sorted(g.members)
        assert not any(frozenset(p) in blocked for p in combinations(g.members, 2))


@settings(max_examples=120, deadline=None)
@given(instances(), st.integers(min_value=0, max_value=3), st.booleans())
def test_balanced_partition_everyone_once_repeats_counted(case: tuple[Instance, int], seed: int, by: bool) -> None:
    instance, size = case
    result = form(instance, size, seed=seed, by_interest=by)
    if result.blocked:
        check_repaired(instance, result)
    else:
        check_partition(instance, size, result.groups)
    for g in result.groups:
        assert g.repeats == brute_repeats(instance, g.members)
        counts = Counter(t for m in instance.members if m.id in g.members for t in m.interests)
        assert set(g.shared_interests) == {t for t, c in counts.items() if c >= 2}
        assert [counts[t] for t in g.shared_interests] == sorted((counts[t] for t in g.shared_interests), reverse=True)
    assert result.repeats == sum(g.repeats for g in result.groups)
    assert result.blocked or result.lower_bound <= result.repeats  # the bound is for balanced partitions of all


@settings(max_examples=60, deadline=None)
@given(instances(max_members=16), st.booleans())
def test_incremental_costs_match_a_recount(case: tuple[Instance, int], by: bool) -> None:
    instance, size = case
    costs = MeetupCosts(instance, size, by_interest=by)(np.arange(len(instance.members)))
    state = Search(costs, group_count(len(instance.members), size), random.Random(1))
    state.construct()
    best = state.search(deadline=float("inf"), stall=300)
    assert_costs_recount(state, costs.pair, state.group.copy())  # after the search's own moves
    state.load(best)
    assert_costs_recount(state, costs.pair, best)  # loaded afresh


def assert_costs_recount(state: Search, matrix: np.ndarray, assignment: np.ndarray) -> None:
    pair = matrix.astype(np.int64)
    same = assignment[:, None] == assignment[None, :]
    assert state.total() == int(pair[same].sum()) // 2
    for p in range(state.n):
        for g in range(state.k):
            assert state.cost[g, p] == sum(int(pair[p, q]) for q in range(state.n) if q != p and assignment[q] == g)


@settings(max_examples=40, deadline=None)
@given(instances(max_members=14), st.integers(min_value=0, max_value=5))
def test_deterministic_per_seed(case: tuple[Instance, int], seed: int) -> None:
    instance, size = case
    first = form(instance, size, seed=seed)
    again = form(instance, size, seed=seed)
    assert first.groups == again.groups


def test_member_order_does_not_matter() -> None:
    members = tuple(Member(i, ("ai",) if i % 2 else ("hr",)) for i in range(20))
    history = (Meeting((0, 1, 2, 3, 4), 1), Meeting((5, 6, 7, 8, 9), 1))
    a = form(Instance(members, history), 4, seed=3)
    b = form(Instance(tuple(reversed(members)), history), 4, seed=3)
    assert a.groups == b.groups


def test_size_below_two_is_an_input_error() -> None:
    with pytest.raises(InputError):
        form(Instance((Member(1), Member(2))), 1)


def test_fewer_people_than_one_group_make_one_group() -> None:
    for n in range(1, 8):
        instance = Instance(tuple(Member(i) for i in range(n)))
        result = form(instance, 8)
        assert [g.members for g in result.groups] == [tuple(range(n))]
    assert form(Instance(()), 5).groups == ()


def test_round_half_to_even_group_count() -> None:
    # 15 people in groups of 6: 15 / 6 = 2.5 -> round() gives 2 groups (of 8 and 7)
    result = form(Instance(tuple(Member(i) for i in range(15))), 6)
    assert sorted(len(g.members) for g in result.groups) == [7, 8]


def test_second_meetup_of_nine_in_threes_is_repeat_free() -> None:
    members = tuple(Member(i) for i in range(9))
    history: list[Meeting] = []
    for meetup in range(1, 5):  # 9 people in threes: 4 repeat-free meetups exist (affine plane of order 3)
        result = form(Instance(members, tuple(history), round=meetup), 3, seed=meetup)
        if meetup <= 2:
            assert result.repeats == 0, meetup
        history.extend(Meeting(g.members, meetup) for g in result.groups)


def test_latin_square_meetups_of_25_in_fives() -> None:
    members = tuple(Member(i) for i in range(25))
    history: list[Meeting] = []
    for meetup in range(1, 4):
        result = form(Instance(members, tuple(history), round=meetup), 5, seed=meetup)
        assert result.repeats == 0, meetup
        history.extend(Meeting(g.members, meetup) for g in result.groups)


def test_pigeonhole_lower_bound_is_reached_with_few_groups() -> None:
    # 24 people in 3 groups of 8 after one meetup of 3 groups of 8: each new group takes >= 2-3 people of each
    # old group, so at least 3 * (3 * C(3,2) - ...) pairs repeat; the bound is the even split
    members = tuple(Member(i) for i in range(24))
    history = tuple(Meeting(tuple(range(g * 8, g * 8 + 8)), 1) for g in range(3))
    instance = Instance(members, history, round=2)
    bound = repeat_lower_bound(instance, 8)
    assert bound == 3 * (2 * 3 + 1 * 1)  # 8 people over 3 groups: 3 + 3 + 2 -> 3 + 3 + 1 pairs, per old group
    result = form(instance, 8)
    assert result.lower_bound == bound
    assert result.repeats == bound


def test_blocked_pairs_are_separated_when_possible() -> None:
    members = tuple(Member(i) for i in range(12))
    # 0 blocks 1..5; groups of 6: 0 goes with five of 6..11, and the sixth must be 7 or 8
    blocked = (*((0, j) for j in range(1, 6)), (7, 8))
    result = form(Instance(members, (), blocked), 6, seed=2)
    assert result.blocked == 0
    where = {i: k for k, g in enumerate(result.groups) for i in g.members}
    for a, b in blocked:
        assert where[a] != where[b]


def balanced_partitions(n: int, k: int) -> list[list[int]]:
    small, bigs = divmod(n, k)
    out: list[list[int]] = []

    def extend(prefix: list[int], used: int) -> None:
        if len(prefix) == n:
            sizes = Counter(prefix)
            if sorted(sizes.values()) == [small] * (k - bigs) + [small + 1] * bigs:
                out.append(prefix[:])
            return
        for g in range(min(used + 1, k)):  # canonical labels: group g opens only after g - 1
            prefix.append(g)
            extend(prefix, max(used, g + 1))
            prefix.pop()

    extend([], 0)
    return out


@settings(max_examples=80, deadline=None)
@given(instances(max_members=9), st.integers(min_value=0, max_value=2))
def test_blocks_then_repeats_are_optimal_on_small_instances(case: tuple[Instance, int], seed: int) -> None:
    """Optimal in the count of repeats when every repeat weighs the same (past meetings of one round): with
    several rounds a recent repeat weighs more than an old one, and several old ones can then cost less."""
    instance, size = case
    instance = replace(instance, history=tuple(replace(m, round=1) for m in instance.history))
    ids = sorted(m.id for m in instance.members)
    n, k = len(ids), group_count(len(ids), size)
    met = {frozenset(p) for m in instance.history for p in combinations(set(m.members), 2)}
    blocks = {frozenset(p) for p in instance.blocked if p[0] != p[1]}

    def score(assignment: list[int]) -> tuple[int, int]:
        together = [frozenset((ids[i], ids[j])) for i, j in combinations(range(n), 2) if assignment[i] == assignment[j]]
        return sum(p in blocks for p in together), sum(p in met for p in together)

    best = min(score(a) for a in balanced_partitions(n, k))
    result = form(instance, size, seed=seed)
    assert result.blocked == best[0]
    if not result.blocked:  # otherwise the groups were repaired after the search
        assert result.repeats == best[1]


def test_two_twins_who_met_three_times_end_up_in_one_group_with_strangers() -> None:
    """Found once by the property test above: the tabu search wandered the partitions of equal cost where 1 and 2
    (who met three times) are apart and returned 4 repeats; 3 is the optimum."""
    members = tuple(Member(i) for i in range(1, 9))
    history = (
        Meeting((1, 2), 1),
        Meeting((1, 2), 1),
        Meeting((1, 2), 2),
        Meeting((1, 2, 3, 4), 1),
        Meeting((1, 2, 5, 6), 1),
    )
    for seed in range(3):
        result = form(Instance(members, history, round=7), 4, seed=seed)
        assert result.repeats == 3
        assert {g.members for g in result.groups} == {(1, 2, 7, 8), (3, 4, 5, 6)}


def test_a_recent_repeat_weighs_more_than_an_old_one() -> None:
    members = tuple(Member(i) for i in range(1, 5))
    history: tuple[Meeting, ...] = (Meeting((1, 2), 6), Meeting((3, 4), 6), Meeting((1, 3), 1), Meeting((2, 4), 1))
    result = form(Instance(members, history, round=7), 2)
    assert {g.members for g in result.groups} == {(1, 4), (2, 3)}  # nobody has met: 0 repeats
    result = form(Instance(members, (*history, Meeting((1, 4), 1), Meeting((2, 3), 1)), round=7), 2)
    assert result.repeats == 2
    assert {g.members for g in result.groups} != {(1, 2), (3, 4)}  # the pairs of last week stay apart


def test_blocks_win_over_repeats() -> None:
    members = tuple(Member(i) for i in range(6))
    history = (Meeting((0, 1, 2), 1), Meeting((3, 4, 5), 1))
    blocked = tuple((i, j) for i in range(3) for j in range(3, 6))  # only the old groups avoid every block
    result = form(Instance(members, history, blocked, round=2), 3)
    assert result.blocked == 0
    assert {g.members for g in result.groups} == {(0, 1, 2), (3, 4, 5)}
    assert result.repeats == 6


def test_unavoidable_block_is_reported() -> None:
    members = tuple(Member(i) for i in range(3))
    result = form(Instance(members, (), ((0, 1),)), 3)
    assert result.blocked == 1  # the balanced search had to keep them together …
    assert [g.members for g in result.groups] == [(1, 2)]  # … and the repair moved one of them out
    assert result.left_out == (0,)


def topic_instance() -> Instance:
    # 4 topics x 6 people; groups of 4 -> 6 groups
    topics = ["ai", "hr", "law", "design"]
    return Instance(tuple(Member(i, (topics[i // 6],)) for i in range(24)))


def concentration(instance: Instance, groups: tuple[Group, ...]) -> int:
    """Pairs inside groups that share a topic."""
    tags = {m.id: set(m.interests) for m in instance.members}
    return sum(1 for g in groups for a, b in combinations(g.members, 2) if tags[a] & tags[b])


def test_mixing_leaves_no_clique_of_one_topic() -> None:
    instance = topic_instance()
    for seed in range(3):
        result = form(instance, 4, seed=seed)
        tags = {m.id: m.interests[0] for m in instance.members}
        for g in result.groups:
            assert len({tags[i] for i in g.members}) >= 3  # 4 topics over 6 groups of 4: at most one pair per topic
        assert concentration(instance, result.groups) <= 6


def test_by_interest_concentrates_topics() -> None:
    instance = topic_instance()
    mixed = form(instance, 4, seed=1)
    grouped = form(instance, 4, seed=1, by_interest=True)
    assert concentration(instance, grouped.groups) > concentration(instance, mixed.groups)
    tags = {m.id: m.interests[0] for m in instance.members}
    pure = sum(1 for g in grouped.groups if len({tags[i] for i in g.members}) == 1)
    assert pure >= 4  # 6 per topic in groups of 4: at least one pure group per topic
    assert grouped.groups[0].shared_interests


def test_by_interest_still_avoids_repeats() -> None:
    instance = topic_instance()
    history = tuple(Meeting(tuple(range(t * 6, t * 6 + 3)), 1) for t in range(4))  # 3 of each topic met
    instance = Instance(instance.members, history, round=2)
    result = form(instance, 4, seed=0, by_interest=True)
    assert result.repeats == 0


def test_small_group_rounds_three_to_eight() -> None:
    members = tuple(Member(i, (TAGS[i % 4],)) for i in range(40))
    for size in range(3, 9):
        history: list[Meeting] = []
        for r in range(1, 4):
            instance = Instance(members, tuple(history), round=r)
            result = form(instance, size, seed=r)
            check_partition(instance, size, result.groups)
            # the pigeonhole bound is 0 except for sizes 7 (6 groups of 6-7: 4 pairs) and 8 (5 of 8: 15 pairs)
            assert result.lower_bound == (0 if r == 1 or size < 7 else {7: 4, 8: 15}[size])
            if r <= 2:
                assert result.repeats == result.lower_bound, (size, r)
            else:  # the bound ignores the second round's groups: not always reachable (size 8 reaches 17-18)
                assert result.repeats <= result.lower_bound + 5, (size, r)
            history.extend(Meeting(g.members, r) for g in result.groups)


def test_cli_result_is_json_ready() -> None:
    instance = Instance(
        (Member(1, ("ai",)), Member(2, ("ai",)), Member(3), Member(4)),
        (Meeting((1, 2), 1),),
        round=2,
    )
    out = groups_cli_result(instance, 2, 0, False)
    assert json.loads(json.dumps(out)) == out
    assert sorted(len(g["members"]) for g in out["groups"]) == [2, 2]
    assert out["stats"]["repeats"] == 0
    assert set(out["stats"]) == {"repeats", "lower_bound", "blocked", "seconds"}


def test_chunks_of_whole_groups_above_the_dense_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partition, "CHUNK", 9)  # 30 people in groups of 4: 7 groups of 4-5, in 4 chunks
    members = tuple(Member(i, (TAGS[i % 4],)) for i in range(30))
    history = (Meeting(tuple(range(10)), 1),)
    instance = Instance(members, history, ((0, 29), (3, 4)), round=2)
    result = form(instance, 4, seed=3)
    check_partition(instance, 4, result.groups)
    assert result.blocked == 0
    assert form(instance, 4, seed=3).groups == result.groups
