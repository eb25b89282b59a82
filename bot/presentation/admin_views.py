"""Admin views of the organiser's toolkit rendered into catalog texts: /members pages and member cards, the
/preview dry run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.db.models import Community, Membership, MembershipStatus, User
from bot.domain.rounds import RoundShape
from bot.presentation.charts import StatsView
from bot.presentation.render import match_sizes, name_of, round_shape, tag_label
from bot.presentation.texts import Html, Texts, escape
from matching import Match as EngineMatch
from matching import PairResult, Reasons, Unmatched

MESSAGE_LIMIT = 4000  # Telegram allows 4,096 characters of shown text

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
                 query: str, erased_bans: int = 0) -> Html:
    """One page of /members: a header and a numbered line per member; how many banned people erased their data
    since (their bans stay)."""
    erased = [texts("members.erased_bans", count=erased_bans)] if erased_bans else []
    if not total:
        empty = texts("members.none_found", community=community, query=query) if query else texts(
            "members.empty", community=community)
        return Html("\n\n".join([empty, *erased]))
    values = dict(community=community, total=total, page=number + 1, pages=pages)
    header = texts("members.header_search", query=query, **values) if query else texts("members.header", **values)
    lines = [
        texts("members.line", name=name_of(membership.user), handle=handle(membership),
              status=member_status(texts, membership),
              profile="" if membership.user.has_confirmed_profile else texts("admin.members_no_profile"),
              joined=day(membership.joined_at, texts), last=day(last, texts))
        for membership, last in rows
    ]
    return Html("\n".join([header, "", *lines, *(["", *erased] if erased else [])]))


def member_card(texts: Texts, community: str, row: MemberRow, done: str = "") -> Html:
    """One member as their admin sees them; `done` (a rendered line) says what just changed."""
    membership, last = row
    profile = "members.profile_done" if membership.user.has_confirmed_profile else "members.profile_missing"
    card = texts("members.card", name=name_of(membership.user), handle=handle(membership), community=community,
                 status=member_status(texts, membership), profile=texts(profile),
                 joined=day(membership.joined_at, texts), last=day(last, texts))
    return Html(f"{done}\n\n{card}") if done else card


PREVIEW_REASONS = 6  # reasons shown per match at most (a group of 8 can have dozens)
PREVIEW_QUOTE = 80  # characters of a member's own words quoted in a reason


def _quote(text: str) -> str:
    return text if len(text) <= PREVIEW_QUOTE else text[:PREVIEW_QUOTE - 1] + "…"


def preview_reasons(texts: Texts, reasons: Reasons, names: dict[int, str]) -> list[Html]:
    """Why the engine put these people together, in the third person (for the admin, not the members)."""
    lines: list[Html] = []
    if reasons.shared_interests:
        lines.append(texts("dryrun.why.interests",
                           interests=", ".join(tag_label(texts, tag) for tag in reasons.shared_interests)))
    lines += [texts("dryrun.why.helps", giver=names.get(help_.giver, "—"), receiver=names.get(help_.receiver, "—"),
                    what=_quote(help_.what)) for help_ in reasons.helps]
    lines += [texts("dryrun.why.topics", giver=names.get(topic.giver, "—"), receiver=names.get(topic.receiver, "—"),
                    topics=", ".join(tag_label(texts, name) for name in topic.topics))
              for topic in reasons.topic_helps]
    if reasons.meeting_format == "offline" and reasons.same_city:
        lines.append(texts("dryrun.why.city", city=reasons.same_city))
    else:
        lines.append(texts("dryrun.why.online"))
    if reasons.shared_languages:
        lines.append(texts("dryrun.why.languages", languages=", ".join(reasons.shared_languages)))
    return lines[:PREVIEW_REASONS]


def preview_match(texts: Texts, number: int, match: EngineMatch, names: dict[int, str]) -> Html:
    people = " + ".join(names.get(member, "—") for member in match.members)
    repeat = texts("dryrun.repeat") if match.repeat else ""
    head = texts("dryrun.match", number=number, people=people, score=f"{match.score:.1f}", repeat=repeat)
    return Html("\n".join([head, *(f"   • {line}" for line in preview_reasons(texts, match.reasons, names))]))


def preview_left_out(texts: Texts, left: Unmatched, names: dict[int, str]) -> Html:
    key = f"dryrun.left.{left.reason}" if texts.has(f"dryrun.left.{left.reason}") else "dryrun.left.other"
    return texts("dryrun.left_line", name=names.get(left.id, "—"), reason=texts(key))


def preview_pieces(texts: Texts, community: str, result: PairResult, names: dict[int, str], group_size: int,
                   seconds: float) -> list[Html]:
    """The dry run as message pieces: a header, a piece per match, then who would be left out and why."""
    shape = RoundShape.of((len(match.members) for match in result.matches), group_size, len(result.unmatched))
    header = texts("dryrun.header", community=community, eligible=len(names), shape=round_shape(texts, group_size),
                   matches=match_sizes(texts, shape), left_out=shape.left_out, seconds=f"{seconds:.2f}")
    pieces = [header, *(preview_match(texts, number, match, names)
                        for number, match in enumerate(result.matches, start=1))]
    if result.unmatched:
        pieces.append(texts("dryrun.left_header"))
        pieces += [preview_left_out(texts, left, names) for left in result.unmatched]
    return pieces


def split_messages(pieces: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[Html]:
    """Pieces joined by blank lines into as few messages as fit `limit` UTF-16 units of HTML (never fewer
    than Telegram counts), never splitting a piece; every piece here is far below the limit."""
    messages: list[str] = []
    for piece in pieces:
        if messages and utf16_length(messages[-1]) + 2 + utf16_length(piece) <= limit:
            messages[-1] += "\n\n" + piece
        else:
            messages.append(piece)
    return [Html(message) for message in messages]


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _share(value: float | None, texts: Texts) -> str:
    return f"{value:.0%}" if value is not None else texts.label("stats.not_yet")


def stats_summary(texts: Texts, community: str, stats: StatsView) -> Html:
    """/stats in words: members by status, rounds, the latest round, check-ins overall and top interests."""
    statuses, rounds = stats.statuses, stats.rounds
    latest = texts("stats.no_rounds")
    if rounds:
        answered, ratings = sum(r.answered for r in rounds), sum(r.ratings for r in rounds)
        latest = texts("stats.latest", date=day(rounds[-1].created_at, texts), matched=rounds[-1].matched,
                       left_out=rounds[-1].left_out, answered=answered,
                       met_rate=_share(sum(r.met for r in rounds) / answered if answered else None, texts),
                       rating=f"{sum(r.rating_sum for r in rounds) / ratings:.1f}" if ratings
                       else texts.label("stats.not_yet"))
    interests = texts("stats.interests", interests=", ".join(
        f"{tag_label(texts, tag)} ({count})" for tag, count in stats.interests)) if stats.interests else ""
    return texts("stats.summary", community=community, members=statuses["active"] + statuses["paused"],
                 active=statuses["active"], paused=statuses["paused"], left=statuses["left"],
                 banned=statuses["banned"], profiles=stats.profiles, rounds=len(rounds),
                 introductions=sum(round_.matched for round_ in rounds), latest=latest, interests=interests)


def admins_list(texts: Texts, community: Community, admins: Sequence[User]) -> Html:
    """/admins: the recorded admins (the creator marked), and a word about a linked group's Telegram admins."""
    lines: list[str] = [texts("admins.header", community=community.name)]
    for person in admins:
        handle = f" @{person.username}" if person.username else ""
        creator = texts("admins.creator") if person.id == community.owner_id else ""
        lines.append(f"• {escape(name_of(person))}{escape(handle)}{creator}")
    if community.chat_id is not None:
        lines.append(texts("admins.group_note"))
    return Html("\n".join(lines))
