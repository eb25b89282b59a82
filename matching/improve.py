"""Local improvement of a matching: 2-opt swaps of partners that raise the total weight."""

from __future__ import annotations

from collections.abc import Callable

from matching.candidates import Adjacency

WeightOf = Callable[[int, int], float | None]  # None: the pair is forbidden


def two_opt(adj: Adjacency, mate: list[int], weight_of: WeightOf, order: list[int], passes: int) -> None:
    """For matched (a, b) and a candidate c of a with partner d, re-pair as (a, c), (b, d) when that
    gains weight. A free c takes a's place only if that gains too (the cardinality never drops)."""

    def w(x: int, y: int) -> float | None:
        known = adj[x].get(y)
        return known if known is not None else weight_of(x, y)

    for _ in range(passes):
        changed = False
        for a in order:
            b = mate[a]
            if b == -1:
                continue
            w_ab = adj[a][b] if b in adj[a] else w(a, b)
            assert w_ab is not None
            for c, w_ac in adj[a].items():
                if c == b:
                    continue
                d = mate[c]
                if d == -1:
                    if w_ac > w_ab + 1e-9:
                        mate[a], mate[c], mate[b] = c, a, -1
                        changed = True
                        break
                    continue
                w_bd = w(b, d)
                if w_bd is None:
                    continue
                w_cd = adj[c][d] if d in adj[c] else w(c, d)
                assert w_cd is not None
                if w_ac + w_bd > w_ab + w_cd + 1e-9:
                    mate[a], mate[c], mate[b], mate[d] = c, a, d, b
                    changed = True
                    break
        if not changed:
            return
