"""Local improvement of a matching by alternating chains with a positive gain (Lin–Kernighan style).

A chain breaks a pair (a, b), lets a take a candidate c, whose partner d then looks for a new partner, and so
on; it closes by pairing the last freed member with b. Only steps whose running gain stays positive are
explored, which prunes almost everything; depth 1 is a classic 2-opt swap. The cardinality never drops.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from operator import itemgetter

from matching.candidates import Adjacency

WeightOf = Callable[[int, int], float | None]  # None: the pair is forbidden or unknown
EPS = 1e-9
BREADTH = (1_000_000, 10, 5, 3)  # candidates tried per chain level (the first level: all with positive gain)
VISITS_PER_MEMBER = 8


def improve(
    adj: Adjacency,
    mate: list[int],
    weight_of: WeightOf,
    order: list[int],
    depth: int,
    steps: int,
    visits: int = VISITS_PER_MEMBER,
) -> None:
    """Apply improving chains until none is found; after a change only the members it touched are
    looked at again, with a work cap of a few visits per member and `steps` chain steps per visit."""
    ranked = [sorted(adj[v].items(), key=itemgetter(1), reverse=True) for v in range(len(adj))]

    def w(x: int, y: int) -> float | None:
        known = adj[x].get(y)
        return known if known is not None else weight_of(x, y)

    left = [0]  # chain steps still allowed in this visit

    limits = [BREADTH[min(level, len(BREADTH)) - 1] for level in range(depth + 2)]

    def search(anchor: int, x: int, gain: float, level: int, path: list[int]) -> list[int] | None:
        """Extend the chain from freed member x; `path` holds the (x, c) additions so far, flattened."""
        tried = 0
        limit = limits[level]
        for c, w_xc in ranked[x]:
            g = gain + w_xc
            if g <= EPS or tried >= limit:
                break
            if c == anchor or c in path:
                continue
            tried += 1
            left[0] -= 1
            if left[0] < 0:
                return None
            d = mate[c]
            if d == -1:
                return [*path, x, c]  # c was free: it takes x, the anchor becomes free
            w_cd = adj[c].get(d)
            if w_cd is None:
                w_cd = weight_of(c, d)
                assert w_cd is not None
            g -= w_cd
            closing = adj[d].get(anchor)
            if closing is None:
                closing = weight_of(d, anchor)
            if closing is not None and g + closing > EPS:
                return [*path, x, c, d, anchor]
            if level < depth:
                found = search(anchor, d, g, level + 1, [*path, x, c])
                if found is not None:
                    return found
        return None

    queue = deque(order)
    queued = set(order)
    budget = visits * len(order)
    while queue and budget > 0:
        budget -= 1
        a = queue.popleft()
        queued.discard(a)
        b = mate[a]
        if b == -1:
            continue
        w_ab = w(a, b)
        assert w_ab is not None
        left[0] = steps
        chain = search(b, a, -w_ab, 1, [])
        if chain is None:
            continue
        for v in chain:
            if mate[v] != -1 and mate[v] not in chain:
                mate[mate[v]] = -1  # the anchor left free when the chain ended at a free member
        for v in chain:
            mate[v] = -1
        for k in range(0, len(chain), 2):
            mate[chain[k]], mate[chain[k + 1]] = chain[k + 1], chain[k]
        for v in (*chain, b):
            if v not in queued:
                queued.add(v)
                queue.append(v)
