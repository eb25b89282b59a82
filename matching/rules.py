"""Hard rules and history of one instance, indexed by member position (members sorted by id)."""

from __future__ import annotations

from itertools import combinations

from matching.model import Instance, Unmatched
from matching.score import DEFAULT_WEIGHTS, Profile, Weights, forbidden_by_place, pair_score, profile

# Weight offsets that make the optimiser lexicographic: first as few repeats as possible, then the repeats
# that met longest ago, then the compatibility score (which stays well below RECENCY).
REPEAT = 1000.0
RECENCY = 500.0


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
        self.last_met: dict[int, int] = {}
        latest = instance.round
        for meeting in instance.history:
            inside = sorted({index[m] for m in meeting.members if m in index})
            latest = max(latest, meeting.round + 1)
            for i, j in combinations(inside, 2):
                k = i * n + j
                if self.last_met.get(k, meeting.round - 1) < meeting.round:
                    self.last_met[k] = meeting.round
        self.round = instance.round if instance.round > 0 else latest

    def key(self, i: int, j: int) -> int:
        return i * self.n + j if i < j else j * self.n + i

    def allowed(self, i: int, j: int) -> bool:
        return (
            i != j
            and self.key(i, j) not in self.blocked
            and not forbidden_by_place(self.profiles[i], self.profiles[j])
        )

    def met(self, i: int, j: int) -> bool:
        return self.key(i, j) in self.last_met

    def repeat_cost(self, i: int, j: int) -> float:
        """0 for a fresh pair; otherwise REPEAT plus a recency term that shrinks as the meeting ages."""
        last = self.last_met.get(self.key(i, j))
        if last is None:
            return 0.0
        return REPEAT + RECENCY / max(1, self.round - last)

    def score(self, i: int, j: int) -> float:
        return pair_score(self.profiles[i], self.profiles[j], self.weights)

    def weight(self, i: int, j: int) -> float:
        return self.score(i, j) - self.repeat_cost(i, j)

    def isolated(self) -> dict[int, Unmatched]:
        """Members whom the hard rules leave without a single possible partner, with the reason."""
        n = self.n
        out: dict[int, Unmatched] = {}
        if n == 1:
            return {0: Unmatched(self.ids[0], "alone", "nobody else is taking part this round")}
        offline_in: dict[str, int] = {}
        for p in self.profiles:
            if p.offline_only and p.city is not None:
                offline_in[p.city] = offline_in.get(p.city, 0) + 1
        offline_total = sum(offline_in.values())
        for i, p in enumerate(self.profiles):
            blocked = self.blocked_by[i]
            if len(blocked) >= n - 1:
                out[i] = Unmatched(self.ids[i], "blocked_all", "every other member is blocked")
                continue
            if not (p.offline_only and p.city is not None):
                continue
            far = offline_total - offline_in[p.city]
            far_blocked = sum(1 for j in blocked if forbidden_by_place(p, self.profiles[j]))
            if n - 1 - len(blocked) - far + far_blocked <= 0:
                out[i] = Unmatched(
                    self.ids[i],
                    "no_compatible_partner",
                    f"meets only in person and nobody else can meet in {p.member.city}",
                )
        return out
