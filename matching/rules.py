"""Hard rules and history of one instance, indexed by member position (members sorted by id)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import combinations, repeat
from operator import itemgetter

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
        self._read_history(instance)
        latest = max(instance.round, self._rounds[-1] + 1 if self._rounds else 0)
        self.round = instance.round if instance.round > 0 else latest
        self._prepare_fast(weights)

    def _read_history(self, instance: Instance) -> None:
        """`last_met` (pair key i * n + j, i < j -> latest round) and the pair keys of every round, kept as one
        flat list in round order (`round_keys` slices it) for recognising a round-robin schedule."""
        n = self.n
        get = self.index.get
        meetings = instance.history
        rounds = [m.round for m in meetings]
        groups = [m.members for m in meetings]
        if rounds != sorted(rounds):  # rare: put the meetings in round order first (stable)
            order = sorted(range(len(rounds)), key=rounds.__getitem__)
            rounds = [rounds[k] for k in order]
            groups = [groups[k] for k in order]
        # The common case, pairs, by C-level maps and one comprehension; members no longer here map to `gone`,
        # which makes the key too large, and trios and groups are masked the same way and expanded below.
        gone = n * n
        sizes = list(map(len, groups))
        uneven = [k for k, size in enumerate(sizes) if size != 2] if set(sizes) - {2} else []
        ends = [g if g else (None,) for g in groups] if 0 in sizes else groups
        first = list(map(get, map(itemgetter(0), ends), repeat(gone)))
        second = list(map(get, map(itemgetter(-1), ends), repeat(gone)))
        del sizes, ends
        for k in uneven:
            first[k] = gone
        keys = [x * n + y if x < y else y * n + x if y < x else -1 for x, y in zip(first, second, strict=True)]
        del first, second
        if keys and max(keys) >= gone:
            keys = [k if k < gone else -1 for k in keys]
        extra: dict[int, list[int]] = {}
        for k in uneven:
            g, r = groups[k], rounds[k]
            inside = sorted({i for i in map(get, g) if i is not None})
            extra.setdefault(r, []).extend(i * n + j for i, j in combinations(inside, 2))
        last_met = dict(zip(keys, rounds, strict=True))  # rounds ascend: the latest meeting wins
        last_met.pop(-1, None)
        for r, more in extra.items():
            for k in more:
                if last_met.get(k, r - 1) < r:
                    last_met[k] = r
        self.last_met = last_met
        self._keys = keys
        self._rounds = sorted(set(rounds))
        self._extra = extra
        self._spans: dict[int, tuple[int, int]] = {}
        lo = 0
        for r in self._rounds:
            hi = bisect_right(rounds, r, lo)
            self._spans[r] = (lo, hi)
            lo = hi

    def history_rounds(self) -> list[int]:
        return self._rounds

    def round_keys(self, r: int) -> list[int]:
        """Pair keys of everyone who met in round r (members of this instance only)."""
        lo, hi = self._spans.get(r, (0, 0))
        keys = [k for k in self._keys[lo:hi] if k >= 0]
        keys.extend(self._extra.get(r, ()))
        return keys

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
        """Per-member features as plain lists (interest bitmasks, stem sets, a place/time/language class)
        so that scoring a pair avoids attribute access and re-deriving anything."""
        tags: dict[str, int] = {}
        classes: dict[tuple[object, ...], int] = {}
        self.imask: list[int] = []
        self.offer: list[frozenset[str]] = []
        self.need_all: list[frozenset[str]] = []
        self.needs: list[tuple[tuple[frozenset[str], int], ...]] = []
        self.need_ids: list[tuple[int, ...]] = []  # need phrases as ids into `phrase_stems`
        phrase_ids: dict[frozenset[str], int] = {}
        self.phrase_stems: list[frozenset[str]] = []
        self.phrases_with: dict[str, list[int]] = {}  # stem -> need phrases using it
        self.cls: list[int] = []
        stem_bits: dict[str, int] = {}
        self.omask: list[int] = []  # offer stems as a bitmask (bits from `stem_bits`)
        self.nmask: list[int] = []  # need stems as a bitmask
        reps: list[Profile] = []
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
            self.offer.append(p.offer_stems)
            self.need_all.append(p.need_stems)
            self.needs.append(tuple((need.stems, len(need.stems)) for need in p.needs))
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
        self._interest_value = [w.interest * min(k, w.max_interests) for k in range(len(tags) + 1)]
        # Everything scoring reads about a partner in one tuple, the three masks in one int (interests in the
        # lowest bits, then offer stems, then need stems): fewer objects to fetch from memory per pair.
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
