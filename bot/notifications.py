"""Domain events → the messages that tell people about them, as outbox rows.

Each function renders one event for one reader (their language, their partners) with the presentation layer
and returns the row's columns; services add the rows in the transaction that caused the event, so a message
is queued exactly when its change commits. This is the only module below the handlers that uses presentation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.db.models import Community, Meetup, MeetupGroup, User
from bot.domain.rounds import RoundShape
from bot.outbox import outbox_values
from bot.presentation import announcements as announcement_views
from bot.presentation import feedback_views, keyboards, meetup_views, moments, render
from bot.presentation.texts import DEFAULT_LANGUAGE, Texts
from matching import Reasons

Row = dict[str, Any]
MESSAGE_LIMIT = 4000  # Telegram's limit is 4,096 characters; leave room for the header
INTRO_CONTINUED = "intro_more"
"""Kind of an intro's later messages: only the first is `intro`, so a bounce is acted on once per intro."""
DELIVERY_REPORT = "delivery_report"
ANNOUNCEMENT = "announcement"
BLOCKED = "blocked"  # the outbox's error for a 403 (only announcements report it: see delivery_reports)
ROUND_SUMMARY = "round_summary"
FEEDBACK_DIGEST = "feedback_digest"
COMMUNITY_MOMENT = "community_moment"


def _to(person: User, kind: str, text: str, community_id: int | None = None, **extra: Any) -> Row:
    """An outbox row to `person`; `community_id` names whose admins hear if Telegram refuses it for good
    (rows about a match are traced through the match instead)."""
    row = outbox_values(chat_id=person.telegram_id or 0, user_id=person.id, kind=kind, text=text, **extra)
    return {**row, "community_id": community_id}


def intro(community: Community, me: User, partners: list[User], reasons: Reasons, writer_id: int | None,
          repeat: bool = False) -> list[Row]:
    """`me`'s introduction as one or more messages in order (a group's may not fit one)."""
    parts = render.intro(Texts(me.language), community.name, me, partners, reasons, writer_id, repeat,
                         note=community.intro_note)
    return [_to(me, "intro" if index == 0 else INTRO_CONTINUED, text, community.id)
            for index, text in enumerate(parts)]


def left_out(person: User, community: Community, reason: str) -> Row:
    return _to(person, "left_out", render.left_out(Texts(person.language), community.name, reason), community.id)


def reminder(person: User, partners: list[User], match_id: int, check_in_at: datetime | None = None,
             community_timezone: str = "UTC") -> Row:
    """The mid-round reminder; with `check_in_at` it says when the check-in comes, in the reader's own zone
    (else the community's), zone named."""
    texts = Texts(person.language)
    when = None if check_in_at is None else moments.for_reader(texts, check_in_at, person, community_timezone)
    return _to(person, "reminder", render.reminder(texts, partners, when), match_id=match_id)


def checkin(person: User, partners: list[User], match_id: int, in_group: bool = False) -> Row:
    """"Did you meet …?" about the pair's partner; in a trio or group about each partner in turn, starting
    with the first (the answers edit the message on to the next one)."""
    texts = Texts(person.language)
    if in_group:
        return _to(person, "checkin", render.checkin_step(texts, partners, {}), match_id=match_id,
                   reply_markup=keyboards.checkin_about(texts, match_id, partners[0]))
    return _to(person, "checkin", texts("checkin.question", names=render.names(partners)), match_id=match_id,
               reply_markup=keyboards.checkin(texts, match_id, partners))


def follow_up(person: User, partners: list[User], match_id: int) -> Row:
    return _to(person, "follow_up", render.follow_up(Texts(person.language), partners), match_id=match_id)


def paused_for_no_show(person: User, community: Community) -> Row:
    texts = Texts(person.language)
    return _to(person, "no_show_pause", texts("noshow.paused", community=community.name), community.id,
               reply_markup=keyboards.resume_button(texts, community.id))


def partner_unreachable(person: User, unreachable: User, match_id: int) -> Row:
    texts = Texts(person.language)
    return _to(person, "partner_unreachable", texts("blocked.partner_unreachable", name=render.name_of(unreachable)),
               reply_markup=keyboards.replacement(texts, match_id), match_id=match_id)


def with_intro_buttons(person: User, intro_rows: list[Row], match_id: int) -> list[Row]:
    """The intro's rows, tied to their match, with "Can't make it this round" under the last one."""
    texts = Texts(person.language)
    rows = [{**row, "match_id": match_id} for row in intro_rows]
    markup = keyboards.cant_make_it(texts, match_id).model_dump(mode="json", exclude_none=True)
    rows[-1] = {**rows[-1], "reply_markup": markup}
    return rows


def partner_cant_make_it(person: User, dropped: User, match_id: int, alone: bool) -> Row:
    """A partner said they cannot make it: someone left alone may ask for a new partner."""
    texts = Texts(person.language)
    if not alone:
        return _to(person, "partner_cant", texts("cant.partner_group", name=render.name_of(dropped)), match_id=match_id)
    return _to(person, "partner_cant", texts("cant.partner_alone", name=render.name_of(dropped)),
               reply_markup=keyboards.replacement(texts, match_id), match_id=match_id)


def partner_left(person: User, match_id: int, others_staying: int, community: str) -> Row:
    """A partner erased their profile mid-round. Their name is gone too: the text names nobody."""
    texts = Texts(person.language)
    if others_staying:
        return _to(person, "partner_left", texts("erased.group_member_left", community=community), match_id=match_id)
    return _to(person, "partner_left", texts("erased.partner_left", community=community),
               reply_markup=keyboards.replacement(texts, match_id), match_id=match_id)


def community_notice(person: User, key: str, community: str, community_id: int | None) -> Row:
    """A member told that their community was archived, brought back or deleted (`key` names the text)."""
    return _to(person, "community_notice", Texts(person.language)(key, community=community), community_id)


def name_of(person: User) -> str:
    return render.name_of(person)


def meetup_left_out(person: User, meetup: Meetup) -> Row:
    """No group of the meetup could take them (blocks or no shared language with anyone left)."""
    return _to(person, "meetup_left_out", Texts(person.language)("meetup.left_out", title=meetup.title),
               meetup.community_id)


def meetup_invitation(person: User, meetup: Meetup, community: Community) -> Row:
    texts = Texts(person.language)
    return _to(person, "meetup_invite", meetup_views.meetup_invitation(texts, meetup, community, person),
               community.id, reply_markup=keyboards.rsvp(texts, meetup.id))


def meetup_invitation_in_group(chat_id: int, meetup: Meetup, community: Community) -> Row:
    texts = Texts(DEFAULT_LANGUAGE)
    row = outbox_values(chat_id=chat_id, kind="meetup_invite_group", reply_markup=keyboards.rsvp(texts, meetup.id),
                        text=meetup_views.meetup_invitation(texts, meetup, community, None))
    return {**row, "community_id": community.id}


def rosters(person: User, meetup: Meetup, community: Community, group: MeetupGroup, members: list[User]
            ) -> list[Row]:
    parts = meetup_views.roster_messages(Texts(person.language), meetup, community, group.number, members,
                                         MESSAGE_LIMIT, group.place, person)
    return [_to(person, "roster", part, community.id) for part in parts]


def meetup_checkin(person: User, meetup: Meetup, group_id: int) -> Row:
    texts = Texts(person.language)
    return _to(person, "meetup_checkin", texts("meetup.checkin", title=meetup.title), meetup.community_id,
               reply_markup=keyboards.meetup_rating(group_id))


def group_place(person: User, meetup: Meetup, group: MeetupGroup, place: str) -> Row:
    texts = Texts(person.language)
    return _to(person, "group_place",
               texts("meetup.place_update", title=meetup.title, number=group.number, place=place), meetup.community_id)


def round_summary(admin: User, community: Community, shape: RoundShape) -> Row:
    """What a scheduled round did, for one of the community's admins."""
    text = render.round_summary(Texts(admin.language), community.name, shape, scheduled=True)
    return _to(admin, ROUND_SUMMARY, text, community.id)


def feedback_digest(admin: User, community: Community, feedback: feedback_views.FeedbackView) -> list[Row]:
    """A round's feedback digest for one of the community's admins, in their language (one or more messages)."""
    zone = moments.zone_of(admin, community.timezone)
    parts = feedback_views.digest(Texts(admin.language), community.name, feedback, zone)
    return [_to(admin, FEEDBACK_DIGEST, part, community.id) for part in parts]


def community_moment(community: Community, coffees: int, language: str) -> Row:
    """The post in the community's linked group after a round: how many coffees happened, without names."""
    text = feedback_views.moment(Texts(language), community.name, coffees)
    row = outbox_values(chat_id=community.chat_id or 0, kind=COMMUNITY_MOMENT, text=text)
    return {**row, "community_id": community.id}


Undelivered = tuple[User | None, str, str]
"""A message Telegram refused for good: its reader (None once erased), its kind and Telegram's description."""


def delivery_report(admin: User, community: Community, failures: list[Undelivered]) -> list[Row]:
    """Tell an admin which messages of their community could not be delivered, and to whom."""
    texts = Texts(admin.language)
    def said(person: User | None, error: str) -> str:
        if error != BLOCKED:
            return error
        return texts.label("delivery.blocked" if person is not None else "delivery.removed_from_group")

    shown = [(person, "intro" if kind == INTRO_CONTINUED else kind, said(person, error))
             for person, kind, error in failures]
    parts = render.delivery_report(texts, community.name, shown)
    return [_to(admin, DELIVERY_REPORT, part, community.id) for part in parts]

def announcement(community: Community, text: str, recipients: Sequence[tuple[int, int, str]]) -> list[Row]:
    """A copy of an admin's announcement for each recipient (user id, chat id, language), headed in their own
    language with a "Mute announcements" button; each language is rendered once (a community may have 10,000)."""
    rendered: dict[str, tuple[str, dict[str, Any]]] = {}
    rows = []
    for user_id, chat_id, language in recipients:
        if language not in rendered:
            texts = Texts(language)
            markup = announcement_views.mute_button(texts, community.id)
            rendered[language] = (announcement_views.message(texts, community.name, text),
                                  markup.model_dump(mode="json", exclude_none=True))
        body, buttons = rendered[language]
        row = outbox_values(chat_id=chat_id, user_id=user_id, kind=ANNOUNCEMENT, text=body, reply_markup=buttons)
        rows.append({**row, "community_id": community.id})
    return rows
