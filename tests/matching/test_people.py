"""What people care about (issue 10): a shared language (hard rule for pairs, the trio, small groups and meetup
groups), help topics (mutual above one-way; reasons with direction, whole phrases quoted), daytime overlap for
online pairs. Plain examples, and properties that only assert what the code guarantees."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import (
    Help,
    Instance,
    Meeting,
    Member,
    TopicHelp,
    form_groups,
    match_pairs,
    match_round,
    may_meet,
)
from matching.rules import Rules
from matching.score import DEFAULT_WEIGHTS, pair_score, profile, timezone_value

PATIENT = 120.0  # seconds: the stall rule, not the clock, ends every search below

ANNA = Member(1, ("startups", "fintech"), offers="Fundraising advice, pitch decks",
              needs="Hiring a senior backend engineer", format="offline", city="Berlin", utc_offset=60,
              languages=("en",), offer_topics=("fundraising",), need_topics=("hiring",))
DMITRI = Member(2, ("hr",), offers="Помогу с наймом разработчиков", needs="Ищу советы по привлечению инвестиций",
                format="offline", city="Berlin", utc_offset=60, languages=("ru", "en"),
                offer_topics=("hiring",), need_topics=("fundraising",))


def community() -> tuple[Member, ...]:
    """Eleven members writing in English and Russian, as in the issue, with the mutual pair Anna ↔ Dmitri and
    people who compete for each of them (shared interests, free text that half answers)."""
    return (
        ANNA,
        DMITRI,
        Member(3, ("startups", "fintech", "ai"), offers="hiring engineers", needs="pitch decks", format="any",
               city="Berlin", utc_offset=60, languages=("en",)),
        Member(4, ("hr",), offers="маркетинг в телеграме", needs="найм разработчиков", format="any", city="Berlin",
               utc_offset=180, languages=("ru",)),
        Member(5, ("ai",), offers="technical writing", needs="technical co-founder search", format="online",
               utc_offset=0, languages=("en",), offer_topics=("writing",), need_topics=("cofounder",)),
        Member(6, ("startups", "fintech"), offers="pitch decks", needs="backend engineer hiring", format="any",
               city="Berlin", utc_offset=60, languages=("en",), need_topics=("hiring",)),
        Member(7, ("design",), offers="design systems", needs="налоги для фрилансеров", format="online",
               utc_offset=180, languages=("ru",)),
        Member(8, ("design", "ai"), offers="UX writing", needs="design systems", format="online", utc_offset=0,
               languages=("en",)),
        Member(9, ("hr",), offers="налоги для фрилансеров", needs="маркетинг в телеграме", format="any",
               city="Moscow", utc_offset=180, languages=("ru",)),
        Member(10, ("law",), offers="employment contracts", needs="fundraising", format="any", city="Berlin",
               utc_offset=60, languages=("en", "de"), need_topics=("fundraising",)),
        Member(11, ("law", "startups"), offers="GDPR compliance", needs="hiring", format="online", utc_offset=60,
               languages=("de", "en"), need_topics=("hiring",)),
    )


def test_the_mutual_pair_of_the_issue_meets_in_round_one() -> None:
    for seed in range(4):
        result = match_pairs(Instance(community(), round=1), seed=seed)
        (match,) = [m for m in result.matches if 1 in m.members]
        assert match.members == (1, 2), seed
        reasons = match.reasons
        assert set(reasons.topic_helps) == {TopicHelp(1, 2, ("fundraising",), True),
                                            TopicHelp(2, 1, ("hiring",), True)}
        assert reasons.meeting_format == "offline" and reasons.same_city == "Berlin"
        assert reasons.shared_languages == ("en",)


def test_mutual_topics_weigh_more_than_one_way() -> None:
    mutual = pair_score(profile(ANNA), profile(DMITRI))
    one_way = pair_score(profile(ANNA), profile(Member(3, offer_topics=("hiring",), format="offline",
                                                              city="Berlin", utc_offset=60, languages=("en",))))
    w = DEFAULT_WEIGHTS
    assert mutual - one_way >= w.topic + w.mutual - 2 * w.max_help  # free text is the secondary signal


def test_nobody_meets_without_a_language_in_common() -> None:
    english = [Member(i, offer_topics=("hiring",), need_topics=("sales",), languages=("en",)) for i in (1, 2)]
    russian = [Member(i, offer_topics=("sales",), need_topics=("hiring",), languages=("ru",)) for i in (3, 4)]
    result = match_pairs(Instance((*english, *russian)))
    assert {m.members for m in result.matches} == {(1, 2), (3, 4)}  # despite the topics across the divide
    assert not may_meet(english[0], russian[0])
    assert may_meet(english[0], Member(5))  # no languages listed: unknown, meets anyone
    assert may_meet(english[0], Member(6, languages=("ru", "EN ")))  # compared ignoring case and spaces


def test_alone_with_a_language_nobody_else_speaks() -> None:
    result = match_pairs(Instance((Member(1, languages=("fr",)), Member(2, languages=("en",)),
                                   Member(3, languages=("en",)))))
    assert [m.members for m in result.matches] == [(2, 3)]
    assert [(u.id, u.reason) for u in result.unmatched] == [(1, "no_shared_language")]


# Three people who share a language two by two but have none in common.
TRIANGLE = (Member(1, languages=("en", "ru")), Member(2, languages=("ru", "de")), Member(3, languages=("de", "en")))


def test_no_trio_without_a_language_shared_by_all_three() -> None:
    result = match_pairs(Instance(TRIANGLE))
    assert len(result.matches) == 1 and len(result.matches[0].members) == 2
    assert [u.reason for u in result.unmatched] == ["no_free_partner"]


def test_no_small_group_without_a_language_shared_by_all() -> None:
    speakers = (*TRIANGLE, Member(4, languages=("en",)), Member(5, languages=("en",)), Member(6, languages=("de",)))
    for seed in range(3):
        result = match_round(Instance(speakers), 3, seed, time_limit=PATIENT)
        for match in result.matches:
            assert set.intersection(*(set(m.languages) for m in speakers if m.id in match.members))


def test_meetup_groups_keep_languages_and_formats_apart() -> None:
    english = [Member(i, ("ai",), format="online", languages=("en",)) for i in range(1, 7)]
    russian = [Member(i, ("ai",), format="any", languages=("ru",)) for i in range(11, 17)]
    berlin = [Member(i, ("hr",), format="offline", city="Berlin", languages=("en", "de")) for i in range(21, 27)]
    for seed in range(3):
        result = form_groups(Instance((*english, *russian, *berlin)), 6, seed=seed, time_limit=PATIENT)
        assert result.blocked == 0 and not result.left_out
        assert sorted(g.members for g in result.groups) == [tuple(range(1, 7)), tuple(range(11, 17)),
                                                            tuple(range(21, 27))]


def test_meetup_groups_carry_the_pairs_score_and_reasons() -> None:
    result = form_groups(Instance((ANNA, DMITRI)), 2, time_limit=PATIENT)
    (group,) = result.groups
    assert group.score == round(pair_score(profile(ANNA), profile(DMITRI)), 6)
    assert {(t.giver, t.receiver) for t in group.reasons.topic_helps} == {(1, 2), (2, 1)}


def test_reasons_quote_whole_phrases_never_a_stray_word() -> None:
    noor = Member(1, needs="Looking for a technical co-founder search partner")
    writer = Member(2, offers="technical writing")
    near = Member(3, offers="I can help with finding a technical co-founder")
    (match,) = match_pairs(Instance((noor, writer))).matches
    assert match.reasons.helps == ()  # one shared word ("technical") is no reason to quote
    (match,) = match_pairs(Instance((noor, near))).matches
    assert match.reasons.helps == (
        Help(3, 1, "technical co-founder search partner", exact=False, offer="finding a technical co-founder"),
    )


def test_daytime_overlap_for_online_pairs() -> None:
    w = DEFAULT_WEIGHTS
    assert timezone_value(0, 0, w) == w.timezone
    assert timezone_value(-720, 840, w) == timezone_value(0, 120, w)  # the clock face wraps round
    assert timezone_value(0, 720, w) == 0.0 and timezone_value(None, 0, w) == 0.0
    people = (Member(1, format="online", utc_offset=0), Member(2, format="online", utc_offset=540),
              Member(3, format="online", utc_offset=60), Member(4, format="online", utc_offset=600))
    result = match_pairs(Instance(people))
    assert {m.members for m in result.matches} == {(1, 3), (2, 4)}
    assert {m.reasons.daytime_overlap for m in result.matches} == {660}
    # in person in one city: the city counts, not the clock
    here = Member(5, format="offline", city="Berlin", utc_offset=60)
    assert pair_score(profile(here), profile(here)) == w.format_ok + w.same_city


LANGUAGES = st.lists(st.sampled_from(["en", "ru", "de"]), max_size=2, unique=True)


@st.composite
def crowds(draw: st.DrawFn) -> Instance:
    n = draw(st.integers(0, 18))
    members = tuple(
        Member(k, tuple(draw(st.lists(st.sampled_from(["ai", "hr"]), max_size=2, unique=True))),
               format=draw(st.sampled_from(["online", "offline", "any"])),
               city=draw(st.sampled_from([None, "Berlin", "Paris"])), languages=tuple(draw(LANGUAGES)),
               offer_topics=tuple(draw(st.lists(st.sampled_from(["a", "b"]), max_size=1))),
               need_topics=tuple(draw(st.lists(st.sampled_from(["a", "b"]), max_size=1))))
        for k in range(1, n + 1)
    )
    pairs = list(combinations(range(1, n + 1), 2))
    blocked = tuple(draw(st.lists(st.sampled_from(pairs), max_size=3))) if pairs else ()
    history = tuple(Meeting(p, 1) for p in draw(st.lists(st.sampled_from(pairs), max_size=6))) if pairs else ()
    return Instance(members, history, blocked, round=2)


def may_all_meet(instance: Instance, group: tuple[int, ...]) -> bool:
    """The hard rules written out again: blocks, formats, cities, one language for all who list any."""
    by_id = {m.id: m for m in instance.members}
    people = [by_id[i] for i in group]
    blocked = {frozenset(p) for p in instance.blocked}
    for a, b in combinations(people, 2):
        far = a.format == b.format == "offline" and a.city and b.city and a.city != b.city
        if frozenset((a.id, b.id)) in blocked or {a.format, b.format} == {"online", "offline"} or far:
            return False
    listed = [set(p.languages) for p in people if p.languages]
    return not listed or bool(set.intersection(*listed))


@settings(max_examples=60, deadline=None)
@given(crowds(), st.integers(2, 6), st.integers(0, 3))
def test_meetup_groups_obey_the_hard_rules(instance: Instance, size: int, seed: int) -> None:
    result = form_groups(instance, size, seed=seed, time_limit=PATIENT)
    placed = [i for g in result.groups for i in g.members]
    assert sorted(placed + list(result.left_out)) == sorted(m.id for m in instance.members)
    for group in result.groups:  # (balanced sizes may make a group of one: 3 people in groups of 2)
        assert may_all_meet(instance, group.members)


def test_at_one_place_only_blocks_and_languages_keep_people_apart() -> None:
    online = [Member(i, format="online", languages=("en",)) for i in range(1, 4)]
    berlin = [Member(i, format="offline", city="Berlin", languages=("en",)) for i in range(4, 7)]
    paris = [Member(i, format="offline", city="Paris", languages=("ru",)) for i in range(7, 10)]
    instance = Instance((*online, *berlin, *paris), blocked=((1, 4),))
    for seed in range(3):
        result = form_groups(instance, 3, seed=seed, time_limit=PATIENT, one_place=True)
        assert result.blocked == 0 and not result.left_out
        groups = [set(g.members) for g in result.groups]
        assert {7, 8, 9} in groups and not any({1, 4} <= g for g in groups)
        apart = form_groups(instance, 3, seed=seed, time_limit=PATIENT)  # each meets in their own way
        assert sorted(g.members for g in apart.groups) == [(1, 2, 3), (4, 5, 6), (7, 8, 9)]


@settings(max_examples=80, deadline=None)
@given(crowds())
def test_isolated_are_exactly_those_nobody_may_meet(instance: Instance) -> None:
    rules = Rules(instance)
    alone = {i for i in range(rules.n) if not any(rules.allowed(i, j) for j in range(rules.n))}
    assert set(rules.isolated()) == alone
