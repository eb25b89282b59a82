"""Compatibility of two (or three) members: shared interests, give ↔ need, format/city, time zone, language."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, permutations

from matching.model import Help, Member, Reasons
from matching.text import Phrase, phrases, tag


@dataclass(frozen=True)
class Weights:
    interest: float = 1.0  # per shared tag …
    max_interests: int = 3  # … counting at most this many
    help: float = 2.0  # per need fully answered by the other's offer (half of it scaled when partly answered)
    max_help: float = 4.0  # per direction
    format_ok: float = 0.5  # formats can meet (not online-only with offline-only)
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


def forbidden_by_place(a: Profile, b: Profile) -> bool:
    """Hard rule: both want to meet only in person, in different cities."""
    return a.offline_only and b.offline_only and a.city is not None and b.city is not None and a.city != b.city


def _help_value(giver: Profile, receiver: Profile, w: Weights) -> float:
    if giver.offer_stems.isdisjoint(receiver.need_stems):
        return 0.0
    total = 0.0
    for need in receiver.needs:
        common = len(need.stems & giver.offer_stems)
        if common:
            total += w.help if common == len(need.stems) else w.help * 0.5 * common / len(need.stems)
    return min(total, w.max_help)


def _formats_meet(a: Profile, b: Profile) -> bool:
    return {a.member.format, b.member.format} != {"online", "offline"}


def pair_score(a: Profile, b: Profile, w: Weights = DEFAULT_WEIGHTS) -> float:
    score = w.interest * min(len(a.interests & b.interests), w.max_interests)
    score += _help_value(a, b, w) + _help_value(b, a, w)
    if _formats_meet(a, b):
        score += w.format_ok
        if a.city is not None and a.city == b.city and a.in_person and b.in_person:
            score += w.same_city
    ta, tb = a.member.utc_offset, b.member.utc_offset
    if ta is not None and tb is not None:
        score += w.timezone * max(0.0, 1.0 - abs(ta - tb) / w.timezone_span)
    if not a.languages.isdisjoint(b.languages):
        score += w.language
    return score


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
    """Why these people were matched, as plain data for the intro message."""
    counts: dict[str, int] = {}
    for p in group:
        for t in p.interests:
            counts[t] = counts.get(t, 0) + 1
    shared = tuple(sorted(t for t, c in counts.items() if c >= 2))
    helps = [h for giver, receiver in permutations(group, 2) for h in _helps(giver, receiver)]
    cities = {p.city for p in group}
    city = group[0].member.city if len(cities) == 1 and None not in cities else None
    compatible = all(_formats_meet(a, b) for a, b in combinations(group, 2))
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
