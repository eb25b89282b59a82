"""Past meetings read into arrays: pair keys (i * n + j, i < j, over member positions) per round and the
latest round each pair met. Reading 2.6M meetings (100,000 members, 52 rounds) as Python dicts costs
seconds; as numpy arrays it costs a fraction of that."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import combinations
from operator import attrgetter, itemgetter
from typing import overload

import numpy as np
import numpy.typing as npt

from matching.model import Meeting

Ints = npt.NDArray[np.int64]


class LastMet:
    """Read-only mapping pair key -> latest round the pair met, over sorted arrays."""

    def __init__(self, keys: Ints, rounds: Ints) -> None:
        self.keys, self.rounds = keys, rounds
        self._keys: list[int] = keys.tolist()
        self._rounds: list[int] = rounds.tolist()

    @overload
    def get(self, key: int) -> int | None: ...

    @overload
    def get(self, key: int, default: int) -> int: ...

    def get(self, key: int, default: int | None = None) -> int | None:
        at = bisect_left(self._keys, key)
        if at < len(self._keys) and self._keys[at] == key:
            return self._rounds[at]
        return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self.get(key) is not None

    def __len__(self) -> int:
        return len(self._keys)

    def items(self) -> Iterator[tuple[int, int]]:
        return zip(self._keys, self._rounds, strict=True)


class History:
    """Pairs per round (`round_keys`) and `last_met`, for the members at `positions` of sorted `ids`."""

    def __init__(self, meetings: Sequence[Meeting], ids: Sequence[int]) -> None:
        n = len(ids)
        rounds = np.fromiter(map(attrgetter("round"), meetings), dtype=np.int64, count=len(meetings))
        if len(rounds) and np.any(rounds[1:] < rounds[:-1]):  # rare: put the meetings in round order first
            order = np.argsort(rounds, kind="stable")
            meetings = [meetings[k] for k in order.tolist()]
            rounds = rounds[order]
        groups = list(map(attrgetter("members"), meetings))
        sizes = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
        known = np.asarray(ids, dtype=np.int64)
        keys = np.full(len(meetings), -1, dtype=np.int64)
        pairs = np.flatnonzero(sizes == 2)
        pair_groups = groups if len(pairs) == len(groups) else [groups[k] for k in pairs.tolist()]
        a, b = (
            _positions(known, np.fromiter(map(itemgetter(end), pair_groups), dtype=np.int64, count=len(pairs)))
            for end in (0, 1)
        )
        valid = (a >= 0) & (b >= 0) & (a != b)
        keys[pairs[valid]] = np.minimum(a, b)[valid] * n + np.maximum(a, b)[valid]
        del pair_groups
        extra_keys: list[int] = []
        extra_rounds: list[int] = []
        self._extra: dict[int, list[int]] = {}
        for k in np.flatnonzero(sizes > 2).tolist():  # trios and groups: every pair inside has met
            position = _positions(known, np.array(groups[k], dtype=np.int64)).tolist()
            inside = sorted({p for p in position if p >= 0})
            more = [i * n + j for i, j in combinations(inside, 2)]
            r = int(rounds[k])
            self._extra.setdefault(r, []).extend(more)
            extra_keys.extend(more)
            extra_rounds.extend([r] * len(more))
        self._keys = keys
        self._round_list = rounds
        self.rounds: list[int] = sorted(set(rounds.tolist()))
        all_keys = np.concatenate([keys, np.array(extra_keys, dtype=np.int64)])
        all_rounds = np.concatenate([rounds, np.array(extra_rounds, dtype=np.int64)])
        keep = all_keys >= 0
        all_keys, all_rounds = all_keys[keep], all_rounds[keep]
        # One plain sort of key * R + (rank of the round): per key its meetings in round order, the last one is
        # the latest (a stable argsort of the keys would do the same, several times slower).
        distinct_rounds = np.array(self.rounds, dtype=np.int64)
        span = len(distinct_rounds)
        combined = np.sort(all_keys * span + np.searchsorted(distinct_rounds, all_rounds))
        all_keys = combined // span
        last = np.ones(len(all_keys), dtype=bool)
        last[:-1] = all_keys[1:] != all_keys[:-1]
        self.last_met = LastMet(all_keys[last], distinct_rounds[combined[last] % span])

    def round_keys(self, r: int) -> Ints:
        """Pair keys of everyone who met in round r (members of this instance only)."""
        lo, hi = np.searchsorted(self._round_list, [r, r + 1])
        keys = self._keys[lo:hi]
        keys = keys[keys >= 0]
        extra = self._extra.get(r)
        return np.concatenate([keys, np.array(extra, dtype=np.int64)]) if extra else keys


def _positions(known: Ints, ids: Ints) -> Ints:
    """Position of each id in the sorted `known` ids, -1 for an id not there. A lookup table when the ids
    are dense enough (database ids usually are), else a binary search."""
    if not len(known):
        return np.full(len(ids), -1, dtype=np.int64)
    low, high = int(known[0]), int(known[-1])
    if high - low <= 8 * len(known) + 1024:
        table = np.full(high - low + 1, -1, dtype=np.int64)
        table[known - low] = np.arange(len(known))
        inside = (ids >= low) & (ids <= high)
        out = np.full(len(ids), -1, dtype=np.int64)
        out[inside] = table[ids[inside] - low]
        return out
    at = np.minimum(np.searchsorted(known, ids), len(known) - 1)
    return np.where(known[at] == ids, at, -1)
