"""Hard rules and history of one instance, indexed by member position (members sorted by id)."""

from __future__ import annotations

from collections.abc import Iterable

from matching.history import History, Ints
from matching.model import Instance, Unmatched
from matching.score import DEFAULT_WEIGHTS, Profile, Weights, forbidden_by_place, pair_score, profile

# Weight offsets that make the optimiser lexicographic: first as few repeats as possible, then the repeats
# that met longest ago, then the compatibility score (which stays well below RECENCY).
REPEAT = 1000.0
RECENCY = 500.0
_UNKNOWN = float("nan")


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
        rounds = self._history.rounds
        latest = max(instance.round, rounds[-1] + 1 if rounds else 0)
        self.round = instance.round if instance.round > 0 else latest
        self._prepare_fast(weights)

    def history_rounds(self) -> list[int]:
        return self._history.rounds

    def round_keys(self, r: int) -> Ints:
        """Pair keys of everyone who met in round r (members of this instance only)."""
        return self._history.round_keys(r)

    def key(self, i: int, j: int) -> int:
        return i * self.n + j if i < j else j * self.n + i

    def allowed(self, i: int, j: int) -> bool:
        return (
            i != j
            and self.key(i, j) not in self.blocked
            and self.base(self.cls[i], self.cls[j]) is not None
        )

    def met(self, i: int, j: int) -> bool:
        return self.key(i, j) in self.last_met

    def repeat_cost(self, i: int, j: int) -> float:
        """0 for a fresh pair; otherwise REPEAT plus a recency term that shrinks as the meeting ages."""
        last = self.last_met.get(self.key(i, j))
        if last is None:
            return 0.0
        return REPEAT + RECENCY / max(1, self.round - last)

    def _prepare_fast(self, w: Weights) -> None:
        """Need phrases as ids and a place/time/language class per member; the bitmasks for scoring pairs one
        at a time in Python (`_masks`) are built on first use only, as the vectorised path does not need them."""
        classes: dict[tuple[object, ...], int] = {}
        self.offer: list[frozenset[str]] = [p.offer_stems for p in self.profiles]
        self.need_ids: list[tuple[int, ...]] = []  # need phrases as ids into `phrase_stems`
        phrase_ids: dict[frozenset[str], int] = {}
        self.phrase_stems: list[frozenset[str]] = []
        self.phrases_with: dict[str, list[int]] = {}  # stem -> need phrases using it
        self.cls: list[int] = []
        reps: list[Profile] = []
        for p in self.profiles:
            ids: list[int] = []
            for need in p.needs:
                pid = phrase_ids.get(need.stems)
                if pid is None:
                    pid = phrase_ids[need.stems] = len(self.phrase_stems)
                    self.phrase_stems.append(need.stems)
                    for stem_ in need.stems:
                        self.phrases_with.setdefault(stem_, []).append(pid)
                ids.append(pid)
            self.need_ids.append(tuple(ids))
            key = (p.member.format, p.city, p.member.utc_offset, p.languages)
            c = classes.get(key)
            if c is None:
                c = classes[key] = len(classes)
                reps.append(Profile(p.member, frozenset(), (), (), frozenset(), frozenset(), p.city, p.languages))
            self.cls.append(c)
        self.classes = len(classes)
        self._class_reps = reps
        self._base: dict[int, float | None] = {}
        self._rows: dict[int, list[float | None]] = {}
        self._credit: list[dict[int, float] | None] = [None] * self.n
        self._max_interests = w.max_interests
        self._help = w.help
        self._max_help = w.max_help
        self._masked = False

    def _masks(self) -> None:
        """Interest, offer and need bitmasks per member, and everything scoring reads about a partner packed
        in one tuple, the three masks in one int (interests in the lowest bits, then offer stems, then need
        stems): fewer objects to fetch from memory per pair."""
        if self._masked:
            return
        self._masked = True
        tags: dict[str, int] = {}
        stem_bits: dict[str, int] = {}
        self.imask: list[int] = []
        self.omask: list[int] = []  # offer stems as a bitmask (bits from `stem_bits`)
        self.nmask: list[int] = []  # need stems as a bitmask
        for p in self.profiles:
            mask = 0
            for stem_ in p.offer_stems:
                mask |= 1 << stem_bits.setdefault(stem_, len(stem_bits))
            self.omask.append(mask)
            mask = 0
            for stem_ in p.need_stems:
                mask |= 1 << stem_bits.setdefault(stem_, len(stem_bits))
            self.nmask.append(mask)
            mask = 0
            for t in p.interests:
                mask |= 1 << tags.setdefault(t, len(tags))
            self.imask.append(mask)
        self.need_all = [p.need_stems for p in self.profiles]
        self.needs = [tuple((need.stems, len(need.stems)) for need in p.needs) for p in self.profiles]
        w = self.weights
        self._interest_value = [w.interest * min(k, w.max_interests) for k in range(len(tags) + 1)]
        self._offer_shift = offer_shift = len(tags)
        self._need_shift = need_shift = len(tags) + len(stem_bits)
        self.packed: list[tuple[int, int, tuple[int, ...]]] = [
            (im | om << offer_shift | nm << need_shift, c, ids)
            for im, om, nm, c, ids in zip(self.imask, self.omask, self.nmask, self.cls, self.need_ids, strict=True)
        ]

    def base(self, ci: int, cj: int) -> float | None:
        """Format, city, time zone and language part of a score between two classes; None if forbidden."""
        key = ci * self.classes + cj
        try:
            return self._base[key]
        except KeyError:
            a, b = self._class_reps[ci], self._class_reps[cj]  # stripped of interests, offers and needs
            value = None if forbidden_by_place(a, b) else pair_score(a, b, self.weights)
            self._base[key] = self._base[cj * self.classes + ci] = value  # symmetric
            return value

    def credit(self, giver: int) -> dict[int, float]:
        """What the giver's offer is worth to each need phrase it touches (help, or its scaled part)."""
        found = self._credit[giver]
        if found is None:
            offer = self.offer[giver]
            found = {}
            help_ = self._help
            for stem_ in offer:
                for pid in self.phrases_with.get(stem_, ()):
                    if pid not in found:
                        stems = self.phrase_stems[pid]
                        common, size = len(stems & offer), len(stems)
                        found[pid] = help_ if common == size else help_ * 0.5 * common / size
            self._credit[giver] = found
        return found

    def help_value(self, giver: int, receiver: int) -> float:
        self._masks()
        offer = self.offer[giver]
        if offer.isdisjoint(self.need_all[receiver]):
            return 0.0
        total = 0.0
        help_ = self._help
        for stems, size in self.needs[receiver]:
            common = len(stems & offer)
            if common:
                total += help_ if common == size else help_ * 0.5 * common / size
        return min(total, self._max_help)

    def weights_from(self, i: int, others: Iterable[int]) -> list[tuple[float, int]]:
        """(weight, j) for every allowed partner j of i among `others` (j != i): the hot loop of candidate
        generation, with everything it needs in local variables and stems as int bitmasks."""
        self._masks()
        n = self.n
        ci = self.cls[i]
        row = self._rows.get(ci)
        if row is None:
            row = self._rows[ci] = [_UNKNOWN] * self.classes  # filled on first use
        blocked = self.blocked_by[i]
        if blocked:
            others = [j for j in others if j not in blocked]
        packed = self.packed
        interest_value = self._interest_value
        last_met = self.last_met
        mi = self.imask[i]
        oi = self.omask[i] << self._need_shift  # meets the partner's need stems
        ni = self.nmask[i] << self._offer_shift  # meets the partner's offer stems
        need_ids_i = self.need_ids[i]
        credit = self.credit
        credit_i = credit(i).get
        credits = self._credit
        max_help = self._max_help
        rnd = self.round
        lo = i * n  # keys i * n + j for j > i
        out: list[tuple[float, int]] = []
        append = out.append
        for j in others:
            f, cj, need_ids_j = packed[j]
            base = row[cj]
            if base is None or j == i:
                continue
            if base != base:  # NaN: not computed yet
                base = row[cj] = self.base(ci, cj)
                if base is None:
                    continue
            value = interest_value[(mi & f).bit_count()]
            if oi & f:
                total = 0.0
                for pid in need_ids_j:
                    total += credit_i(pid, 0.0)
                value += total if total < max_help else max_help
            if ni & f:
                credit_j = credits[j]
                if credit_j is None:
                    credit_j = credit(j)
                total = 0.0
                for pid in need_ids_i:
                    total += credit_j.get(pid, 0.0)
                value += total if total < max_help else max_help
            value += base
            last = last_met.get(lo + j if i < j else j * n + i)
            if last is not None:
                gap = rnd - last
                value -= REPEAT + RECENCY / (gap if gap > 1 else 1)
            append((value, j))
        return out

    def weight_or_none(self, i: int, j: int) -> float | None:
        """`weight` of an allowed pair, None for a forbidden one (or i == j): `weights_from` for one pair."""
        found = self.weights_from(i, (j,))
        return found[0][0] if found else None

    def score(self, i: int, j: int) -> float:
        self._masks()
        base = self.base(self.cls[i], self.cls[j])
        if base is None:  # forbidden pairs still get a score for reporting
            return pair_score(self.profiles[i], self.profiles[j], self.weights)
        shared = (self.imask[i] & self.imask[j]).bit_count()
        interest = self.weights.interest * (shared if shared < self._max_interests else self._max_interests)
        return interest + self.help_value(i, j) + self.help_value(j, i) + base

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
