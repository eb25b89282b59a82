"""Rendering domain objects into catalog texts (all user strings escaped by `Texts`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.link import create_tg_link

from bot.db.models import Community, Meetup, Membership, MembershipStatus, User
from bot.domain.draft import ProfileDraft
from bot.domain.profile import Step, draft_from, offset_name
from bot.domain.schedule import Schedule
from bot.presentation.texts import Html, Texts
from matching import Reasons

ROSTER_ABOUT = 120


def tag_label(texts: Texts, tag: str) -> str:
    key = f"tag.{tag}"
    return texts(key) if texts.has(key) else tag


def contact_line(texts: Texts, username: str | None, contact: str | None, telegram_id: int | None) -> Html:
    if username:
        return texts("card.contact_username", username=username)
    if contact:
        return texts("card.contact_text", contact=contact)
    if telegram_id is None:
        return texts("card.contact_none")
    return texts("card.contact_link", link=create_tg_link("user", id=telegram_id))


def format_line(texts: Texts, draft: ProfileDraft) -> Html:
    meeting_format = draft.format.value if draft.format else "any"
    if meeting_format == "online" or not draft.city:
        return texts(f"format.{meeting_format}")
    return texts(f"format.{meeting_format}_in", city=draft.city)


def profile_card(texts: Texts, draft: ProfileDraft, user: User) -> Html:
    """The card exactly as a partner sees it."""
    interests = ", ".join(tag_label(texts, tag) for tag in draft.interests)
    zone = draft.timezone or (offset_name(draft.utc_offset) if draft.utc_offset is not None else "")
    return texts(
        "card",
        name=draft.name or "",
        about=draft.about or "",
        interests=interests,
        offers=draft.offers or "",
        needs=draft.needs or "",
        format=format_line(texts, draft),
        timezone=zone,
        contact=contact_line(texts, user.username, draft.contact, user.telegram_id),
    )


def step_label(texts: Texts, step: Step) -> Html:
    return texts(f"field.{step.value}")


def membership_line(texts: Texts, membership: Membership) -> Html:
    name = membership.community.name
    if membership.status is MembershipStatus.PAUSED and membership.paused_until:
        return texts("communities.paused_until", name=name,
                     date=membership.paused_until.strftime("%Y-%m-%d"))
    return texts(f"communities.{membership.status.value}", name=name)


def member_line(texts: Texts, membership: Membership) -> Html:
    person = membership.user
    name = person.display_name or person.first_name or "—"
    handle = f"@{person.username}" if person.username else ""
    state = texts(f"status.{membership.status.value}")
    profile = "" if person.has_confirmed_profile else texts("admin.members_no_profile")
    return texts("admin.member_line", name=name, handle=handle, status=state, profile=profile)


def name_of(person: User) -> str:
    return person.display_name or person.first_name or "—"


def why_lines(texts: Texts, me: User, partners: list[User], reasons: Reasons) -> list[Html]:
    """The engine's reasons in words, from `me`'s point of view."""
    names = {partner.id: name_of(partner) for partner in partners}
    lines = []
    if reasons.shared_interests:
        tags = ", ".join(tag_label(texts, tag) for tag in reasons.shared_interests)
        lines.append(texts("intro.why.interests", interests=tags))
    for help_ in reasons.helps:
        if help_.receiver == me.id and help_.giver in names:
            lines.append(texts("intro.why.helps_you", name=names[help_.giver], what=help_.what))
        elif help_.giver == me.id and help_.receiver in names:
            lines.append(texts("intro.why.you_help", name=names[help_.receiver], what=help_.what))
    if reasons.same_city and reasons.meeting_format == "offline":
        lines.append(texts("intro.why.same_city", city=reasons.same_city))
    return lines or [texts("intro.why.fresh")]


def icebreaker(texts: Texts, reasons: Reasons) -> Html:
    for tag in reasons.shared_interests:
        if texts.has(f"icebreaker.{tag}"):
            return texts(f"icebreaker.{tag}")
    return texts("icebreaker.any")


def intro(texts: Texts, community: str, me: User, partners: list[User], reasons: Reasons,
          writer_id: int | None) -> Html:
    cards = "\n\n".join(profile_card(texts, draft_from(partner), partner) for partner in partners)
    key = {1: "intro.header", 2: "intro.header_trio"}.get(len(partners), "intro.header_group")
    header = texts(key, community=community, count=len(partners) + 1)
    writer = next((partner for partner in partners if partner.id == writer_id), None)
    first = texts("intro.you_first") if writer is None else texts("intro.they_first", name=name_of(writer))
    why = "\n".join(f"• {line}" for line in why_lines(texts, me, partners, reasons))
    return texts("intro", header=header, cards=Html(cards), why=Html(why), icebreaker=icebreaker(texts, reasons),
                 first=first)


def left_out(texts: Texts, community: str, reason: str) -> Html:
    key = f"left_out.{reason}" if texts.has(f"left_out.{reason}") else "left_out.other"
    return texts("left_out", community=community, reason=texts(key))


def names(people: list[User]) -> str:
    return ", ".join(name_of(person) for person in people)


def contacts(texts: Texts, people: list[User]) -> Html:
    lines = [f"{texts('card.name_only', name=name_of(person))}: "
             f"{contact_line(texts, person.username, person.contact, person.telegram_id)}" for person in people]
    return Html("\n".join(lines))


def reminder(texts: Texts, partners: list[User]) -> Html:
    return texts("reminder", names=names(partners), contacts=contacts(texts, partners))


def follow_up(texts: Texts, partners: list[User]) -> Html:
    return texts("follow_up", names=names(partners), contacts=contacts(texts, partners))


def local_time(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def meetup_invitation(texts: Texts, meetup: Meetup, community: Community) -> Html:
    place = meetup.place or texts("meetup.place_later")
    return texts("meetup.invitation", community=community.name, title=meetup.title,
                 when=local_time(meetup.starts_at, community.timezone), timezone=community.timezone,
                 format=texts(f"format.{meetup.meeting_format.value}"), place=place, size=meetup.group_size,
                 deadline=local_time(meetup.rsvp_deadline, community.timezone))


def roster_line(texts: Texts, person: User) -> Html:
    about = (person.about or "").splitlines()[0] if person.about else ""
    about = about if len(about) <= ROSTER_ABOUT else about[: ROSTER_ABOUT - 1] + "…"
    return texts("meetup.roster_line", name=name_of(person), about=about,
                 contact=contact_line(texts, person.username, person.contact, person.telegram_id))


def roster_messages(texts: Texts, meetup: Meetup, community: Community, number: int, members: list[User],
                    limit: int, group_place: str | None = None) -> list[Html]:
    """The group's roster, split into messages that each stay under `limit` characters."""
    place = group_place or meetup.place or texts("meetup.place_later")
    header = texts("meetup.roster_header", title=meetup.title, number=number,
                   when=local_time(meetup.starts_at, community.timezone), place=place, count=len(members))
    parts: list[str] = [header]
    for line in (roster_line(texts, person) for person in members):
        if len(parts[-1]) + 1 + len(line) > limit:
            parts.append(texts("meetup.roster_continued", number=number))
        parts[-1] += "\n" + line
    return [Html(part) for part in parts]


def round_shape(texts: Texts, size: int) -> str:
    return texts.label("schedule.pairs") if size <= 2 else texts.label("schedule.groups_of", size=size)


def schedule_text(texts: Texts, community: Community, now: datetime) -> Html:
    schedule = Schedule.of(community)
    return texts("schedule.current", community=community.name, weekday=texts(f"weekday.{schedule.weekday}"),
                 time=f"{schedule.hour:02d}:{schedule.minute:02d}", timezone=schedule.timezone,
                 frequency=texts(f"frequency.{schedule.frequency.value}"),
                 next=schedule.next(now).strftime("%Y-%m-%d %H:%M"), reminder=community.reminder_days,
                 shape=round_shape(texts, community.round_group_size))


def meetup_with_answer(texts: Texts, meetup: Meetup, coming: bool | None, yes: int) -> Html:
    """A meetup in /sessions: its invitation, the reader's answer so far and how many said yes."""
    status = {True: "meetup.status_yes", False: "meetup.status_no", None: "meetup.status_none"}[coming]
    return Html(f"{meetup_invitation(texts, meetup, meetup.community)}\n\n{texts(status, yes=yes)}")
