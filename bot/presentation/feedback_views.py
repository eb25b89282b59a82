"""The feedback digest of a round (for admins), the community-moments post (for the linked group), and their
buttons. Comments are shown without names (nobody agreed to be named next to a comment); every member-written
text is escaped by the catalog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.zones import Zone
from bot.presentation import moments
from bot.presentation.callbacks import FeedbackCb, MomentsCb
from bot.presentation.texts import Html, Texts, pack, telegram_length


class FeedbackView(Protocol):
    """What the digest reads (services.feedback.RoundFeedback has it)."""

    @property
    def number(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def matched(self) -> int: ...
    @property
    def answered(self) -> int: ...
    @property
    def unanswered(self) -> int: ...
    @property
    def coffees(self) -> int: ...
    @property
    def no_shows(self) -> int: ...
    @property
    def cant_make_it(self) -> int: ...
    @property
    def met_rate(self) -> float | None: ...
    @property
    def average_rating(self) -> float | None: ...
    @property
    def ratings(self) -> Mapping[int, int]: ...
    @property
    def comments(self) -> Sequence[tuple[int | None, str]]: ...


# The latest comments, at most this many and this long in all: a round of 2,000 comments would be hundreds of
# messages (every comment is in /export).
COMMENTS_SHOWN = 30
COMMENTS_LENGTH = 7_000


def _latest_comments(texts: Texts, comments: Sequence[tuple[int | None, str]]) -> list[Html]:
    shown: list[Html] = []
    length = 0
    for rating, comment in reversed(comments[-COMMENTS_SHOWN:]):
        line = texts("feedback.comment", stars="★" * rating if rating else "—", comment=comment)
        length += telegram_length(line)
        if shown and length > COMMENTS_LENGTH:
            break
        shown.append(line)
    return shown[::-1]


def digest(texts: Texts, community: str, feedback: FeedbackView, zone: Zone) -> list[Html]:
    """The digest as one or more messages within Telegram's limit; the round's day in the reader's `zone`."""
    rated = sum(feedback.ratings.values())
    met_rate = texts.percent(feedback.met_rate) if feedback.met_rate is not None else texts.label("stats.not_yet")
    pieces = [
        texts("feedback.header", community=community, number=feedback.number,
              date=moments.day(texts, feedback.created_at, zone)),
        texts("feedback.numbers", matched=feedback.matched, coffees=feedback.coffees, answered=feedback.answered,
              met_rate=met_rate, unanswered=feedback.unanswered),
        texts("feedback.ratings", average=texts.decimal(feedback.average_rating or 0), rated=rated, spread=" · ".join(
            f"{stars}★ {feedback.ratings[stars]}" for stars in sorted(feedback.ratings, reverse=True)))
        if rated else texts("feedback.no_ratings"),
        texts("feedback.no_shows", no_shows=feedback.no_shows, cant=feedback.cant_make_it),
        texts("feedback.comments", count=len(feedback.comments)) if feedback.comments
        else texts("feedback.no_comments"),
    ]
    shown = _latest_comments(texts, feedback.comments)
    if len(feedback.comments) > len(shown):
        pieces.append(texts("feedback.latest_comments", count=len(shown)))
    pieces += shown
    return pack(pieces, continued=lambda: texts("feedback.continued", community=community, number=feedback.number))


def moment(texts: Texts, community: str, coffees: int) -> Html:
    """The post in the linked group: how many coffees happened, no names."""
    return texts("moments.post", community=community, coffees=coffees)


def round_buttons(texts: Texts, community_id: int, rounds: Sequence[tuple[int, int]]) -> InlineKeyboardMarkup | None:
    """/stats: a "Feedback of round N" button for each of `rounds` (round id, number)."""
    if not rounds:
        return None
    builder = InlineKeyboardBuilder()
    for round_id, number in rounds:
        builder.button(text=texts.label("feedback.button", number=number),
                       callback_data=FeedbackCb(community_id=community_id, round_id=round_id))
    builder.adjust(1)
    return builder.as_markup()


def moments_setting(texts: Texts, community: str, on: bool, has_group: bool) -> Html:
    text = texts("moments.state_on" if on else "moments.state_off", community=community)
    return Html(text + (texts("moments.no_group") if not has_group else ""))


def moments_toggle(texts: Texts, community_id: int, on: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.label("moments.turn_off" if on else "moments.turn_on"),
                   callback_data=MomentsCb(community_id=community_id, action="off" if on else "on"))
    return builder.as_markup()
