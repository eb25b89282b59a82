"""Correctness of match_pairs: hard rules, trio, repeats against an exact solver, determinism, reasons."""

from __future__ import annotations

from itertools import combinations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Instance, Meeting, Member, match_pairs

FORMATS = st.sampled_from(["online", "offline", "any"])
CITIES = st.sampled_from([None, "Berlin", "Paris"])


@st.composite
def instances(draw: st.DrawFn, max_members: int = 12) -> Instance:
    n = draw(st.integers(min_value=0, max_value=max_members))
    members = tuple(
        Member(
            id=10 + k,
            interests=tuple(draw(st.lists(st.sampled_from(["ai", "hr", "law"]), max_size=2, unique=True))),
            offers=draw(st.sampled_from(["", "python", "tax for freelancers", "python and hiring"])),
            needs=draw(st.sampled_from(["", "python", "hiring engineers", "tax"])),
            format=draw(FORMATS),
            city=draw(CITIES),
            utc_offset=draw(st.sampled_from([None, 0, 60, 240])),
            languages=tuple(draw(st.lists(st.sampled_from(["en", "ru", "de"]), max_size=2, unique=True))),
            offer_topics=tuple(draw(st.lists(st.sampled_from(["hiring", "fundraising", "legal"]), max_size=2))),
            need_topics=tuple(draw(st.lists(st.sampled_from(["hiring", "fundraising", "legal"]), max_size=2))),
        )
        for k in range(n)
    )
    ids = [m.id for m in members]
    pairs = list(combinations(ids, 2))
    history = tuple(
        Meeting(p, draw(st.integers(1, 9))) for p in draw(st.lists(st.sampled_from(pairs), max_size=12))
    ) if pairs else ()
    blocked = tuple(draw(st.lists(st.sampled_from(pairs), max_size=6))) if pairs else ()
    return Instance(members, history, blocked, round=10)


def allowed(instance: Instance, a: int, b: int) -> bool:
    by_id = {m.id: m for m in instance.members}
    x, y = by_id[a], by_id[b]
    if (a, b) in instance.blocked or (b, a) in instance.blocked:
        return False
    if {x.format, y.format} == {"online", "offline"}:  # online-only with in-person-only
        return False
    if x.languages and y.languages and not set(x.languages) & set(y.languages):  # no language in common
        return False
    return not (x.format == y.format == "offline" and x.city and y.city and x.city != y.city)


def share_a_language(instance: Instance, group: tuple[int, ...]) -> bool:
    """One language spoken by everyone in the group who lists any."""
    by_id = {m.id: m for m in instance.members}
    listed = [set(by_id[i].languages) for i in group if by_id[i].languages]
    return not listed or bool(set.intersection(*listed))


def met_pairs(instance: Instance) -> set[frozenset[int]]:
    return {frozenset(p) for m in instance.history for p in combinations(m.members, 2)}


@settings(max_examples=150, deadline=None)
@given(instances())
def test_hard_rules_and_accounting(instance: Instance) -> None:
    result = match_pairs(instance)
    seen = [i for m in result.matches for i in m.members]
    assert len(seen) == len(set(seen)), "a member is in two matches"
    unmatched = [u.id for u in result.unmatched]
    assert sorted(seen + unmatched) == sorted(m.id for m in instance.members), "someone dropped silently"
    for match in result.matches:
        assert len(match.members) in (2, 3)
        for a, b in combinations(match.members, 2):
            assert allowed(instance, a, b)
        assert share_a_language(instance, match.members)
    trios = [m for m in result.matches if len(m.members) == 3]
    assert len(trios) <= 1
    if trios:
        assert (len(seen) - 3) % 2 == 0 and len(seen) % 2 == 1


def exact_best(instance: Instance) -> tuple[int, int]:
    """(max cardinality, fewest repeats among maximum matchings) by networkx on all allowed pairs."""
    graph = nx.Graph()
    met = met_pairs(instance)
    for a, b in combinations([m.id for m in instance.members], 2):
        if allowed(instance, a, b):
            graph.add_edge(a, b, weight=1 if frozenset((a, b)) in met else 2)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    repeats = sum(1 for a, b in matching if frozenset((a, b)) in met)
    return len(matching), repeats


@settings(max_examples=150, deadline=None)
@given(instances())
def test_maximum_cardinality_and_fewest_repeats(instance: Instance) -> None:
    result = match_pairs(instance)
    cardinality, repeats = exact_best(instance)
    pairs = sum(1 for m in result.matches if len(m.members) == 2) + sum(
        1 for m in result.matches if len(m.members) == 3
    )
    assert pairs == cardinality
    pair_repeats = sum(1 for m in result.matches if len(m.members) == 2 and m.repeat)
    if repeats == 0:
        assert not any(m.repeat for m in result.matches if len(m.members) == 2)
    assert pair_repeats <= repeats


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 2**16))
def test_deterministic_per_seed(instance: Instance, seed: int) -> None:
    first, second = match_pairs(instance, seed), match_pairs(instance, seed)
    assert first.matches == second.matches
    assert first.unmatched == second.unmatched


def test_trio_absorbs_the_odd_member_and_prefers_fresh_pairs() -> None:
    members = tuple(Member(id=i) for i in range(1, 6))
    history = (Meeting((5, 1), 1), Meeting((5, 2), 2))
    result = match_pairs(Instance(members, history, round=3))
    assert not result.unmatched
    (trio,) = [m for m in result.matches if len(m.members) == 3]
    assert not trio.repeat


def test_repeats_prefer_the_oldest_meeting() -> None:
    members = (Member(id=1), Member(id=2), Member(id=3), Member(id=4))
    history = tuple(Meeting(p, r) for p, r in [((1, 2), 1), ((3, 4), 1), ((1, 3), 8), ((2, 4), 8)])
    blocked = ((1, 4), (2, 3))
    result = match_pairs(Instance(members, history, blocked, round=9))
    assert {m.members for m in result.matches} == {(1, 2), (3, 4)}
    assert result.stats.repeats == 2


def test_unmatched_reasons() -> None:
    members = (
        Member(id=1),
        Member(id=2),
        Member(id=3),
        Member(id=4, format="offline", city="Berlin"),
        Member(id=5, format="offline", city="Paris"),
    )
    blocked = ((3, 1), (3, 2), (3, 4), (3, 5), (4, 1), (4, 2))
    result = match_pairs(Instance(members, blocked=blocked))
    reasons = {u.id: u.reason for u in result.unmatched}
    assert reasons[3] == "blocked_all"
    assert reasons[4] == "no_compatible_partner"
    assert [m.members for m in result.matches] == [(1, 2, 5)]  # three eligible: one trio


def test_alone() -> None:
    result = match_pairs(Instance((Member(id=1),)))
    assert [(u.id, u.reason) for u in result.unmatched] == [(1, "alone")]


def test_reasons_say_who_helps_whom_with_what() -> None:
    a = Member(id=1, interests=("AI", "hr"), offers="I can help with Python backend architecture",
               needs="Looking for advice on pitching to investors", format="offline", city="Berlin",
               utc_offset=60, languages=("en", "ru"))
    b = Member(id=2, interests=("ai",), offers="pitching to investors and tax",
               needs="python backend architecture", format="any", city="berlin", utc_offset=0, languages=("ru",))
    (match,) = match_pairs(Instance((a, b))).matches
    reasons = match.reasons
    assert reasons.shared_interests == ("ai",)
    helps = {(h.giver, h.receiver, h.what, h.exact) for h in reasons.helps}
    assert helps == {(1, 2, "python backend architecture", True), (2, 1, "pitching to investors", True)}
    assert reasons.same_city == "Berlin" and reasons.meeting_format == "offline"
    assert reasons.shared_languages == ("ru",)
    assert reasons.timezone_difference == 60
    assert match.score > 0


def test_online_only_and_in_person_only_never_meet() -> None:
    members = (Member(1, format="online"), Member(2, format="offline", city="Berlin"),
               Member(3, format="online"), Member(4, format="offline"))
    result = match_pairs(Instance(members))
    assert {m.members for m in result.matches} == {(1, 3), (2, 4)}
    alone = match_pairs(Instance((Member(1, format="online"), Member(2, format="offline", city="Berlin"))))
    assert not alone.matches
    assert [(u.id, u.reason, u.text) for u in alone.unmatched] == [
        (1, "no_compatible_partner", "meets only online and nobody else can meet online"),
        (2, "no_compatible_partner", "meets only in person and nobody else can meet in Berlin"),
    ]
