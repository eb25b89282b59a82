"""Pair weights computed many at a time with numpy: the numbers of `Rules.weight` (score minus repeat cost,
defined in `matching/score.py`) for a whole matrix of pairs or a list of pairs, with NaN exactly where
`Rules.allowed` is false.

Same numbers up to floating point: every term (a need's credit, the topic, interest, format, city, time-zone
and language parts, the repeat cost) is computed with the same IEEE operations as the definition, but the terms
are added in another order, so a weight may differ from `Rules.weight` by the rounding of those additions:
at most 2·γ(m)·T, where m counts the rounded operations (two per need phrase of either member — its credit,
times how often it is stated — plus thirteen), T bounds the sum of the terms' absolute values and
γ(m) = m·u / (1 − m·u) with u = 2⁻⁵³ (`rounding_bound` in tests/matching/test_score.py).

The score splits into parts that vectorise: help topics (offered by one, needed by the other), shared
interests and shared languages are bit counts over packed bitmasks; free-text give ↔ need is a sparse product
of "what my offer is worth to each need phrase" with "which need phrases you have"; format, city, time zone and
the language rule depend only on a member's class (format, city, offset, languages), looked up in a class ×
class table; repeats come from a sorted array of past pair keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from matching.rules import Rules
from matching.score import DAY, DAYTIME, RECENCY, REPEAT, Profile, Weights, need_credits

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bits = npt.NDArray[np.uint64]  # one row of 64-bit words per member
BLOCK = 500_000  # matrix entries built at a time
DENSE_CREDIT_UP_TO = 16_000_000  # members × need phrases; up to this the credit is a plain table (128 MB)
CLASS_TABLE_UP_TO = 3_000  # classes; above this the class part is computed per pair instead of looked up
_ONLINE, _OFFLINE, _ANY = 0, 1, 2
_FORMAT_CODES = {"online": _ONLINE, "offline": _OFFLINE, "any": _ANY}


class PairWeights:
    """Everything about members and history as arrays, prepared once per round."""

    def __init__(self, rules: Rules) -> None:
        self.n = n = rules.n
        self._weights = w = rules.weights
        profiles = rules.profiles
        tag_ids: dict[str, int] = {}
        self.tags = [[tag_ids.setdefault(t, len(tag_ids)) for t in sorted(p.interests)] for p in profiles]
        counts = np.minimum(np.arange(len(tag_ids) + 1), w.max_interests)
        self._interest_value = w.interest * counts.astype(np.float64)
        self.interests = bitmasks(self.tags)
        language_ids: dict[str, int] = {}
        languages = bitmasks([[language_ids.setdefault(x, len(language_ids)) for x in sorted(p.languages)]
                              for p in profiles])
        self._speaks = np.array([bool(p.languages) for p in profiles], dtype=bool)  # lists some language
        topic_ids: dict[str, int] = {}
        offer_topics = [[topic_ids.setdefault(t, len(topic_ids)) for t in sorted(p.offer_topics)] for p in profiles]
        need_topics = [[topic_ids.setdefault(t, len(topic_ids)) for t in sorted(p.need_topics)] for p in profiles]
        self._topics = bool(topic_ids)
        self.offer_topics = bitmasks(offer_topics, len(topic_ids))
        self.need_topics = bitmasks(need_topics, len(topic_ids))
        self._topic_value = w.topic * np.minimum(np.arange(len(topic_ids) + 1), w.max_topics).astype(np.float64)
        self._mutual = w.mutual
        self.help = _help_matrices(profiles, w)
        self._credit, self._needs = self.help.credit, self.help.needs
        self._phrases = self._credit.shape[1]
        credit = self._credit.tocoo()
        credit_keys = credit.row.astype(np.int64) * self._phrases + credit.col
        order = np.argsort(credit_keys)
        self._credit_keys, self._credit_values = credit_keys[order], credit.data[order]
        self._max_help = w.max_help

        cls, classes = _classes(profiles)
        self.cls = cls
        city_ids: dict[str, int] = {}
        fmt = np.array([_FORMAT_CODES[p.member.format] for p in profiles], dtype=np.int8)
        city = np.array([-1 if p.city is None else city_ids.setdefault(p.city, len(city_ids)) for p in profiles])
        offset = np.array(
            [np.nan if p.member.utc_offset is None else float(p.member.utc_offset) for p in profiles]
        )
        # The class part, per member (used directly when there are too many classes for a table).
        self._fmt, self._offset, self._languages = fmt, offset, languages
        self.city, self.in_person = city, fmt != _ONLINE
        self._class_table: Floats | None = None
        if classes <= CLASS_TABLE_UP_TO:
            first = np.full(classes, -1, dtype=np.int64)
            first[cls[::-1]] = np.arange(n - 1, -1, -1)  # one member of each class (the first)
            self._class_table = self._class_part(first[:, None], first[None, :])

        self._met_keys = rules.last_met.keys
        gap = np.maximum(1, rules.round - rules.last_met.rounds).astype(np.float64)  # as `score.repeat_cost`
        self._met_cost = REPEAT + RECENCY / gap
        # Both directions, so that a list of pairs grouped by its first member looks up in sorted order.
        both = np.concatenate([self._met_keys, self._met_keys % n * n + self._met_keys // n])
        order = np.argsort(both)
        self._met_both, self._met_both_cost = both[order], np.concatenate([self._met_cost, self._met_cost])[order]
        self._dense_credit: Floats | None = None
        if n * self._phrases <= DENSE_CREDIT_UP_TO:
            self._dense_credit = np.zeros(n * self._phrases)
            self._dense_credit[self._credit_keys] = self._credit_values
        self._padded_needs = _padded(self._needs)
        self._blocked = np.sort(np.fromiter(rules.blocked, dtype=np.int64, count=len(rules.blocked)))

    def _class_part(self, a: npt.NDArray[Any], b: npt.NDArray[Any]) -> Floats:
        """Format, city, time zone and language part for members a × b (broadcast); NaN where format, place or
        language forbid the pair (`score.can_meet`)."""
        w = self._weights
        fa, fb = self._fmt[a], self._fmt[b]
        ca, cb = self.city[a], self.city[b]
        clash = ((fa == _ONLINE) & (fb == _OFFLINE)) | ((fa == _OFFLINE) & (fb == _ONLINE))
        far = (fa == _OFFLINE) & (fb == _OFFLINE) & (ca >= 0) & (cb >= 0) & (ca != cb)
        in_person = (fa != _ONLINE) & (fb != _ONLINE)
        same_city = in_person & (ca >= 0) & (ca == cb)
        value = w.format_ok + np.where(same_city, w.same_city, 0.0)
        distance = np.abs(self._offset[a] - self._offset[b]) % DAY
        distance = np.minimum(distance, DAY - distance)
        zone = w.timezone * np.maximum(0.0, 1.0 - distance / DAYTIME)
        value = value + np.where(same_city, 0.0, np.nan_to_num(zone, nan=0.0))  # online meetings only
        shared = overlap(self._languages, a, b) > 0
        value = value + np.where(shared, w.language, 0.0)
        mute = self._speaks[a] & self._speaks[b] & ~shared  # both list languages, none in common
        return np.where(clash | far | mute, np.nan, value)

    def _class_values(self, a: Ints, b: Ints) -> Floats:
        if self._class_table is not None:
            return self._class_table[self.cls[a], self.cls[b]]
        return self._class_part(a, b)

    def matrix(self, rows: Ints, cols: Ints, repeats: bool = True) -> Floats:
        """Weights of rows × cols, NaN for forbidden pairs and for a member with itself (scores alone, without
        the repeat costs, with repeats=False). Built in blocks of rows: large temporaries are fresh memory each
        time, and first touching fresh memory is what costs."""
        n = self.n
        out = np.empty((len(rows), len(cols)))
        step = max(1, BLOCK // max(1, len(cols)))
        for start in range(0, len(rows), step):
            self._fill(rows[start : start + step], cols, out[start : start + step])
        row_of = np.full(n, -1, dtype=np.int64)
        row_of[rows] = np.arange(len(rows))
        col_of = np.full(n, -1, dtype=np.int64)
        col_of[cols] = np.arange(len(cols))
        a, b = self._met_keys // n, self._met_keys % n
        for x, y in ((a, b), (b, a)) if repeats else ():
            inside = (row_of[x] >= 0) & (col_of[y] >= 0)
            out[row_of[x[inside]], col_of[y[inside]]] -= self._met_cost[inside]
        forbidden = [(self._blocked // n, self._blocked % n), (self._blocked % n, self._blocked // n)]
        forbidden.append((rows, rows))
        for x, y in forbidden:
            inside = (row_of[x] >= 0) & (col_of[y] >= 0)
            out[row_of[x[inside]], col_of[y[inside]]] = np.nan
        return out

    def _fill(self, rows: Ints, cols: Ints, out: Floats) -> None:
        a, b = rows[:, None], cols[None, :]
        out[:] = self._class_values(a, b)
        out += self._interest_value[overlap(self.interests, a, b)]
        if self._topics:
            out += self._topic_part(a, b)
        for gives in (self._credit[rows] @ self._needs[cols].T, self._needs[rows] @ self._credit[cols].T):
            gives.data = np.minimum(gives.data, self._max_help)
            out += gives.toarray()

    def _help(self, givers: Ints, receivers: Ints) -> Floats:
        """Σ over the receiver's need phrases of the giver's credit for it, per pair: a few gathers from the
        credit table when it is dense, a sparse join otherwise."""
        if not self._phrases:
            return np.zeros(len(givers))
        if self._dense_credit is not None and self._padded_needs is not None:
            total = np.zeros(len(givers))
            base = givers * self._phrases
            for column in self._padded_needs.T:
                phrase = column[receivers]
                total += np.where(phrase >= 0, self._dense_credit[base + np.maximum(phrase, 0)], 0.0)
            return total
        starts = self._needs.indptr[receivers]
        counts = self._needs.indptr[receivers + 1] - starts
        pair = np.repeat(np.arange(len(givers)), counts)
        entries = ranges(starts, counts)
        keys = givers[pair] * self._phrases + self._needs.indices[entries]
        if self._dense_credit is not None:
            credit = self._dense_credit[keys]
        else:
            credit = _lookup(self._credit_keys, self._credit_values, keys)
        values = credit * self._needs.data[entries]
        return np.bincount(pair, weights=values, minlength=len(givers)).astype(np.float64)

    def scores(self, i: Ints, j: Ints) -> Floats:
        """Compatibility scores of the pairs (i[k], j[k]) (`Rules.score`), NaN where format or place forbid."""
        out = self._class_values(i, j) + self._interest_value[overlap(self.interests, i, j)]
        out += np.minimum(self._help(i, j), self._max_help) + np.minimum(self._help(j, i), self._max_help)
        if self._topics:
            out += self._topic_part(i, j)
        return out

    def _topic_part(self, a: npt.NDArray[Any], b: npt.NDArray[Any]) -> Floats:
        """Help topics a offers and b needs and back (`score.topic_score`), a and b broadcast."""
        ab = overlap(self.offer_topics, a, b, self.need_topics)
        ba = overlap(self.offer_topics, b, a, self.need_topics)
        part: Floats = self._topic_value[ab] + self._topic_value[ba]
        return part + np.where((ab > 0) & (ba > 0), self._mutual, 0.0)

    def pairs(self, i: Ints, j: Ints) -> Floats:
        """Weights of the pairs (i[k], j[k]), NaN for forbidden ones."""
        out = self.scores(i, j)
        out -= _lookup(self._met_both, self._met_both_cost, i * self.n + j)
        if len(self._blocked):
            out[np.isin(np.minimum(i, j) * self.n + np.maximum(i, j), self._blocked)] = np.nan
        out[i == j] = np.nan
        return out


def best_in_rows(matrix: Floats, keep: int) -> Ints:
    """Column indices of `keep` largest entries of each row (ties broken arbitrarily but deterministically), as
    np.argpartition would give, about three times faster on wide rows: the maxima of 2·keep chunks of each row
    bound its keep-th largest entry from below (keep chunks each hold an entry at least that large), so only
    the few entries at or above that bound are partitioned. Rows with many entries at the bound (ties, or
    -inf rows) fall back to a plain partition of their own."""
    rows, cols = matrix.shape
    if keep <= 0:
        return np.zeros((rows, 0), dtype=np.int64)
    width = cols // (2 * keep)
    if width < 4:
        return np.argpartition(matrix, cols - keep, axis=1)[:, cols - keep :]
    maxima = matrix[:, : width * 2 * keep].reshape(rows, 2 * keep, width).max(axis=2)
    low = np.partition(maxima, keep, axis=1)[:, keep]  # the keep-th largest of 2·keep maxima
    r, c = np.nonzero(matrix >= low[:, None])
    per_row = np.bincount(r, minlength=rows)
    slot = np.arange(len(r)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    wide = min(4 * keep, int(per_row.max()))
    inside = slot < wide
    r, c, slot = r[inside], c[inside], slot[inside]
    values = np.full((rows, wide), -np.inf)
    where = np.zeros((rows, wide), dtype=np.int64)
    values[r, slot] = matrix[r, c]
    where[r, slot] = c
    best: Ints = np.take_along_axis(where, np.argpartition(values, wide - keep, axis=1)[:, wide - keep :], axis=1)
    over = per_row > wide
    if over.any():
        best[over] = np.argpartition(matrix[over], cols - keep, axis=1)[:, cols - keep :]
    return best


def distinct(values: Ints) -> Ints:
    """Sorted distinct values (np.unique, without its hashing, which is slow on large int arrays)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def ranges(starts: Ints, counts: Ints) -> Ints:
    """Concatenated ranges starts[k] .. starts[k] + counts[k] - 1."""
    total = int(counts.sum())
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total)


def _padded(matrix: sparse.csr_matrix, widest: int = 8) -> Ints | None:
    """Each row's column indices (repeated as often as the entry counts) padded with -1 to one width; None
    when some row is wider than `widest`."""
    counts = np.diff(matrix.indptr)
    repeats = matrix.data.astype(np.int64)
    per_row = np.bincount(np.repeat(np.arange(matrix.shape[0]), counts), weights=repeats, minlength=matrix.shape[0])
    width = int(per_row.max()) if len(per_row) else 0
    if width > widest:
        return None
    out = np.full((matrix.shape[0], max(width, 1)), -1, dtype=np.int64)
    rows = np.repeat(np.repeat(np.arange(matrix.shape[0]), counts), repeats)
    cols = np.repeat(matrix.indices.astype(np.int64), repeats)
    slot = np.arange(len(rows)) - np.searchsorted(rows, rows)
    out[rows, slot] = cols
    return out


def _lookup(sorted_keys: Ints, values: Floats, keys: Ints) -> Floats:
    """values[k] where sorted_keys[k] == key, else 0. Binary searches in random order miss the cache at every
    step (seconds for millions of keys), so unsorted keys are sorted first and the answers put back."""
    if not len(sorted_keys):
        return np.zeros(len(keys))
    if len(keys) > 1 and np.any(keys[1:] < keys[:-1]):
        order = np.argsort(keys)
        out = np.empty(len(keys))
        out[order] = _lookup(sorted_keys, values, keys[order])
        return out
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return np.where(sorted_keys[at] == keys, values[at], 0.0)


def overlap(
    masks: Bits, a: npt.NDArray[Any], b: npt.NDArray[Any], other: Bits | None = None
) -> npt.NDArray[np.uint16]:
    """Bits that row a of `masks` and row b of `other` (default: `masks`) have in common (a, b broadcast):
    shared tags, languages, topics one offers and the other needs, …"""
    second = masks if other is None else other
    shared: npt.NDArray[np.uint16] = np.bitwise_count(masks[a, 0] & second[b, 0]).astype(np.uint16)
    for word in range(1, masks.shape[1]):
        shared += np.bitwise_count(masks[a, word] & second[b, word])
    return shared


def bitmasks(ids: list[list[int]], bits: int = 0) -> Bits:
    """One row of 64-bit words per member with bit `id` set for each of its ids; room for at least `bits` bits
    (masks meant to be compared need the same width)."""
    rows = np.fromiter((row for row, values in enumerate(ids) for _ in values), dtype=np.int64)
    cols = np.fromiter((value for values in ids for value in values), dtype=np.int64)
    width = (max(int(cols.max()) + 1 if len(cols) else 0, bits, 1) + 63) // 64
    out = np.zeros((len(ids), width), dtype=np.uint64)
    np.bitwise_or.at(out, (rows, cols // 64), np.left_shift(np.uint64(1), (cols % 64).astype(np.uint64)))
    return out


@dataclass(frozen=True)
class HelpMatrices:
    """Members × need phrases and stems, all sparse (only stems that occur in some need phrase count)."""

    credit: sparse.csr_matrix  # [g, p]: what g's offer is worth to need phrase p
    needs: sparse.csr_matrix  # [r, p]: how often r states need phrase p
    answers: sparse.csr_matrix  # [g, p]: 1 where g's offer holds every stem of p
    offer_stems: sparse.csr_matrix  # [g, s]
    need_stems: sparse.csr_matrix  # [r, s]


def _classes(profiles: list[Profile]) -> tuple[Ints, int]:
    """A class per member: members of one class (format, city, offset, languages) weigh alike towards anyone
    apart from interests and give ↔ need."""
    classes: dict[tuple[object, ...], int] = {}
    cls = [classes.setdefault((p.member.format, p.city, p.member.utc_offset, p.languages), len(classes))
           for p in profiles]
    return np.array(cls, dtype=np.int64), len(classes)


def _help_matrices(profiles: list[Profile], w: Weights) -> HelpMatrices:
    n = len(profiles)
    phrase_ids: dict[frozenset[str], int] = {}
    need_ids = [[phrase_ids.setdefault(need.stems, len(phrase_ids)) for need in p.needs] for p in profiles]
    phrases = len(phrase_ids)
    stem_ids: dict[str, int] = {}
    phrase_rows: list[int] = []
    phrase_cols: list[int] = []
    for pid, phrase in enumerate(phrase_ids):
        for s in sorted(phrase):  # ids independent of string hashing: the same pools in every process
            phrase_rows.append(pid)
            phrase_cols.append(stem_ids.setdefault(s, len(stem_ids)))
    offer_rows: list[int] = []
    offer_cols: list[int] = []
    for g, p in enumerate(profiles):
        for s in p.offer_stems:
            found = stem_ids.get(s)
            if found is not None:  # a stem in no need phrase is worth nothing
                offer_rows.append(g)
                offer_cols.append(found)
    stems = len(stem_ids)
    phrase_stems = sparse.csr_matrix(
        (np.ones(len(phrase_rows)), (phrase_rows, phrase_cols)), shape=(phrases, stems)
    )
    offers = sparse.csr_matrix((np.ones(len(offer_rows)), (offer_rows, offer_cols)), shape=(n, stems))
    common = (offers @ phrase_stems.T).tocoo()  # stems of phrase p in g's offer
    size = np.asarray(phrase_stems.sum(axis=1)).ravel()[common.col]
    credit = sparse.csr_matrix((need_credits(common.data, size, w), (common.row, common.col)), shape=(n, phrases))
    need_rows = [r for r, ids in enumerate(need_ids) for _ in ids]
    need_cols = [pid for ids in need_ids for pid in ids]
    needs = sparse.csr_matrix((np.ones(len(need_rows)), (need_rows, need_cols)), shape=(n, phrases))
    full = common.data == size
    answers = sparse.csr_matrix((np.ones(int(full.sum())), (common.row[full], common.col[full])), shape=(n, phrases))
    need_stems = (needs @ phrase_stems).tocsr()
    return HelpMatrices(credit, needs, answers, offers, need_stems)
