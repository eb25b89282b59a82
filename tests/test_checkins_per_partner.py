"""Check-ins ask a trio's or group's reader about each partner and keep each answer: /network lists only the
people a reader met, a pair's check-in reads and works as before, a forged answer about someone who is not a
partner is refused, and /delete erases the answers (the migration's copy of older answers: test_migrations)."""

from __future__ import annotations

import pytest
from aiogram import Bot
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import CheckinAnswer, Community, MatchMember, Outcome, User
from bot.presentation.callbacks import CheckinAboutCb, CheckinCb
from bot.presentation.texts import MESSAGE_LIMIT, telegram_length
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, FIRST_MEMBER, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import deliver, matches_by_chat, run_matchnow


async def checked_in_round(person: PersonFactory, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession],
                           count: int, language: str = "en", group_size: int = 2) -> tuple[int, list[Person]]:
    """`count` members speaking `language` in one match (a pair, a trio or a group of `group_size`), the
    intros delivered and the admin's /checkin delivered; returns the match and its people in seat order."""
    seeded = await community_with_members(sessionmaker, count)
    async with sessionmaker() as session:
        await session.execute(update(User).values(language=language))
        await session.execute(update(Community).values(round_group_size=group_size))
        await session.commit()
    admin = person(ADMIN_TELEGRAM_ID, "Olga", language_code=language)
    await run_matchnow(admin)
    await deliver(bot, sessionmaker)
    assert admin.tr("checkin_now.done", count=count) in plain(await admin.say("/checkin"))
    await deliver(bot, sessionmaker)
    ((match_id, chats),) = (await matches_by_chat(sessionmaker)).items()
    assert sorted(chats) == seeded.member_telegram_ids
    return match_id, [person(chat, name(chat), username=f"user{chat}", language_code=language) for chat in chats]


def name(chat: int) -> str:
    return f"Member{chat - FIRST_MEMBER}"


async def user_id(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int) -> int:
    async with sessionmaker() as session:
        found = await session.scalar(select(User.id).where(User.telegram_id == telegram_id))
        assert found is not None
        return found


async def answers(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[tuple[int, int], Outcome]:
    """Every check-in answer as (reader, partner) Telegram ids → outcome (0 for an erased person)."""
    async with sessionmaker() as session:
        chats = dict((await session.execute(select(User.id, User.telegram_id))).tuples().all())
        rows = await session.scalars(select(CheckinAnswer))
        return {(chats[row.user_id] or 0, chats[row.partner_id] or 0): row.outcome for row in rows}


def network_names(member: Person, shown: str) -> list[str]:
    return [found["name"] for line in shown.splitlines() if (found := member.like("network.line").fullmatch(line))]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_trio_reader_is_asked_about_each_partner_and_network_lists_only_who_they_met(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    match_id, (anna, boris, clara) = await checked_in_round(person, bot, sessionmaker, 3, language)
    first = anna.last
    assert first is not None
    assert anna.tr("checkin.each") in first.plain_text
    assert anna.tr("checkin.about", name=boris.user.first_name, number=1, count=2) in first.plain_text
    assert first.button_texts == [anna.label("checkin.met"), anna.label("checkin.planned"),
                                  anna.label("checkin.not_met"), anna.label("checkin.block", name="Member1")]

    second = (await anna.press_key("checkin.met"))[-1]
    assert second.edited and second.message_id == first.message_id  # one message, edited on to the next person
    assert anna.tr("checkin.answer.met", name="Member1") in second.plain_text
    assert anna.tr("checkin.about", name="Member2", number=2, count=2) in second.plain_text
    assert anna.label("checkin.block", name="Member2") in second.button_texts

    done = plain(await anna.press_key("checkin.not_met"))
    assert anna.tr("checkin.answer.met", name="Member1") in done
    assert anna.tr("checkin.answer.not_met", name="Member2") in done
    assert anna.tr("checkin.rate", names="Member1") in done  # the rating is about the meeting that happened
    assert anna.tr("checkin.thanks_comment") in plain(await anna.press("⭐⭐⭐⭐"))

    assert await answers(sessionmaker) == {(anna.id, boris.id): Outcome.MET, (anna.id, clara.id): Outcome.NOT_MET}
    anna_id = await user_id(sessionmaker, anna.id)
    async with sessionmaker() as session:
        seat = await session.get(MatchMember, (match_id, anna_id))
        assert seat is not None and (seat.outcome, seat.rating) == (Outcome.MET, 4)  # met someone: "met"

    assert network_names(anna, plain(await anna.say("/network"))) == ["Member1"]
    # Clara has not answered: Anna's "we did not meet" stands for her too
    assert network_names(clara, plain(await clara.say("/network"))) == ["Member1"]
    # Boris has planned to meet both: the planned reply, nothing to rate; both stay in his network
    await boris.press_key("checkin.planned")
    final = plain(await boris.press_key("checkin.planned"))
    assert boris.tr("checkin.answer.planned", name="Member0") in final
    assert boris.tr("checkin.planned_reply") in final
    assert sorted(network_names(boris, plain(await boris.say("/network")))) == ["Member0", "Member2"]


async def test_nobody_met_asks_why_in_group_words_and_records_it(
    person: PersonFactory, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    match_id, (anna, boris, clara) = await checked_in_round(person, bot, sessionmaker, 3)
    await anna.press_key("checkin.not_met")
    await anna.press_key("checkin.not_met")
    assert anna.label("checkin.reason.no_answer_group") in anna.buttons()
    assert anna.tr("checkin.sorry") in plain(await anna.press_key("checkin.reason.no_answer_group"))
    async with sessionmaker() as session:
        seats = {seat.user_id: seat for seat in await session.scalars(select(MatchMember))}
    seat = seats[await user_id(sessionmaker, anna.id)]
    assert (seat.outcome, seat.no_reason is not None) == (Outcome.NOT_MET, True)
    assert network_names(anna, plain(await anna.say("/network"))) == []
    # a reason pressed by someone who met a partner is out of date
    await boris.press_key("checkin.met")
    await boris.press_key("checkin.met")
    await boris.press_data(f"nr:{match_id}:no_answer")
    assert boris.answers()[-1] == boris.label("button.stale")
    assert clara.last is not None and clara.tr("checkin.each") in clara.last.plain_text  # still open for her


async def test_a_one_question_check_in_of_a_trio_asks_about_each_person_instead(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A check-in sent before a trio was asked about each partner has the pair's buttons: one answer about two
    people is not taken, the question about the first partner is asked instead."""
    match_id, (anna, _, _) = await checked_in_round(person, bot, sessionmaker, 3)
    old = tg.messages(anna.id)[0]  # her intro stands in for a check-in message sent before
    data = CheckinCb(match_id=match_id, answer=Outcome.MET.value).pack()
    replies = await anna.feed(anna.updates.callback(anna.user, data, old.message_id))
    assert anna.tr("checkin.about", name="Member1", number=1, count=2) in plain(replies)
    assert await answers(sessionmaker) == {}


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_pair_check_in_reads_and_works_as_before(
    person: PersonFactory, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    _, (anna, boris) = await checked_in_round(person, bot, sessionmaker, 2, language)
    asked = anna.last
    assert asked is not None and asked.plain_text == anna.tr("checkin.question", names="Member1")
    assert asked.button_texts == [anna.label("checkin.met"), anna.label("checkin.planned"),
                                  anna.label("checkin.not_met"), anna.label("checkin.block", name="Member1")]
    assert plain(await anna.press_key("checkin.met")) == anna.tr("checkin.rate", names="Member1")
    assert plain(await boris.press_key("checkin.not_met")) == boris.tr("checkin.why_not")
    assert boris.buttons() == [boris.label(f"checkin.reason.{reason}")
                               for reason in ("no_answer", "i_could_not", "other")]
    assert plain(await boris.press_key("checkin.reason.i_could_not")) == boris.tr("checkin.sorry")
    assert await answers(sessionmaker) == {(anna.id, boris.id): Outcome.MET, (boris.id, anna.id): Outcome.NOT_MET}
    assert network_names(anna, plain(await anna.say("/network"))) == ["Member1"]  # her own answer counts for her


async def test_a_forged_answer_about_someone_not_asked_about_is_stale(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    match_id, (anna, boris, clara) = await checked_in_round(person, bot, sessionmaker, 3)
    stranger = person(4000, "Stranger")
    await stranger.say("/help")
    ids = {chat: await user_id(sessionmaker, chat) for chat in (anna.id, boris.id, clara.id, stranger.id)}

    def about(partner: int, answer: str = "met", match: int = match_id) -> str:
        data = CheckinAboutCb(match_id=match, partner_id=ids.get(partner, partner), answer=answer).pack()
        assert len(data.encode()) <= 64
        return data

    forged = [(stranger, about(boris.id)),  # the presser is not in the match
              (anna, about(stranger.id)),  # the partner is not in the match
              (anna, about(anna.id)),  # nor is one's own self a partner
              (anna, about(boris.id, "maybe")),  # not an answer
              (anna, about(boris.id, match=match_id + 1)),  # no such match
              (anna, about(2**31 - 1))]
    for presser, data in forged:
        await presser.press_data(data)
        assert presser.answers()[-1] == presser.label("button.stale"), data
    assert await answers(sessionmaker) == {}
    assert len(CheckinAboutCb(match_id=2**31 - 1, partner_id=-(2**31), answer=Outcome.NOT_MET.value)
               .pack().encode()) <= 64
    # someone who said they can't make it is not asked about, and an answer about them is stale
    await clara.press_key("intro.cant_make_it")
    await person(ADMIN_TELEGRAM_ID, "Olga").say("/checkin")  # asked again: Clara is left out of it
    await deliver(bot, sessionmaker)
    assert anna.last is not None and anna.last.plain_text == anna.tr("checkin.question", names="Member1")
    await anna.press_data(about(clara.id))
    assert anna.answers()[-1] == anna.label("button.stale")
    assert len([m for m in tg.messages(clara.id) if clara.tr("checkin.each") in m.plain_text]) == 1
    await anna.press_key("checkin.met")
    assert await answers(sessionmaker) == {(anna.id, boris.id): Outcome.MET}


async def test_a_group_of_eight_is_asked_about_seven_people_within_telegrams_limits(
    person: PersonFactory, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    _, people = await checked_in_round(person, bot, sessionmaker, 8, "ru", group_size=8)
    reader, partners = people[0], people[1:]
    for number, partner in enumerate(partners, start=1):
        asked = reader.last
        assert asked is not None and len(asked.button_texts) == 4  # three answers and a block: nothing grows
        assert reader.tr("checkin.about", name=partner.user.first_name, number=number, count=7) in asked.plain_text
        assert telegram_length(asked.text) <= MESSAGE_LIMIT
        await reader.press_key("checkin.met" if number == 3 else "checkin.not_met")
    final = reader.last
    assert final is not None and reader.tr("checkin.rate", names="Member3") in final.plain_text
    assert sum(reader.tr("checkin.answer.not_met", name=p.user.first_name) in final.plain_text
               for p in partners) == 6
    assert network_names(reader, plain(await reader.say("/network"))) == ["Member3"]


async def test_delete_erases_check_in_answers_by_and_about_the_person(
    person: PersonFactory, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    _, (anna, boris, clara) = await checked_in_round(person, bot, sessionmaker, 3)
    for member, first, second in ((anna, "checkin.met", "checkin.not_met"), (boris, "checkin.met", "checkin.planned")):
        await member.press_key(first)
        await member.press_key(second)
    assert len(await answers(sessionmaker)) == 4
    await anna.say("/delete")
    assert anna.tr("delete.done") in plain(await anna.press_key("delete.yes"))
    assert await answers(sessionmaker) == {(boris.id, clara.id): Outcome.PLANNED}
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(CheckinAnswer).where(
            CheckinAnswer.user_id.in_(select(User.id).where(User.deleted_at.is_not(None))))) == 0
