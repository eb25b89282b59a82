"""Meetups (group sessions) as each reader sees them: invitations and rosters with times in the reader's own
zone, the reader's answer, and the organiser's list of answers in pages that fit a message."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.db.models import Community, Meetup, User
from bot.domain.meetups import Rsvp
from bot.presentation import moments
from bot.presentation.render import contact_line, name_of, shorten
from bot.presentation.texts import MESSAGE_LIMIT, Html, Texts, pack, telegram_length

ROSTER_ABOUT = 120
MARKS = {Rsvp.YES: "✅", Rsvp.MAYBE: "🤔", Rsvp.NO: "🙅"}
STATUS_KEYS = {Rsvp.YES: "meetup.status_yes", Rsvp.MAYBE: "meetup.status_maybe", Rsvp.NO: "meetup.status_no",
               None: "meetup.status_none"}


@dataclass(frozen=True)
class Counts:
    yes: int = 0
    maybe: int = 0
    no: int = 0


def meetup_invitation(texts: Texts, meetup: Meetup, community: Community, reader: User | None) -> Html:
    """The invitation; its times in the reader's zone (the community's for a group chat), zone named."""
    zone = moments.zone_of(reader, community.timezone)
    place = meetup.place or texts("meetup.place_later")
    return texts("meetup.invitation", community=community.name, title=meetup.title,
                 when=moments.moment(texts, meetup.starts_at, zone),
                 format=texts(f"format.{meetup.meeting_format.value}"), place=place, size=meetup.group_size,
                 deadline=moments.moment(texts, meetup.rsvp_deadline, zone))


def invitation_with_answer(texts: Texts, meetup: Meetup, community: Community, reader: User,
                           answer: Rsvp | None, yes: int) -> Html:
    """The invitation with the reader's answer so far and how many said yes (/sessions, and the invitation
    itself once answered)."""
    return Html(f"{meetup_invitation(texts, meetup, community, reader)}\n\n{texts(STATUS_KEYS[answer], yes=yes)}")


def organiser_view(texts: Texts, meetup: Meetup, community: Community, reader: User, counts: Counts,
                   answer: Rsvp | None, member: bool) -> Html:
    """A meetup in the organiser's /sessions: the invitation, their own answer if they are a member, and the
    answers so far."""
    body = invitation_with_answer(texts, meetup, community, reader, answer, counts.yes) if member \
        else meetup_invitation(texts, meetup, community, reader)
    return Html(f"{body}\n\n{texts('meetup.organiser_status', yes=counts.yes, maybe=counts.maybe, no=counts.no)}")


def meetup_created(texts: Texts, meetup: Meetup, reader: User, community: Community) -> Html:
    return texts("meetup.created", title=meetup.title,
                 deadline=moments.for_reader(texts, meetup.rsvp_deadline, reader, community))


def roster_line(texts: Texts, person: User) -> Html:
    about = shorten((person.about or "").splitlines()[0] if person.about else "", ROSTER_ABOUT)
    return texts("meetup.roster_line", name=name_of(person), about=about,
                 contact=contact_line(texts, person.username, person.contact, person.telegram_id))


def roster_messages(texts: Texts, meetup: Meetup, community: Community, number: int, members: list[User],
                    limit: int, group_place: str | None, reader: User) -> list[Html]:
    """The group's roster for `reader` (the start in their zone), split into messages under `limit` each."""
    place = group_place or meetup.place or texts("meetup.place_later")
    header = texts("meetup.roster_header", title=meetup.title, number=number,
                   when=moments.for_reader(texts, meetup.starts_at, reader, community), place=place,
                   count=len(members))
    lines = [roster_line(texts, person) for person in members]
    return pack([header, *lines], limit=limit, continued=lambda: texts("meetup.roster_continued", number=number))


def answers_pages(texts: Texts, meetup: Meetup, community: Community, reader: User,
                  answers: Sequence[tuple[User, Rsvp]]) -> list[Html]:
    """Who answered what (yes, then maybe, then no), as pages that each fit one message with their header
    and page line: the organiser flips through them with buttons."""
    counts = count(answer for _, answer in answers)
    header = texts("meetup.rsvps_header", title=meetup.title, community=community.name,
                   when=moments.for_reader(texts, meetup.starts_at, reader, community),
                   yes=counts.yes, maybe=counts.maybe, no=counts.no)
    if not answers:
        return [Html(f"{header}\n\n{texts('meetup.rsvps_none')}")]
    order = {Rsvp.YES: 0, Rsvp.MAYBE: 1, Rsvp.NO: 2}
    lines = [texts("meetup.rsvps_line", mark=MARKS[answer], name=name_of(person),
                   contact=contact_line(texts, person.username, person.contact, person.telegram_id))
             for person, answer in sorted(answers, key=lambda item: order[item[1]])]
    widest_page_line = texts("meetup.rsvps_page", page=99999, pages=99999)
    room = MESSAGE_LIMIT - telegram_length(header) - telegram_length(widest_page_line) - 4
    bodies = pack(lines, limit=room)
    if len(bodies) == 1:
        return [Html(f"{header}\n\n{bodies[0]}")]
    return [Html(f"{header}\n{texts('meetup.rsvps_page', page=index, pages=len(bodies))}\n\n{body}")
            for index, body in enumerate(bodies, start=1)]


def count(answers: Iterable[Rsvp]) -> Counts:
    tally = {Rsvp.YES: 0, Rsvp.MAYBE: 0, Rsvp.NO: 0}
    for answer in answers:
        tally[answer] += 1
    return Counts(tally[Rsvp.YES], tally[Rsvp.MAYBE], tally[Rsvp.NO])
