"""The one definition of how members fit: whether they can meet at all, how compatible they are, and what an
earlier meeting costs. Everything else computes these same numbers faster:

* `can_meet` — the hard rule for two (blocks are per instance and live in `Rules`): formats meet, two
  in-person-only members are in one city, and they share a language when both list languages;
  `can_meet_all` — the same for a trio or group, plus one language shared by everyone who lists any;
* `pair_score` — compatibility: help topics (mutual above one-way), shared interests, free-text give ↔ need
  (a secondary signal), format/city, daytime overlap for online meetings, a known shared language;
* `repeat_cost` — what meeting again costs, by how long ago the pair last met.

`Rules.weight(i, j)` (`matching/rules.py`) is `pair_score − repeat_cost` for two members of an instance, and
`None`-free only where `Rules.allowed`; `PairWeights` (`matching/vectors.py`) computes the same weights in
bulk with numpy. `tests/matching/test_score.py` checks both against these functions with Hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, pairwise, permutations

import numpy as np
import numpy.typing as npt

from matching.model import Help, Member, Reasons, TopicHelp
from matching.text import Phrase, phrases, tag

# Weight offsets that make the optimiser lexicographic: first as few repeats as possible, then the repeats
# that met longest ago, then the compatibility score (which stays well below RECENCY).
REPEAT = 1000.0
RECENCY = 500.0
DAY = 1440  # minutes
DAY_START = 9 * 60  # the daytime window in local time in which people meet online: 09:00 …
DAYTIME = 12 * 60  # … to 21:00


@dataclass(frozen=True)
class Weights:
    topic: float = 4.0  # per help topic one offers and the other needs …
    max_topics: int = 2  # … counting at most this many per direction
    mutual: float = 4.0  # on top when topics flow both ways (A helps B and B helps A)
    interest: float = 1.0  # per shared tag …
    max_interests: int = 3  # … counting at most this many
    help: float = 2.0  # free text, per need fully answered by the other's offer (half of it scaled when partly)
    max_help: float = 4.0  # per direction
    format_ok: float = 0.5  # formats can meet (every allowed pair; kept so scores stay comparable)
    same_city: float = 1.0  # same city and both can meet in person (they meet in person)
    timezone: float = 1.0  # online meetings: times the share of a 12-hour day (09–21 local) both have
    language: float = 1.0  # both list languages and share one (known rather than assumed)


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Profile:
    """A member prepared once per run so that scoring a pair is a handful of set operations."""

    member: Member
    interests: frozenset[str]
    offers: tuple[Phrase, ...]
    needs: tuple[Phrase, ...]
    offer_stems: frozenset[str]
    need_stems: frozenset[str]
    city: str | None
    languages: frozenset[str]
    offer_topics: frozenset[str]
    need_topics: frozenset[str]

    @property
    def in_person(self) -> bool:
        return self.member.format != "online"

    @property
    def offline_only(self) -> bool:
        return self.member.format == "offline"


def profile(member: Member) -> Profile:
    offers = phrases(member.offers)
    needs = phrases(member.needs)
    return Profile(
        member=member,
        interests=_tags(member.interests),
        offers=offers,
        needs=needs,
        offer_stems=frozenset().union(*(p.stems for p in offers)),
        need_stems=frozenset().union(*(p.stems for p in needs)),
        city=tag(member.city) if member.city and member.city.strip() else None,
        languages=_tags(member.languages),
        offer_topics=_tags(member.offer_topics),
        need_topics=_tags(member.need_topics),
    )


_NOTHING: frozenset[str] = frozenset()


def _tags(values: tuple[str, ...]) -> frozenset[str]:
    """Normalised tags, blank ones dropped (`tag` of a blank string is "")."""
    return frozenset(map(tag, values)) - {""} if values else _NOTHING


def formats_meet(a: Profile, b: Profile) -> bool:
    """Not one online-only with one in-person-only."""
    fa, fb = a.member.format, b.member.format
    return fa == fb or fa == "any" or fb == "any"


def languages_meet(a: Profile, b: Profile) -> bool:
    """Both list languages and share one, or one of them lists none (unknown: no constraint)."""
    return languages_meet_sets(a.languages, b.languages)


def languages_meet_sets(a: frozenset[str], b: frozenset[str]) -> bool:
    return not a or not b or not a.isdisjoint(b)


def places_meet(a: Profile, b: Profile) -> bool:
    """The formats meet, and two in-person-only members are not in two different known cities."""
    far = a.offline_only and b.offline_only and a.city is not None and b.city is not None and a.city != b.city
    return formats_meet(a, b) and not far


def can_meet(a: Profile, b: Profile) -> bool:
    """Hard rule: format and place (`places_meet`), and a language in common when both list languages."""
    return places_meet(a, b) and languages_meet(a, b)


def common_languages(group: tuple[Profile, ...]) -> frozenset[str] | None:
    """Languages shared by everyone in the group who lists any; None when nobody lists any."""
    listed = [p.languages for p in group if p.languages]
    return frozenset.intersection(*listed) if listed else None


def can_meet_all(group: tuple[Profile, ...]) -> bool:
    """Hard rule for a trio or group: every two can meet, and one language is shared by all who list any (three
    people can share a language two by two and have none in common)."""
    return all(can_meet(a, b) for a, b in combinations(group, 2)) and common_languages(group) != frozenset()


def may_meet(a: Member, b: Member) -> bool:
    """`can_meet` for two members as they come (for callers outside the engine, e.g. a replacement partner)."""
    return can_meet(profile(a), profile(b))


def meets_in_person(a: Profile, b: Profile) -> bool:
    """Both can meet in person and are in the same known city (else they meet online)."""
    return a.city is not None and a.city == b.city and a.in_person and b.in_person


def need_credit(common: int, size: int, w: Weights) -> float:
    """What an offer holding `common` of the `size` stems of one need phrase is worth to it (common > 0)."""
    return w.help if common == size else w.help * 0.5 * common / size


def need_credits(common: npt.NDArray[np.float64], size: npt.NDArray[np.float64], w: Weights) -> npt.NDArray[np.float64]:
    """`need_credit` element by element: the same IEEE operations, so the same bits."""
    return np.where(common == size, w.help, w.help * 0.5 * common / size)


def help_value(giver: Profile, receiver: Profile, w: Weights) -> float:
    """How much the giver's offer (free text) answers the receiver's needs, at most `max_help`."""
    if giver.offer_stems.isdisjoint(receiver.need_stems):
        return 0.0
    total = 0.0
    for need in receiver.needs:
        common = len(need.stems & giver.offer_stems)
        if common:
            total += need_credit(common, len(need.stems), w)
    return min(total, w.max_help)


def topic_value(count: int, w: Weights) -> float:
    """What `count` help topics offered by one and needed by the other are worth (one direction)."""
    return w.topic * min(count, w.max_topics)


def topic_score(a: Profile, b: Profile, w: Weights) -> float:
    """Help topics both ways, and `mutual` on top when they flow both ways."""
    ab = len(a.offer_topics & b.need_topics)
    ba = len(b.offer_topics & a.need_topics)
    score = topic_value(ab, w) + topic_value(ba, w)
    if ab and ba:
        score += w.mutual
    return score


def offset_distance(a: int, b: int) -> int:
    """Minutes between two UTC offsets on the clock face (UTC−12 and UTC+14 are two hours apart)."""
    d = abs(a - b) % DAY
    return min(d, DAY - d)


def timezone_value(a: int | None, b: int | None, w: Weights) -> float:
    """The share of a 12-hour day (09:00–21:00 local) two people have in common, times `timezone`; 0 when an
    offset is unknown."""
    if a is None or b is None:
        return 0.0
    return w.timezone * max(0.0, 1.0 - offset_distance(a, b) / DAYTIME)


def pair_score(a: Profile, b: Profile, w: Weights = DEFAULT_WEIGHTS) -> float:
    """Compatibility of two members (symmetric, ≥ 0); meaningful for any two, allowed or not."""
    score = w.interest * min(len(a.interests & b.interests), w.max_interests)
    score += help_value(a, b, w) + help_value(b, a, w)
    score += topic_score(a, b, w)
    in_person = meets_in_person(a, b)
    if formats_meet(a, b):
        score += w.format_ok
        if in_person:
            score += w.same_city
    if not in_person:
        score += timezone_value(a.member.utc_offset, b.member.utc_offset, w)
    if not a.languages.isdisjoint(b.languages):
        score += w.language
    return score


def repeat_cost(last_met: int | None, now: int) -> float:
    """0 for a pair that never met; otherwise REPEAT plus a recency term that shrinks as the meeting ages."""
    if last_met is None:
        return 0.0
    return REPEAT + RECENCY / max(1, now - last_met)


def _helps(giver: Profile, receiver: Profile) -> list[Help]:
    """The receiver's need phrases the giver's offer answers: wholly, or in most of their words (at least two).
    A single shared word is not a reason to quote ("technical" of "technical co-founder")."""
    out: list[Help] = []
    if giver.offer_stems.isdisjoint(receiver.need_stems):
        return out
    for need in receiver.needs:
        common = need.stems & giver.offer_stems
        exact = common == need.stems
        if exact or (len(common) >= 2 and 2 * len(common) >= len(need.stems)):
            offer = max(giver.offers, key=lambda o: len(o.stems & need.stems))
            out.append(Help(giver.member.id, receiver.member.id, need.text, exact=exact, offer=offer.text))
    return out


def _topic_helps(group: tuple[Profile, ...]) -> list[TopicHelp]:
    out = []
    for giver, receiver in permutations(group, 2):
        topics = giver.offer_topics & receiver.need_topics
        if topics:
            mutual = not receiver.offer_topics.isdisjoint(giver.need_topics)
            named = tuple(t for t in giver.member.offer_topics if tag(t) in topics)  # as given, in its order
            out.append(TopicHelp(giver.member.id, receiver.member.id, tuple(dict.fromkeys(named)), mutual))
    return out


def daytime_overlap(offsets: list[int]) -> int:
    """Minutes of the 09:00–21:00 local day that everyone shares: 12 hours minus the shortest arc of the clock
    face that holds every offset."""
    points = sorted(o % DAY for o in offsets)
    gaps = [b - a for a, b in pairwise(points)] + [points[0] + DAY - points[-1]]
    return max(0, DAYTIME - (DAY - max(gaps)))


def explain(group: tuple[Profile, ...]) -> Reasons:
    """Why these people were matched (a pair, a trio or a small group), as plain data for the intro."""
    counts: dict[str, int] = {}
    for p in group:
        for t in p.interests:
            counts[t] = counts.get(t, 0) + 1
    shared = tuple(sorted(t for t, c in counts.items() if c >= 2))
    helps = [h for giver, receiver in permutations(group, 2) for h in _helps(giver, receiver)]
    cities = {p.city for p in group}
    city = group[0].member.city if len(cities) == 1 and None not in cities else None
    compatible = can_meet_all(group)
    in_person = city is not None and compatible and all(p.in_person for p in group)
    languages = common_languages(group) or frozenset()
    offsets = [p.member.utc_offset for p in group]
    known = [o for o in offsets if o is not None]
    complete = len(known) == len(offsets)
    return Reasons(
        shared_interests=shared,
        helps=tuple(helps),
        same_city=city,
        meeting_format="offline" if in_person else "online",
        format_compatible=compatible,
        shared_languages=tuple(sorted(languages)),
        timezone_difference=max(known) - min(known) if complete else None,
        topic_helps=tuple(_topic_helps(group)),
        daytime_overlap=daytime_overlap(known) if complete and not in_person else None,
    )
