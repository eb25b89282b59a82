"""What an admin is told after a round (/matchnow's reply, a scheduled round's message), rendered from the
catalogue's keys the way tests/support/catalogue.py renders any text: tests say what the round made ("2 pairs
and 1 trio", "2 groups of 5"), the catalogue says how that reads."""

from __future__ import annotations

from collections.abc import Sequence

from bot.presentation.texts import Html
from tests.support.catalogue import Catalogue


def pairs(catalogue: Catalogue, count: int, trios: int = 0) -> Html:
    """"4 pairs", "4 pairs and 1 trio"."""
    shown = catalogue.html("round.pairs", count=count)
    return catalogue.html("round.and", first=shown, second=catalogue.html("round.trios", count=trios)) if trios \
        else shown


def groups(catalogue: Catalogue, sizes: Sequence[int]) -> Html:
    """"2 groups of 5" when the sizes are equal, else "3 groups of different sizes: 4, 3, 3"."""
    if len(set(sizes)) == 1:
        return catalogue.html("round.groups_of", count=len(sizes), size=sizes[0])
    return catalogue.html("round.groups_sized", count=len(sizes), sizes=", ".join(map(str, sizes)))


def title(catalogue: Catalogue, community: str, scheduled: bool) -> Html:
    return catalogue.html("round.scheduled" if scheduled else "round.extra", community=community)


def done(catalogue: Catalogue, community: str, matches: Html, left_out: int, introduced: int, *,
         scheduled: bool = False) -> str:
    left = catalogue.html("round.left_out", count=left_out) if left_out else catalogue.html("round.nobody_left_out")
    return catalogue.text("round.done", title=title(catalogue, community, scheduled), matches=matches,
                          left_out=left, introduced=introduced)


def empty(catalogue: Catalogue, community: str, *, scheduled: bool = False) -> str:
    return catalogue.text("round.empty", title=title(catalogue, community, scheduled))


def nobody_matched(catalogue: Catalogue, community: str, left_out: int, *, scheduled: bool = False) -> str:
    return catalogue.text("round.nobody_matched", title=title(catalogue, community, scheduled), left_out=left_out)
