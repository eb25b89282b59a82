"""match_round: a community's round as pairs or small groups under the same rules and score."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Help, Instance, Meeting, Member, match_pairs, match_round, partition
from matching.rules import Rules
from matching.score import explain, pair_score

FORMATS = st.sampled_from(["online", "offline", "any"])
CITIES = st.sampled_from([None, "Berlin", "Paris"])
TOPICS = ["python", "hiring engineers", "tax for freelancers", "pricing"]
PATIENT = 120.0  # seconds: far above what these instances need, so the stall rule (not the clock) ends each search


@st.composite
def instances(draw: st.DrawFn, max_members: int = 20) -> Instance:
    n = draw(st.integers(0, max_members))
    members = tuple(
        Member(
            id=10 + k,
            interests=tuple(draw(st.lists(st.sampled_from(["ai", "hr", "law"]), max_size=2, unique=True))),
            offers=draw(st.sampled_from(["", *TOPICS])),
            needs=draw(st.sampled_from(["", *TOPICS])),
            format=draw(FORMATS),
            city=draw(CITIES),
            utc_offset=draw(st.sampled_from([None, 0, 60, 240])),
            languages=tuple(draw(st.lists(st.sampled_from(["en", "ru", "de"]), max_size=2, unique=True))),
            offer_topics=tuple(draw(st.lists(st.sampled_from(["hiring", "fundraising"]), max_size=2))),
            need_topics=tuple(draw(st.lists(st.sampled_from(["hiring", "fundraising"]), max_size=2))),
        )
        for k in range(n)
    )
    pairs = list(combinations([m.id for m in members], 2))
    history = tuple(
        Meeting(p, draw(st.integers(1, 9))) for p in draw(st.lists(st.sampled_from(pairs), max_size=12))
    ) if pairs else ()
    blocked = tuple(draw(st.lists(st.sampled_from(pairs), max_size=6))) if pairs else ()
    return Instance(members, history, blocked, round=10)


@settings(max_examples=50, deadline=None)
@given(instances(), st.integers(3, 8), st.integers(0, 2**16))
def test_groups_follow_the_pair_rules_and_explain_themselves(instance: Instance, size: int, seed: int) -> None:
    result = match_round(instance, size, seed, time_limit=PATIENT)
    rules = Rules(instance)
    placed = [i for m in result.matches for i in m.members]
    assert len(placed) == len(set(placed)), "someone is in two groups"
    assert sorted(placed + [u.id for u in result.unmatched]) == sorted(m.id for m in instance.members)
    isolated = {left.id: left.reason for left in rules.isolated().values()}
    for left in result.unmatched:
        assert left.reason == isolated.get(left.id, "no_free_partner")
    for match in result.matches:
        assert len(match.members) >= 2
        group = [rules.index[i] for i in match.members]
        for i, j in combinations(group, 2):
            assert rules.allowed(i, j), "two people who may not meet share a group"
        listed = [set(m.languages) for m in instance.members if m.id in match.members and m.languages]
        assert not listed or set.intersection(*listed), "no language that everyone who lists languages speaks"
        assert match.repeat == any(rules.met(i, j) for i, j in combinations(group, 2))
        exact = sum(pair_score(rules.profiles[i], rules.profiles[j]) for i, j in combinations(group, 2))
        assert match.score == pytest.approx(exact, abs=1e-6)  # rounded to 6 decimals
        assert match.reasons == explain(tuple(rules.profiles[i] for i in group))
    again = match_round(instance, size, seed, time_limit=PATIENT)
    assert again.matches == result.matches and again.unmatched == result.unmatched


def test_group_size_two_is_match_pairs() -> None:
    members = tuple(Member(i, ("ai",) if i % 2 else ()) for i in range(9))
    instance = Instance(members, (Meeting((0, 1), 1),), round=2)
    assert match_round(instance, 2, 5, time_limit=PATIENT).matches == match_pairs(instance, 5).matches


def test_online_only_and_in_person_only_are_never_mixed() -> None:
    online = [Member(i, format="online") for i in range(1, 9)]
    berlin = [Member(i, format="offline", city="Berlin") for i in range(11, 19)]
    either = [Member(i, format="any", city="Paris") for i in range(21, 25)]
    instance = Instance(tuple(online + berlin + either))
    kind = {m.id: m.format for m in instance.members}
    for seed in range(5):
        result = match_round(instance, 4, seed, time_limit=PATIENT)
        assert not result.unmatched
        assert sorted(len(m.members) for m in result.matches) == [4] * 5
        for match in result.matches:
            assert not {"online", "offline"} <= {kind[i] for i in match.members}


def test_sizes_that_force_a_mix_are_repaired() -> None:
    # 4 in Berlin in person only and 2 online only, groups of 3: two balanced groups would mix them
    berlin = [Member(i, format="offline", city="Berlin") for i in range(1, 5)]
    online = [Member(i, format="online") for i in (8, 9)]
    result = match_round(Instance(tuple(berlin + online)), 3, 0, time_limit=PATIENT)
    assert [m.members for m in result.matches] == [(1, 2, 3, 4), (8, 9)]
    assert all(m.reasons.format_compatible for m in result.matches)


def test_nobody_compatible_left_is_left_out_with_a_reason() -> None:
    members = (Member(1, format="online"), Member(2, format="online"), Member(3, format="online"),
               Member(4, format="offline", city="Berlin"), Member(5, format="any"))
    blocked = ((4, 5),)
    result = match_round(Instance(members, blocked=blocked), 3, 0, time_limit=PATIENT)
    assert [(u.id, u.reason) for u in result.unmatched] == [(4, "no_compatible_partner")]
    assert [m.members for m in result.matches] == [(1, 2, 3, 5)]


def test_group_reasons_say_who_helps_whom() -> None:
    members = (
        Member(1, ("ai",), offers="I can help with pricing strategy", needs="hiring engineers"),
        Member(2, ("ai",), offers="hiring engineers", languages=("en",)),
        Member(3, ("law",), needs="pricing strategy", languages=("en",)),
    )
    (group,) = match_round(Instance(members), 3, 0, time_limit=PATIENT).matches
    assert group.members == (1, 2, 3)
    assert set(group.reasons.helps) == {Help(1, 3, "pricing strategy", True, "pricing strategy"),
                                        Help(2, 1, "hiring engineers", True, "hiring engineers")}
    assert group.reasons.shared_interests == ("ai",)
    assert group.score > 0


def test_second_round_in_fours_is_repeat_free() -> None:
    members = tuple(Member(i, format="any") for i in range(16))
    history: list[Meeting] = []
    for r in (1, 2, 3):  # 16 people in fours: 5 repeat-free rounds exist (affine plane of order 4)
        result = match_round(Instance(members, tuple(history), round=r), 4, r, time_limit=PATIENT)
        assert result.stats.repeats == 0, r
        assert result.stats.strategy == "groups"
        history.extend(Meeting(m.members, r) for m in result.matches)


def test_chunks_keep_people_who_can_meet_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partition, "CHUNK", 8)
    members = tuple(Member(i, format=("online", "offline", "any")[i % 3], city="Berlin") for i in range(30))
    result = match_round(Instance(members), 4, 1, time_limit=PATIENT)
    assert not result.unmatched
    rules = Rules(Instance(members))
    for match in result.matches:
        assert all(rules.allowed(rules.index[a], rules.index[b]) for a, b in combinations(match.members, 2))
    assert match_round(Instance(members), 4, 1, time_limit=PATIENT).matches == result.matches
