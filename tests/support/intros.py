"""Recognising introductions in what a chat received, from the catalogue (pairs, trios and groups alike).

A pair's intro is one message (the whole `intro` template); a trio's or group's starts with its header and may
go on in further messages that start with `intro.continued`.
"""

from __future__ import annotations

from tests.support.catalogue import Catalogue, en

GROUP_SIZES = range(4, 17)  # the group header's number picks a plural form: one pattern per size


def is_intro(text: str, catalogue: Catalogue = en) -> bool:
    """`text` (as shown) is the first message of an introduction; a group's later messages are not."""
    if catalogue.like("intro").fullmatch(text) or catalogue.like("intro.header_trio").match(text):
        return True
    return any(catalogue.like("intro.header_group", count=size).match(text) for size in GROUP_SIZES)


def is_intro_part(text: str, catalogue: Catalogue = en) -> bool:
    """`text` is any message of an introduction: its first or a continuation."""
    return is_intro(text, catalogue) or bool(catalogue.like("intro.continued").match(text))
