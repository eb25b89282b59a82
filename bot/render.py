"""Rendering domain objects into catalog texts (all user strings escaped by `Texts`)."""

from __future__ import annotations

from aiogram.utils.link import create_tg_link

from bot.db.models import Membership, MembershipStatus, User
from bot.i18n import Html, Texts
from bot.services.profiles import Draft, Step, offset_name


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


def format_line(texts: Texts, draft: Draft) -> Html:
    meeting_format = draft.get("format") or "any"
    city = draft.get("city")
    if meeting_format == "online" or not city:
        return texts(f"format.{meeting_format}")
    return texts(f"format.{meeting_format}_in", city=city)


def profile_card(texts: Texts, draft: Draft, user: User) -> Html:
    """The card exactly as a partner sees it."""
    interests = ", ".join(tag_label(texts, tag) for tag in draft.get("interests") or [])
    offset = draft.get("utc_offset")
    zone = draft.get("timezone") or (offset_name(offset) if offset is not None else "")
    return texts(
        "card",
        name=draft.get("name") or "",
        about=draft.get("about") or "",
        interests=interests,
        offers=draft.get("offers") or "",
        needs=draft.get("needs") or "",
        format=format_line(texts, draft),
        timezone=zone,
        contact=contact_line(texts, user.username, draft.get("contact"), user.telegram_id),
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
