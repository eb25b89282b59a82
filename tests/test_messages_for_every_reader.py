"""Issue 11 (points 1, 2, 6) and issue 14 (point 6): every message true for its reader and never lost.

Through the real Dispatcher, the outbox worker and the fake Telegram server (which refuses texts over 4,096
characters and invalid HTML, as Telegram does), on both databases: intros for a pair, a trio, groups of 5 and 8
and a round of ten in groups of five, whose members use every field's maximum length, in English and Russian,
with the organisers' longest note under every header; a trio whose members picked different interests; a message
Telegram refuses for good reaching the admins as a report, once; and the long lists (/invite for 40 communities,
/network with 30 people).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import (
    Community,
    CommunityAdmin,
    Match,
    MatchMember,
    MeetingFormat,
    OutboxMessage,
    OutboxStatus,
    Round,
    User,
)
from bot.domain.community_settings import NOTE_LIMIT
from bot.domain.profile import TEXT_LIMITS, Step
from bot.jobs import Jobs
from bot.presentation.texts import MESSAGE_LIMIT, Html, catalog, telegram_length
from bot.services import checkins, delivery_reports
from bot.services.communities import DEFAULT_TAGS, new_invite_code
from tests.conftest import PersonFactory
from tests.support import summaries
from tests.support.catalogue import Catalogue, en, ru
from tests.support.driver import plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram, SentMessage, html_to_plain
from tests.support.intros import is_intro, is_intro_part
from tests.support.journeys import deliver

CATALOGUES = {"en": en, "ru": ru}
LIMIT = {step: high for step, (_, high) in TEXT_LIMITS.items()}
LONG_ZONE = "America/Argentina/ComodRivadavia"
COMMUNITY = "Founders & Friends <Berlin> " * 5  # 140 characters, over the 128 a name may have
PHRASES = ("hiring advice & интервью", "pitch deck reviews", "intro to investors", "python code reviews",
           "brand design", "a co-founder", "pricing <B2B> deals", "sales playbooks")


def longest(prefix: str, limit: int, filler: str) -> str:
    return (prefix + " " + filler * limit)[:limit]


NOTE = longest("Meet at <Café> & say “hi” — встречаемся у входа;", NOTE_LIMIT, " bring ideas & <questions>!")


def wants(index: int, limit: int) -> str:
    """A phrase list of the longest allowed length; neighbours share phrases, so help flows every way."""
    rotated = PHRASES[index % len(PHRASES):] + PHRASES[:index % len(PHRASES)]
    return longest(", ".join(rotated), limit, ", more of the same")


async def seed_longest_profiles(sessionmaker: async_sessionmaker[AsyncSession], size: int, language: str,
                                group_size: int) -> tuple[int, list[int]]:
    """`size` members whose every answer has its maximum length, all speaking `language`, in person in one
    city, all ten interests; the community makes groups of `group_size`."""
    seeded = await community_with_members(sessionmaker, size, name=COMMUNITY[:128])
    filler = "Основатель стартапа, «ментор» & друг. " if language == "ru" else "Founder, “mentor” & friend. "
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        community.round_group_size = group_size
        community.intro_note = NOTE  # the organisers' note at its longest, in every intro
        for index, telegram_id in enumerate(seeded.member_telegram_ids):
            person = await session.scalar(select(User).where(User.telegram_id == telegram_id))
            assert person is not None
            person.language, person.username = language, None
            person.display_name = longest(f"Member{index}", LIMIT[Step.NAME], "Александра-Мария ")
            person.about = longest(f"Member{index}", LIMIT[Step.ABOUT], filler)
            person.offers, person.needs = wants(index, LIMIT[Step.OFFERS]), wants(index + 1, LIMIT[Step.NEEDS])
            person.city = longest("Berlin", LIMIT[Step.CITY], "-Charlottenburg")
            person.contact = longest(f"contact{index}@example.org", LIMIT[Step.CONTACT], " or +49 30 1234 5678")
            person.interests, person.meeting_format = list(DEFAULT_TAGS), MeetingFormat.OFFLINE
            person.timezone = LONG_ZONE
        await session.commit()
    return seeded.id, seeded.member_telegram_ids


async def run_round(person: PersonFactory, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession],
                    language: str = "en") -> str:
    admin = person(ADMIN_TELEGRAM_ID, "Olga", language_code=language)
    await admin.say("/matchnow")
    summary = plain(await admin.press_key("matchnow.yes"))
    await deliver(bot, sessionmaker)
    return summary


def assert_fits(messages: list[SentMessage]) -> None:
    for message in messages:
        assert telegram_length(message.text) <= MESSAGE_LIMIT, len(message.text)
        html_to_plain(message.text)  # raises on invalid Telegram HTML (the fake server checked it too)


def intro_of(tg: FakeTelegram, chat: int, catalogue: Catalogue) -> list[SentMessage]:
    """The chat's intro messages, in order: a first message and its continuations."""
    parts = [m for m in tg.messages(chat) if is_intro_part(m.plain_text, catalogue)]
    assert parts and is_intro(parts[0].plain_text, catalogue), [m.plain_text[:80] for m in tg.messages(chat)]
    assert sum(is_intro(m.plain_text, catalogue) for m in parts) == 1
    return parts


async def names_by_chat(sessionmaker: async_sessionmaker[AsyncSession], chats: list[int]) -> dict[int, str]:
    async with sessionmaker() as session:
        rows = await session.execute(select(User.telegram_id, User.display_name).where(User.telegram_id.in_(chats)))
        return {int(chat): str(name) for chat, name in rows.tuples()}


async def partners_by_chat(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[int, set[int]]:
    """Each matched chat and the chats it was matched with."""
    async with sessionmaker() as session:
        rows = (await session.execute(select(MatchMember.match_id, User.telegram_id)
                                      .join(User, User.id == MatchMember.user_id))).tuples().all()
    seats: dict[int, set[int]] = {}
    for match_id, chat in rows:
        seats.setdefault(match_id, set()).add(int(chat or 0))
    return {chat: seat - {chat} for seat in seats.values() for chat in seat}


# --- intros for a pair, a trio and groups, with the longest profiles ---------------------------------------


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(("size", "group_size"), [(2, 2), (3, 2), (5, 5), (8, 8), (10, 5)])
async def test_every_reader_gets_a_whole_true_intro_within_telegrams_limits(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
    language: str, size: int, group_size: int,
) -> None:
    catalogue = CATALOGUES[language]
    _, chats = await seed_longest_profiles(sessionmaker, size, language, group_size)
    await run_round(person, bot, sessionmaker)
    async with sessionmaker() as session:
        statuses = Counter((await session.scalars(select(OutboxMessage.status))).all())
    assert statuses == Counter({OutboxStatus.SENT: statuses[OutboxStatus.SENT]}), statuses  # nothing refused
    names = await names_by_chat(sessionmaker, chats)
    together = await partners_by_chat(sessionmaker)
    creators = []
    for chat in chats:
        parts = intro_of(tg, chat, catalogue)
        assert_fits(parts)
        shown = "\n".join(m.plain_text for m in parts)
        others = [names[other] for other in together[chat]]
        assert all(name in shown for name in others)
        assert not any(names[other] in shown for other in chats if other != chat and other not in together[chat])
        assert catalogue.text("intro.note", note=NOTE) in parts[0].plain_text  # under the header, whole
        seated = len(others) + 1
        if seated == 2:
            assert catalogue.like("intro").fullmatch(parts[0].plain_text) and len(parts) == 1
            continue
        header = catalogue.text("intro.header_trio", community=COMMUNITY[:128]) if seated == 3 else \
            catalogue.text("intro.header_group", community=COMMUNITY[:128], count=seated)
        assert parts[0].plain_text.startswith(header)
        assert all(m.plain_text.startswith(catalogue.text("intro.continued", community=COMMUNITY[:128]))
                   for m in parts[1:])
        for name in others:  # what the reader shares with each other member, under that member's card
            assert catalogue.like("intro.with", name=name).search(shown)
        assert not catalogue.like("intro").fullmatch(parts[0].plain_text)  # no "why you two" to three or more
        if catalogue.text("intro.chat_you") in shown:
            creators.append(chat)
        else:
            assert any(catalogue.text("intro.chat_they", name=name) in shown for name in others)
    groups = {frozenset([chat, *others]) for chat, others in together.items()}
    assert len(groups) == (1 if size < 10 else 2)  # ten people in groups of five: two groups
    if size > 2:
        assert len(creators) == len(groups)  # one member of each group creates its chat; the others are told who


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_trio_member_is_told_only_the_interests_they_share_with_each_partner(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    catalogue = CATALOGUES[language]
    seeded = await community_with_members(sessionmaker, 3)
    picked = {0: ["it", "design"], 1: ["it", "finance"], 2: ["design", "finance"]}
    unrelated = [("gardening", "sailing"), ("pottery", "chess"), ("baking", "running")]  # nobody helps anybody
    async with sessionmaker() as session:
        for index, chat in enumerate(seeded.member_telegram_ids):
            member = await session.scalar(select(User).where(User.telegram_id == chat))
            assert member is not None
            member.language, member.interests = language, picked[index]
            member.offers, member.needs = unrelated[index]
        await session.commit()
    await run_round(person, bot, sessionmaker)
    names = {chat: f"Member{index}" for index, chat in enumerate(seeded.member_telegram_ids)}
    for index, chat in enumerate(seeded.member_telegram_ids):
        shown = "\n".join(m.plain_text for m in intro_of(tg, chat, catalogue))
        claims = catalogue.like("intro.why.interests")
        claimed = [found["interests"] for line in shown.splitlines()
                   if (found := claims.fullmatch(line.removeprefix("• ")))]
        expected = []
        for other, partner in enumerate(seeded.member_telegram_ids):
            if partner == chat:
                continue
            (tag,) = set(picked[index]) & set(picked[other])
            label = catalogue.text(f"tag.{tag}")
            expected.append(label)
            why = Html("• " + catalogue.html("intro.why.interests", interests=label))
            assert catalogue.text("intro.with", name=names[partner], why=why) in shown
        assert sorted(claimed) == sorted(expected)  # and nothing they did not pick


@pytest.mark.parametrize("members", [0, 1])
async def test_a_round_that_matches_nobody_says_what_happened(
    person: PersonFactory, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], members: int,
) -> None:
    await community_with_members(sessionmaker, members)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    said = summaries.nobody_matched(admin.catalogue, "Founders", members) if members else \
        summaries.empty(admin.catalogue, "Founders")
    assert said in await run_round(person, bot, sessionmaker)


# --- a message Telegram refuses for good is reported to the admins ----------------------------------------


@pytest.mark.parametrize("admin_language", ["en", "ru"])
async def test_a_refused_intro_is_reported_to_the_admins_once(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
    admin_language: str,
) -> None:
    seeded = await community_with_members(sessionmaker, 4)
    refused, blocked = seeded.member_telegram_ids[0], seeded.member_telegram_ids[1]
    async with sessionmaker() as session:
        admin = await session.scalar(select(User).where(User.telegram_id == ADMIN_TELEGRAM_ID))
        assert admin is not None
        admin.language = admin_language
        await session.commit()
    description = "Bad Request: chat not found"
    tg.fail(chat_id=refused, error_code=400, description=description, times=None)
    tg.block(blocked)
    summary = await run_round(person, bot, sessionmaker, admin_language)
    catalogue = CATALOGUES[admin_language]
    assert summaries.done(catalogue, "Founders", summaries.pairs(catalogue, 2), left_out=0, introduced=4) in summary
    await Jobs(sessionmaker).housekeeping()
    await deliver(bot, sessionmaker)
    reports = [m for m in tg.messages(ADMIN_TELEGRAM_ID)
               if m.plain_text.startswith(catalogue.text("delivery.report", community="Founders", count=1))]
    assert len(reports) == 1
    assert_fits(reports)
    line = catalogue.text("delivery.line", name="Member0", what=catalogue.html("delivery.kind.intro"),
                          error=description)
    assert line in reports[0].plain_text and "Member1" not in reports[0].plain_text  # a block is not a failure
    await Jobs(sessionmaker).housekeeping()
    await deliver(bot, sessionmaker)
    assert len([m for m in tg.messages(ADMIN_TELEGRAM_ID) if m.plain_text == reports[0].plain_text]) == 1


async def test_a_report_of_many_failures_is_split_and_a_failed_report_is_not_reported(
    tg: FakeTelegram, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 80)
    async with sessionmaker() as session:
        people = list(await session.scalars(select(User).where(User.telegram_id.in_(seeded.member_telegram_ids))))
        for member in people:
            member.display_name = longest(member.display_name or "", LIMIT[Step.NAME], "Long-Name ")
        error = ("Bad Request: " + "something odd happened " * 20)[:300]
        session.add_all([OutboxMessage(chat_id=member.telegram_id, user_id=member.id, kind="left_out", text="x",
                                       community_id=seeded.id, status=OutboxStatus.FAILED, error=error)
                         for member in people])
        await session.commit()
        assert await delivery_reports.report_failed_deliveries(session, utcnow()) == 1
        reports = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "delivery_report")))
        assert len(reports) > 1 and all(telegram_length(report.text) <= MESSAGE_LIMIT for report in reports)
        shown = "\n".join(html_to_plain(report.text) for report in reports)
        assert all(member.display_name in shown for member in people)
        for report in reports:  # the report itself refused: not reported again
            report.status, report.error = OutboxStatus.FAILED, "Bad Request: chat not found"
        await session.commit()
        assert await delivery_reports.report_failed_deliveries(session, utcnow()) == 0
        unreported = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                          .where(OutboxMessage.reported_at.is_(None)))
        assert unreported == 0


# --- long lists ------------------------------------------------------------------------------------------


async def test_invite_for_forty_communities_is_split_under_the_limit(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        owner = User(telegram_id=ADMIN_TELEGRAM_ID, first_name="Olga", language="ru")
        session.add(owner)
        await session.flush()
        for number in range(40):
            community = Community(name=longest(f"Community {number:02d}", 128, "Очень длинное название & "),
                                  invite_code=new_invite_code(), tags=[], owner_id=owner.id, description="")
            session.add(community)
            await session.flush()
            session.add(CommunityAdmin(community_id=community.id, user_id=owner.id))
        await session.commit()
    admin = person(ADMIN_TELEGRAM_ID, "Olga", language_code="ru")
    replies = await admin.say("/invite")
    assert len(replies) > 1
    assert_fits(replies)
    shown = "\n".join(m.plain_text for m in replies)
    assert [f"Community {number:02d}" in shown for number in range(40)] == [True] * 40


async def test_network_of_thirty_people_is_split_under_the_limit(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 31, name=COMMUNITY[:128])
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        people = list(await session.scalars(select(User).where(User.telegram_id.in_(seeded.member_telegram_ids))
                                            .order_by(User.telegram_id)))
        for member in people:
            member.display_name = longest(member.display_name or "", LIMIT[Step.NAME], "Long-Name ")
            member.username, member.contact = None, longest("mail", LIMIT[Step.CONTACT], " me & you")
        people[0].timezone, people[0].utc_offset = "Asia/Tokyo", 540
        await session.commit()
        for week, partner in enumerate(people[1:]):
            new_round = Round(community_id=community.id, period=f"week-{week}",
                              created_at=utcnow() - timedelta(days=7 * (week + 1)), checkin_due_at=utcnow())
            session.add(new_round)
            await session.flush()
            match = Match(round_id=new_round.id, reasons={}, is_repeat=False, first_writer_id=people[0].id)
            session.add(match)
            await session.flush()
            session.add_all([MatchMember(match_id=match.id, user_id=people[0].id),
                             MatchMember(match_id=match.id, user_id=partner.id)])
        await session.commit()
        assert len(await checkins.network(session, people[0])) == 30
    reader = person(seeded.member_telegram_ids[0], "Member0")
    replies = await reader.say("/network")
    assert len(replies) > 1
    assert_fits(replies)
    shown = "\n".join(m.plain_text for m in replies)
    assert all(member.display_name in shown for member in people[1:])
    assert shown.count("(Asia/Tokyo)") == 30  # each meeting's day in the reader's own zone, the zone named


def test_reader_language_catalogues_are_gender_neutral_in_intros() -> None:
    """Russian intro texts keep names in the nominative and assume no gender (issue 11, point 6)."""
    russian = {key: value for key, value in catalog("ru").items() if key.startswith("intro")}
    assert [key for key, value in russian.items() if any(word in value for word in ("первым", "оба ", "помочь {"))] \
        == []
