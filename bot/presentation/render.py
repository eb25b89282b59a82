"""Rendering domain objects into catalog texts (all user strings escaped by `Texts`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aiogram.utils.link import create_tg_link

from bot.db.models import Membership, MembershipStatus, Outcome, User
from bot.domain.draft import ProfileDraft
from bot.domain.profile import Step, draft_from, offset_name
from bot.domain.rounds import RoundShape
from bot.domain.topics import MEETING_LANGUAGES, topic_label
from bot.presentation import moments
from bot.presentation.texts import Html, Texts, escape, pack
from matching import Reasons

COMPACT_ABOUT = 200  # a group member's card: about and offers/needs on one line each, cut to these lengths
COMPACT_WANTS = 160
REPORT_ERROR = 120  # characters of Telegram's description in a delivery report
FULL_CARDS_UP_TO = 2  # partners: a pair's and a trio's intros show full cards, larger groups' compact ones


def tag_label(texts: Texts, tag: str) -> str:
    return _label(texts, "tag", tag)


def _label(texts: Texts, namespace: str, value: str) -> str:
    """The catalog's word for a tag or topic id, else the id itself."""
    key = f"{namespace}.{value}"
    return texts(key) if texts.has(key) else value


def shorten(text: str | None, limit: int) -> str:
    """The text on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


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


def zone_name(draft: ProfileDraft) -> str:
    return draft.timezone or (offset_name(draft.utc_offset) if draft.utc_offset is not None else "")


def profile_card(texts: Texts, draft: ProfileDraft, user: User) -> Html:
    """The card exactly as a partner sees it."""
    interests = ", ".join(tag_label(texts, tag) for tag in draft.interests)

    def with_topics(topics: tuple[str, ...] | None, details: str | None) -> str:  # "Hiring, Sales — details"
        labels = ", ".join(topic_label(topic, texts.language) for topic in topics or ())
        return " — ".join(part for part in (labels, details) if part)

    return texts(
        "card",
        name=draft.name or "",
        about=draft.about or "",
        interests=interests,
        offers=with_topics(draft.offer_topics, draft.offers),
        needs=with_topics(draft.need_topics, draft.needs),
        format=format_line(texts, draft),
        languages=", ".join(MEETING_LANGUAGES.get(code, code) for code in draft.languages or ()) or "—",
        timezone=zone_name(draft),
        contact=contact_line(texts, user.username, draft.contact, user.telegram_id),
    )


def compact_card(texts: Texts, person: User) -> Html:
    """A group member's card: everything a full card has but interests, each text on one shortened line."""
    draft = draft_from(person)
    return texts("card.compact", name=name_of(person), about=shorten(draft.about, COMPACT_ABOUT),
                 offers=shorten(draft.offers, COMPACT_WANTS), needs=shorten(draft.needs, COMPACT_WANTS),
                 format=format_line(texts, draft), timezone=zone_name(draft),
                 contact=contact_line(texts, person.username, draft.contact, person.telegram_id))


def step_label(texts: Texts, step: Step) -> Html:
    return texts(f"field.{step.value}")


def membership_line(texts: Texts, membership: Membership, reader: User | None = None) -> Html:
    """A community in the reader's list; a pause's end in the reader's zone (else the community's), named."""
    name = membership.community.name
    if membership.status is MembershipStatus.PAUSED and membership.paused_until:
        return texts("communities.paused_until", name=name,
                     date=moments.for_reader(texts, membership.paused_until, reader, membership.community))
    return texts(f"communities.{membership.status.value}", name=name)


def name_of(person: User) -> str:
    return person.display_name or person.first_name or "—"


def shared_interests(me: User, partner: User) -> list[str]:
    """The interests both picked, in the reader's order."""
    theirs = set(partner.interests or ())
    return [tag for tag in me.interests or () if tag in theirs]


def why_with(texts: Texts, me: User, partner: User, reasons: Reasons, quote: int | None = None) -> list[Html]:
    """What `me` and one partner have to do with each other, from `me`'s point of view: only what is true for
    these two (their own shared interests; help and topics flowing between them, in the right direction).
    Quoted phrases are cut to `quote` characters when given (a large group's compact cards)."""
    name = name_of(partner)
    lines = []
    if shared := shared_interests(me, partner):
        lines.append(texts("intro.why.interests", interests=", ".join(tag_label(texts, tag) for tag in shared)))
    # Quote the partner's own phrase: their offer when it helps the reader, their need when the reader helps.
    helps = [(help_.giver, help_.receiver, texts("intro.quote", phrase=shorten(phrase, quote or len(phrase))))
             for help_ in reasons.helps
             for phrase in [help_.offer or help_.what if help_.giver == partner.id else help_.what]]
    topics = [(topic.giver, topic.receiver, escape(topic_label(item, texts.language)))
              for topic in reasons.topic_helps for item in topic.topics]
    for flows, to_me, from_me in ((helps, "intro.why.helps_you", "intro.why.you_help"),
                                  (topics, "intro.why.topics_you", "intro.why.topics_they")):
        for giver, receiver, key in ((partner.id, me.id, to_me), (me.id, partner.id, from_me)):
            items = dict.fromkeys(item for one, other, item in flows if (one, other) == (giver, receiver))
            if items:  # one line per direction, however many phrases or topics flow that way
                lines.append(texts(key, name=name, what=Html(", ".join(items))))
    return lines


def why_lines(texts: Texts, me: User, partner: User, reasons: Reasons, repeat: bool = False) -> list[Html]:
    """A pair's reasons in words, from `me`'s point of view."""
    lines = why_with(texts, me, partner, reasons)
    if reasons.same_city and reasons.meeting_format == "offline":
        lines.append(texts("intro.why.same_city", city=reasons.same_city))
    lines = lines or [texts("intro.why.again" if repeat else "intro.why.fresh")]
    return [*lines, *language_line(texts, reasons)]


def language_line(texts: Texts, reasons: Reasons) -> list[Html]:
    """The language everyone can talk in, named when it is not the reader's interface language."""
    if not reasons.shared_languages or texts.language in reasons.shared_languages:
        return []
    names = ", ".join(MEETING_LANGUAGES.get(code, code) for code in reasons.shared_languages)
    return [texts("intro.why.language", language=names)]


def bullets(lines: Iterable[str]) -> Html:
    return Html("\n".join(f"• {line}" for line in lines))


def icebreaker(texts: Texts, tags: Iterable[str]) -> Html:
    for tag in tags:
        if texts.has(f"icebreaker.{tag}"):
            return texts(f"icebreaker.{tag}")
    return texts("icebreaker.any")


def with_note(header: Html, note: str | None, texts: Texts) -> Html:
    """An intro's header, followed by the organisers' note when the community has one (escaped as typed)."""
    return Html(f"{header}\n\n{texts('intro.note', note=note)}") if note else header


def intro(texts: Texts, community: str, me: User, partners: Sequence[User], reasons: Reasons,
          writer_id: int | None, repeat: bool = False, note: str | None = None) -> list[Html]:
    """`me`'s introduction to their pair, trio or group: messages in order, each within Telegram's limit; the
    organisers' note (if any) under the header."""
    tags = [tag for partner in partners for tag in shared_interests(me, partner)]
    if len(partners) > 1:
        return group_intro(texts, community, me, partners, reasons, writer_id, tags, note)
    (partner,) = partners
    first = texts("intro.they_first", name=name_of(partner)) if writer_id == partner.id else texts("intro.you_first")
    text = texts("intro", header=with_note(texts("intro.header", community=community), note, texts),
                 cards=profile_card(texts, draft_from(partner), partner),
                 why=bullets(why_lines(texts, me, partner, reasons, repeat)), icebreaker=icebreaker(texts, tags),
                 first=first)
    return pack([Html(paragraph) for paragraph in text.split("\n\n")], separator="\n\n",
                continued=lambda: texts("intro.continued", community=community))  # one message unless very long


def group_intro(texts: Texts, community: str, me: User, partners: Sequence[User], reasons: Reasons,
                writer_id: int | None, tags: list[str], note: str | None = None) -> list[Html]:
    """A card per other member, each followed by what the reader and that member share; then who creates the
    group chat with everyone's contacts. Full cards for a trio, compact ones for larger groups."""
    header = texts("intro.header_trio", community=community) if len(partners) == 2 else \
        texts("intro.header_group", community=community, count=len(partners) + 1)
    pieces = [with_note(header, note, texts)]
    full = len(partners) <= FULL_CARDS_UP_TO
    for partner in partners:
        card = profile_card(texts, draft_from(partner), partner) if full else compact_card(texts, partner)
        lines = why_with(texts, me, partner, reasons, None if full else COMPACT_WANTS)
        pieces.append(Html(f"{card}\n\n{texts('intro.with', name=name_of(partner), why=bullets(lines))}")
                      if lines else card)
    if reasons.same_city and reasons.meeting_format == "offline":
        pieces.append(texts("intro.all_same_city", city=reasons.same_city))
    pieces += language_line(texts, reasons)
    writer = next((partner for partner in partners if partner.id == writer_id), None)
    chat = texts("intro.chat_you") if writer is None else texts("intro.chat_they", name=name_of(writer))
    pieces.append(texts("intro.group_end", chat=chat, contacts=contacts(texts, list(partners)),
                        icebreaker=icebreaker(texts, [*reasons.shared_interests, *tags])))
    return pack(pieces, separator="\n\n", continued=lambda: texts("intro.continued", community=community))


def _known(texts: Texts, key: str, otherwise: str) -> Html:
    """The catalog's text for a machine code's key, or a general text for a code it does not know."""
    return texts(key if texts.has(key) else otherwise)


def left_out(texts: Texts, community: str, reason: str) -> Html:
    return texts("left_out", community=community, reason=_known(texts, f"left_out.{reason}", "left_out.other"))


def delivery_report(texts: Texts, community: str, failures: Sequence[tuple[User | None, str, str]]) -> list[Html]:
    """Messages Telegram refused for good: to whom, what, and Telegram's words, split to fit."""
    lines = [texts("delivery.line", name=name_of(person) if person else texts("delivery.linked_group"),
                   what=_known(texts, f"delivery.kind.{kind}", "delivery.kind.other"),
                   error=shorten(error, REPORT_ERROR))
             for person, kind, error in failures]
    footer = [texts("delivery.footer")] if any(person for person, _, _ in failures) else []
    return pack([texts("delivery.report", community=community, count=len(failures)), *lines, *footer],
                continued=lambda: texts("delivery.continued", community=community))


def names(people: list[User]) -> str:
    return ", ".join(name_of(person) for person in people)


def contacts(texts: Texts, people: list[User]) -> Html:
    lines = [f"{texts('card.name_only', name=name_of(person))}: "
             f"{contact_line(texts, person.username, person.contact, person.telegram_id)}" for person in people]
    return Html("\n".join(lines))


def reminder(texts: Texts, partners: list[User], check_in: Html | None = None) -> Html:
    """The mid-round reminder; `check_in`: when the check-in comes, as the reader's moment (presentation.moments)."""
    text = texts("reminder", names=names(partners), contacts=contacts(texts, partners))
    return text if check_in is None else Html(f"{text}\n\n{texts('reminder.check_in', when=check_in)}")


def follow_up(texts: Texts, partners: list[User]) -> Html:
    return texts("follow_up", names=names(partners), contacts=contacts(texts, partners))


def checkin_step(texts: Texts, asked: Sequence[User], answers: Mapping[int, Outcome]) -> Html:
    """A trio's or group's check-in, one person at a time: the answers so far, then "Did you meet …?" about the
    first person not answered yet (with only one person to ask about, a pair's question)."""
    waiting = [person for person in asked if person.id not in answers]
    if len(asked) == 1:
        return texts("checkin.question", names=name_of(asked[0]))
    question = texts("checkin.about", name=name_of(waiting[0]), number=asked.index(waiting[0]) + 1,
                     count=len(asked))
    return Html("\n".join([texts("checkin.each"), "", *checkin_answers(texts, asked, answers), question]))


def checkin_answers(texts: Texts, asked: Sequence[User], answers: Mapping[int, Outcome]) -> list[Html]:
    """A line per person answered about: "✅ Anna: met"."""
    return [texts(f"checkin.answer.{answers[person.id].value}", name=name_of(person))
            for person in asked if person.id in answers]


def round_summary(texts: Texts, community: str, shape: RoundShape, *, scheduled: bool = False) -> Html:
    """What a round really did, for its admins (the one who ran /matchnow, or all of them after a scheduled
    round): nobody to match, nobody matched, or the matches by size — with the sizing rule when small groups
    came out another size than asked for."""
    title = texts("round.scheduled" if scheduled else "round.extra", community=community)
    if not shape.sizes:
        if shape.left_out:
            return texts("round.nobody_matched", title=title, left_out=shape.left_out)
        return texts("round.empty", title=title)
    left_out = texts("round.left_out", count=shape.left_out) if shape.left_out else texts("round.nobody_left_out")
    text = texts("round.done", title=title, matches=match_sizes(texts, shape), left_out=left_out,
                 introduced=shape.introduced)
    if shape.differs_from_asked and shape.sized_by_rule:
        text = Html(f"{text}\n\n{texts('round.size_rule', size=shape.group_size)}")
    return text


def match_sizes(texts: Texts, shape: RoundShape) -> Html:
    """"4 pairs and 1 trio", "2 groups of 5", "3 groups of different sizes: 4, 3, 3" (or "no matches")."""
    if not shape.sizes:
        return texts("round.no_matches")
    if not shape.in_groups and shape.pairs + shape.trios == len(shape.sizes):
        parts = [texts(key, count=count) for key, count in (("round.pairs", shape.pairs), ("round.trios", shape.trios))
                 if count]
        return parts[0] if len(parts) == 1 else texts("round.and", first=parts[0], second=parts[1])
    if len(set(shape.sizes)) == 1:
        return texts("round.groups_of", count=len(shape.sizes), size=shape.sizes[0])
    return texts("round.groups_sized", count=len(shape.sizes), sizes=", ".join(map(str, shape.sizes)))


def round_shape(texts: Texts, size: int) -> str:
    return texts.label("schedule.pairs") if size <= 2 else texts.label("schedule.groups_of", size=size)
