"""Admin views of the organiser's toolkit rendered into catalog texts: /members pages and member cards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.db.models import Membership, MembershipStatus
from bot.presentation.render import name_of
from bot.presentation.texts import Html, Texts

MemberRow = tuple[Membership, datetime | None]  # a membership with its user, and when they were last matched


def day(moment: datetime | None, texts: Texts) -> str:
    return moment.strftime("%Y-%m-%d") if moment is not None else texts.label("members.never")


def member_status(texts: Texts, membership: Membership) -> Html:
    if membership.banned_at is not None:
        return texts("members.status_banned")
    if membership.status is MembershipStatus.PAUSED and membership.paused_until is not None:
        return texts("members.status_paused_until", date=day(membership.paused_until, texts))
    return texts(f"status.{membership.status.value}")


def handle(membership: Membership) -> str:
    username = membership.user.username
    return f"@{username}" if username else ""


def members_page(texts: Texts, community: str, rows: Sequence[MemberRow], number: int, pages: int, total: int,
                 query: str) -> Html:
    """One page of /members: a header and a numbered line per member."""
    if not total:
        return texts("members.none_found", community=community, query=query) if query else texts(
            "members.empty", community=community)
    values = dict(community=community, total=total, page=number + 1, pages=pages)
    header = texts("members.header_search", query=query, **values) if query else texts("members.header", **values)
    lines = [
        texts("members.line", name=name_of(membership.user), handle=handle(membership),
              status=member_status(texts, membership),
              profile="" if membership.user.has_confirmed_profile else texts("admin.members_no_profile"),
              joined=day(membership.joined_at, texts), last=day(last, texts))
        for membership, last in rows
    ]
    return Html("\n".join([header, "", *lines]))


def member_card(texts: Texts, community: str, row: MemberRow, done: str = "") -> Html:
    """One member as their admin sees them; `done` (a rendered line) says what just changed."""
    membership, last = row
    profile = "members.profile_done" if membership.user.has_confirmed_profile else "members.profile_missing"
    card = texts("members.card", name=name_of(membership.user), handle=handle(membership), community=community,
                 status=member_status(texts, membership), profile=texts(profile),
                 joined=day(membership.joined_at, texts), last=day(last, texts))
    return Html(f"{done}\n\n{card}") if done else card
