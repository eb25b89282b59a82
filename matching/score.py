"""The one definition of how two members fit: whether they can meet at all, how compatible they are, and
what an earlier meeting costs. Everything else computes these same numbers faster:

* `can_meet` — the hard rule of place and format (blocks are per instance and live in `Rules`);
* `pair_score` — compatibility: shared interests, give ↔ need, format/city, time zone, language;
* `repeat_cost` — what meeting again costs, by how long ago the pair last met.

`Rules.weight(i, j)` (`matching/rules.py`) is `pair_score − repeat_cost` for two members of an instance, and
`None`-free only where `Rules.allowed`; `PairWeights` (`matching/vectors.py`) computes the same weights in
bulk with numpy. `tests/matching/test_score.py` checks both against these functions with Hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, permutations

import numpy as np
import numpy.typing as npt

from matching.model import Help, Member, Reasons
from matching.text import Phrase, phrases, tag

# Weight offsets that make the optimiser lexicographic: first as few repeats as possible, then the repeats
# that met longest ago, then the compatibility score (which stays well below RECENCY).
REPEAT = 1000.0
RECENCY = 500.0


@dataclass(frozen=True)
class Weights:
    interest: float = 1.0  # per shared tag …
    max_interests: int = 3  # … counting at most this many
    help: float = 2.0  # per need fully answered by the other's offer (half of it scaled when partly answered)
    max_help: float = 4.0  # per direction
    format_ok: float = 0.5  # formats can meet (every allowed pair; kept so scores stay comparable)
    same_city: float = 1.0  # same city and both can meet in person
    timezone: float = 0.5  # scaled down linearly to 0 at `timezone_span` minutes apart
    timezone_span: int = 480
    language: float = 1.0  # at least one language in common


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
        interests=frozenset(tag(t) for t in member.interests if t.strip()),
        offers=offers,
        needs=needs,
        offer_stems=frozenset().union(*(p.stems for p in offers)),
        need_stems=frozenset().union(*(p.stems for p in needs)),
        city=tag(member.city) if member.city and member.city.strip() else None,
        languages=frozenset(tag(lang) for lang in member.languages if lang.strip()),
    )


def formats_meet(a: Profile, b: Profile) -> bool:
    """Not one online-only with one in-person-only."""
    return {a.member.format, b.member.format} != {"online", "offline"}


def can_meet(a: Profile, b: Profile) -> bool:
    """Hard rule: the formats meet, and two in-person-only members are not in two different known cities."""
    far = a.offline_only and b.offline_only and a.city is not None and b.city is not None and a.city != b.city
    return formats_meet(a, b) and not far


def may_meet(a: Member, b: Member) -> bool:
    """`can_meet` for two members as they come (for callers outside the engine, e.g. a replacement partner)."""
    return can_meet(profile(a), profile(b))


def need_credit(common: int, size: int, w: Weights) -> float:
    """What an offer holding `common` of the `size` stems of one need phrase is worth to it (common > 0)."""
    return w.help if common == size else w.help * 0.5 * common / size


def need_credits(common: npt.NDArray[np.float64], size: npt.NDArray[np.float64], w: Weights) -> npt.NDArray[np.float64]:
    """`need_credit` element by element: the same IEEE operations, so the same bits."""
    return np.where(common == size, w.help, w.help * 0.5 * common / size)


def help_value(giver: Profile, receiver: Profile, w: Weights) -> float:
    """How much the giver's offer answers the receiver's needs, at most `max_help`."""
    if giver.offer_stems.isdisjoint(receiver.need_stems):
        return 0.0
    total = 0.0
    for need in receiver.needs:
        common = len(need.stems & giver.offer_stems)
        if common:
            total += need_credit(common, len(need.stems), w)
    return min(total, w.max_help)


def timezone_value(a: int | None, b: int | None, w: Weights) -> float:
    if a is None or b is None:
        return 0.0
    return w.timezone * max(0.0, 1.0 - abs(a - b) / w.timezone_span)


def pair_score(a: Profile, b: Profile, w: Weights = DEFAULT_WEIGHTS) -> float:
    """Compatibility of two members (symmetric, ≥ 0); meaningful for any two, allowed or not."""
    score = w.interest * min(len(a.interests & b.interests), w.max_interests)
    score += help_value(a, b, w) + help_value(b, a, w)
    if formats_meet(a, b):
        score += w.format_ok
        if a.city is not None and a.city == b.city and a.in_person and b.in_person:
            score += w.same_city
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
    out: list[Help] = []
    for need in receiver.needs:
        common = need.stems & giver.offer_stems
        if common == need.stems:
            out.append(Help(giver.member.id, receiver.member.id, need.text, exact=True))
        elif common:
            words = [word for word in need.text.split() if _stem_of(word) in common]
            out.append(Help(giver.member.id, receiver.member.id, " ".join(words), exact=False))
    return out


def _stem_of(word: str) -> str:
    found = phrases(word)
    return next(iter(found[0].stems)) if found else ""


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
    compatible = all(can_meet(a, b) for a, b in combinations(group, 2))
    in_person = city is not None and compatible and all(p.in_person for p in group)
    languages = frozenset.intersection(*(p.languages for p in group))
    offsets = [p.member.utc_offset for p in group]
    known = [o for o in offsets if o is not None]
    return Reasons(
        shared_interests=shared,
        helps=tuple(helps),
        same_city=city,
        meeting_format="offline" if in_person else "online",
        format_compatible=compatible,
        shared_languages=tuple(sorted(languages)),
        timezone_difference=max(known) - min(known) if len(known) == len(offsets) else None,
    )
