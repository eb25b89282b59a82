"""Maximum-cardinality matching by Edmonds' augmenting paths (with blossoms) on adjacency lists.

`mate[v]` is v's partner or -1. Search state lives in dicts so that a search that finds a short path costs
only what it touches, which keeps augmentation cheap on graphs with 100k vertices.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence


def augment_all(
    adj: Sequence[Sequence[int]], mate: list[int], roots: Sequence[int], limit: int | None = None
) -> None:
    """Augment from every free root until none of them has an augmenting path left.

    A free vertex without an augmenting path keeps having none after other augmentations, so each root
    is searched at most once. With `limit`, a search gives up once its tree holds that many vertices (a
    failing search would otherwise walk the whole component, and blossom contraction is linear in the
    tree size): the caller then falls back to pairs outside `adj`.
    """
    for root in roots:
        if mate[root] == -1:
            _short_augment(root, adj, mate)
    for root in roots:
        if mate[root] == -1:
            _augment_from(root, adj, mate, limit)


def _short_augment(u: int, adj: Sequence[Sequence[int]], mate: list[int]) -> bool:
    """The cheap common case first: u - v = w - x with x free becomes u = v - w = x."""
    for v in adj[u]:
        if mate[v] == -1:
            mate[u], mate[v] = v, u
            return True
    for v in adj[u]:
        w = mate[v]
        for x in adj[w]:
            if mate[x] == -1 and x != u:
                mate[u], mate[v], mate[w], mate[x] = v, u, x, w
                return True
    return False


def _augment_from(root: int, adj: Sequence[Sequence[int]], mate: list[int], limit: int | None = None) -> bool:
    parent: dict[int, int] = {}
    base: dict[int, int] = {}
    even: set[int] = {root}
    tree: list[int] = [root]
    queue: deque[int] = deque([root])

    def base_of(v: int) -> int:
        return base.get(v, v)

    def lca(a: int, b: int) -> int:
        seen: set[int] = set()
        while True:
            a = base_of(a)
            seen.add(a)
            if mate[a] == -1:
                break
            a = parent[mate[a]]
        while True:
            b = base_of(b)
            if b in seen:
                return b
            b = parent[mate[b]]

    def mark(v: int, stop: int, child: int, blossom: set[int]) -> None:
        while base_of(v) != stop:
            blossom.add(base_of(v))
            blossom.add(base_of(mate[v]))
            parent[v] = child
            child = mate[v]
            v = parent[mate[v]]

    while queue:
        v = queue.popleft()
        for to in adj[v]:
            if base_of(v) == base_of(to) or mate[v] == to:
                continue
            if to == root or (mate[to] != -1 and mate[to] in parent):
                top = lca(v, to)
                blossom: set[int] = set()
                mark(v, top, to, blossom)
                mark(to, top, v, blossom)
                for u in tree:
                    if base_of(u) in blossom:
                        base[u] = top
                        if u not in even:
                            even.add(u)
                            queue.append(u)
            elif to not in parent:
                if limit is not None and len(tree) >= limit:
                    return False
                parent[to] = v
                tree.append(to)
                if mate[to] == -1:
                    _flip(to, parent, mate)
                    return True
                nxt = mate[to]
                even.add(nxt)
                tree.append(nxt)
                queue.append(nxt)
    return False


def _flip(v: int, parent: dict[int, int], mate: list[int]) -> None:
    while v != -1:
        pv = parent[v]
        nxt = mate[pv]
        mate[v] = pv
        mate[pv] = v
        v = nxt
