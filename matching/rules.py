"""Hard rules and history of one instance, indexed by member position (members sorted by id).

`Rules.weight` is the reference weight of a pair: the definitions of `matching/score.py` applied to two
members of this instance (blocks and history included). The fast paths (`matching/vectors.py`) must agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from matching.history import History, Ints
from matching.model import Instance, Unmatched
from matching.score import (
    DEFAULT_WEIGHTS,
    Profile,
    Weights,
    can_meet,
    common_languages,
    languages_meet_sets,
    pair_score,
    places_meet,
    profile,
    repeat_cost,
)


def current_round(instance: Instance, history_rounds: list[int]) -> int:
    """The round being matched: the instance's own number, or the one after the latest in its history."""
    if instance.round > 0:
        return instance.round
    return history_rounds[-1] + 1 if history_rounds else 0


class Rules:
    def __init__(self, instance: Instance, weights: Weights = DEFAULT_WEIGHTS) -> None:
        members = sorted(instance.members, key=lambda m: m.id)
        self.weights = weights
        self.profiles: list[Profile] = [profile(m) for m in members]
        self.ids = [m.id for m in members]
        self.n = n = len(members)
        index = {member_id: i for i, member_id in enumerate(self.ids)}
        self.index = index
        self.blocked: set[int] = set()
        self.blocked_by: list[set[int]] = [set() for _ in range(n)]
        for a, b in instance.blocked:
            i, j = index.get(a), index.get(b)
            if i is not None and j is not None and i != j:
                self.blocked.add(self.key(i, j))
                self.blocked_by[i].add(j)
                self.blocked_by[j].add(i)
        self._history = History(instance.history, self.ids)
        self.last_met = self._history.last_met  # pair key i * n + j (i < j) -> latest round the pair met
        self.round = current_round(instance, self._history.rounds)

    def history_rounds(self) -> list[int]:
        return self._history.rounds

    def round_keys(self, r: int) -> Ints:
        """Pair keys of everyone who met in round r (members of this instance only)."""
        return self._history.round_keys(r)

    def key(self, i: int, j: int) -> int:
        return i * self.n + j if i < j else j * self.n + i

    def allowed(self, i: int, j: int) -> bool:
        return i != j and self.key(i, j) not in self.blocked and can_meet(self.profiles[i], self.profiles[j])

    def allowed_all(self, group: Sequence[int]) -> bool:
        """A trio or group may meet: every two are allowed, and one language is shared by all who list any."""
        return all(self.allowed(i, j) for i, j in combinations(group, 2)) and (
            common_languages(tuple(self.profiles[i] for i in group)) != frozenset()
        )

    def met(self, i: int, j: int) -> bool:
        return self.key(i, j) in self.last_met

    def repeat_cost(self, i: int, j: int) -> float:
        return repeat_cost(self.last_met.get(self.key(i, j)), self.round)

    def score(self, i: int, j: int) -> float:
        return pair_score(self.profiles[i], self.profiles[j], self.weights)

    def weight(self, i: int, j: int) -> float:
        """What the optimiser maximises for the pair: score minus repeat cost (meaningful where allowed)."""
        return self.score(i, j) - self.repeat_cost(i, j)

    def isolated(self) -> dict[int, Unmatched]:
        """Members whom the hard rules leave without a single possible partner, with the reason."""
        n = self.n
        out: dict[int, Unmatched] = {}
        if n == 1:
            return {0: Unmatched(self.ids[0], "alone", "nobody else is taking part this round")}
        # Whether two members can meet depends only on their place (format, city) and languages: count each
        # kind once, places and languages apart (few of each; their product can be hundreds of kinds).
        kinds: dict[tuple[str, str | None], dict[frozenset[str], list[int]]] = {}
        for i, p in enumerate(self.profiles):
            kinds.setdefault((p.member.format, p.city), {}).setdefault(p.languages, []).append(i)
        first = {place: self.profiles[next(iter(by_language.values()))[0]] for place, by_language in kinds.items()}
        sets = sorted({p.languages for p in self.profiles}, key=sorted)
        speakers = {a: [b for b in sets if languages_meet_sets(a, b)] for a in sets}
        for place, by_language in kinds.items():
            near = [kinds[other] for other in kinds if places_meet(first[place], first[other])]
            placed = sum(len(m) for by in near for m in by.values()) - 1
            for languages, members in by_language.items():
                able = sum(len(by.get(x, ())) for by in near for x in speakers[languages]) - 1
                p = self.profiles[members[0]]
                for i in members:
                    blocked = self.blocked_by[i]
                    if len(blocked) >= n - 1:
                        out[i] = Unmatched(self.ids[i], "blocked_all", "every other member is blocked")
                    elif able - sum(1 for j in blocked if can_meet(p, self.profiles[j])) <= 0:
                        if placed - sum(1 for j in blocked if places_meet(p, self.profiles[j])) > 0:
                            listed = ", ".join(sorted(p.languages))
                            out[i] = Unmatched(self.ids[i], "no_shared_language",
                                               f"nobody else who can meet them speaks {listed}")
                        else:
                            out[i] = Unmatched(self.ids[i], "no_compatible_partner", _why_nobody(p))
        return out


def _why_nobody(p: Profile) -> str:
    if p.member.format == "online":
        return "meets only online and nobody else can meet online"
    return f"meets only in person and nobody else can meet{_where(p)}"


def _where(p: Profile) -> str:
    return f" in {p.member.city}" if p.city is not None else ""
