"""Repeat-free schedules (`matching/designs.py`) and their use by meetup groups (`form_groups`)."""

from __future__ import annotations

import time

import pytest

from matching.designs import affine_plane, check_schedule, gf, schedule, upper_bound
from matching.groups import form_groups
from matching.model import Instance, Meeting, Member

# g groups of s, the best known number of repeat-free rounds (issue 10's social golfers)
GOLFERS = [(5, 3, 7), (4, 4, 5), (6, 3, 8), (6, 4, 7), (7, 3, 10), (7, 4, 9), (8, 3, 11), (10, 3, 14)]


@pytest.mark.parametrize("q", [2, 3, 4, 5, 7, 8, 9])
def test_finite_fields(q: int) -> None:
    add, mul = gf(q)
    elements = range(q)
    for x in elements:
        assert sorted(add[x]) == list(elements)  # every equation x + y = z has one solution
        if x:
            assert sorted(mul[x][1:]) == list(range(1, q))  # no zero divisors: every nonzero x has an inverse
        assert add[0][x] == x and mul[1][x] == x and mul[0][x] == 0
        for y in elements:
            assert add[x][y] == add[y][x] and mul[x][y] == mul[y][x]
            for z in elements:
                assert mul[x][add[y][z]] == add[mul[x][y]][mul[x][z]]
                assert add[add[x][y]][z] == add[x][add[y][z]] and mul[mul[x][y]][z] == mul[x][mul[y][z]]


@pytest.mark.parametrize("q", [2, 3, 4, 5, 7])
def test_affine_planes_meet_everyone_exactly_once(q: int) -> None:
    rounds = affine_plane(q)
    check_schedule(rounds, q, q)
    assert len(rounds) == q + 1 == upper_bound(q, q)  # q + 1 rounds of q - 1 new people: all q² - 1 met


def test_not_a_prime_power() -> None:
    with pytest.raises(ValueError, match="prime power"):
        gf(6)


@pytest.mark.parametrize(("g", "s", "best"), GOLFERS)
def test_golfer_schedules_reach_the_best_known(g: int, s: int, best: int) -> None:
    rounds = schedule(g, s)
    assert rounds is not None
    check_schedule(rounds, g, s)
    assert len(rounds) >= best


def test_eight_fours_get_nine_rounds_at_least() -> None:
    rounds = schedule(8, 4)
    assert rounds is not None
    check_schedule(rounds, 8, 4)
    assert len(rounds) >= 9  # the best known is 10 (`bench/README.md`: not reached by these constructions)


@pytest.mark.parametrize("g", range(2, 8))
@pytest.mark.parametrize("s", [2, 3, 4])
def test_whatever_is_found_is_repeat_free(g: int, s: int) -> None:
    rounds = schedule(g, s, 20_000)
    if rounds is not None:
        check_schedule(rounds, g, s)
        assert 1 <= len(rounds) <= upper_bound(g, s)


def test_a_search_cut_by_its_deadline_is_tried_again_with_more_time() -> None:
    nodes = 300_001  # a budget nothing else asks for: nothing kept from other tests
    assert schedule(7, 3, nodes, deadline=time.perf_counter()) is None
    assert schedule(7, 3, nodes, deadline=time.perf_counter() - 1) is None  # not more time: not tried again
    rounds = schedule(7, 3, nodes)
    assert rounds is not None and len(rounds) == 10


def test_the_checker_finds_repeats_and_bad_rounds() -> None:
    fine = ((0, 1), (2, 3)), ((0, 2), (1, 3))
    check_schedule(fine, 2, 2)
    with pytest.raises(AssertionError, match="meets again"):
        check_schedule((*fine, ((0, 1), (2, 3))), 2, 2)
    with pytest.raises(AssertionError, match="not a partition"):
        check_schedule((((0, 1), (1, 3)),), 2, 2)
    with pytest.raises(AssertionError, match="wrong sizes"):
        check_schedule((((0, 1, 2), (3,)),), 2, 2)


def play(members: tuple[Member, ...], size: int, meetups: int) -> list[tuple[int, bool]]:
    """Meetups one after another, each one's groups fed back as history: (repeated pairs, from_design) each."""
    history: list[Meeting] = []
    out = []
    for t in range(1, meetups + 1):
        result = form_groups(Instance(members, tuple(history), round=t), size, seed=t)
        assert sorted(i for g in result.groups for i in g.members) == sorted(m.id for m in members)
        assert all(len(g.members) == size for g in result.groups)
        out.append((result.repeats, result.from_design))
        history.extend(Meeting(g.members, t) for g in result.groups)
    return out


def test_fifteen_people_in_trios_meet_seven_times_without_a_repeat() -> None:
    members = tuple(Member(10 + 3 * i) for i in range(15))  # any ids: points follow their order
    assert play(members, 3, 7) == [(0, True)] * 7


def test_sixteen_people_in_fours_meet_five_times_without_a_repeat() -> None:
    assert play(tuple(Member(i) for i in range(16)), 4, 5) == [(0, True)] * 5


def test_a_block_is_never_broken_by_the_schedule() -> None:
    members = tuple(Member(i) for i in range(15))
    blocked = ((0, 1), (2, 7))
    history: list[Meeting] = []
    for t in range(1, 8):
        result = form_groups(Instance(members, tuple(history), blocked=blocked, round=t), 3, seed=t)
        for g in result.groups:
            assert not {0, 1} <= set(g.members) and not {2, 7} <= set(g.members)
        history.extend(Meeting(g.members, t) for g in result.groups)


def test_people_without_a_common_language_are_never_put_together_by_the_schedule() -> None:
    members = tuple(Member(i, languages=("ru",) if i < 3 else ("en",)) for i in range(15))
    result = form_groups(Instance(members), 3, seed=1)
    for g in result.groups:
        assert len({"ru" if i < 3 else "en" for i in g.members}) == 1


def test_sizes_that_do_not_split_exactly_use_the_search() -> None:
    result = form_groups(Instance(tuple(Member(i) for i in range(16))), 3, seed=1)
    assert not result.from_design


def test_grouping_by_interest_uses_the_search() -> None:
    result = form_groups(Instance(tuple(Member(i) for i in range(15))), 3, seed=1, by_interest=True)
    assert not result.from_design


def test_a_history_that_leaves_no_fresh_round_falls_back_to_the_search() -> None:
    members = tuple(Member(i) for i in range(15))
    everyone_met = (Meeting(tuple(range(15)), 1),)
    result = form_groups(Instance(members, everyone_met, round=2), 3, seed=1)
    assert not result.from_design
    assert result.repeats == 15  # five trios, every pair met
