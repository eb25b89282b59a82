"""/delete erases a person everywhere: queued messages that carry their card, reasons that quote them,
meetup seats and rosters, the SQLite files — and the people they were about to meet are told, without a name.
"Find me a new partner" is only for someone whose partner really dropped out."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import CheckinAnswer, Match, MatchMember, Meetup, OutboxMessage, Outcome, User
from bot.services import meetups
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, FIRST_MEMBER, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import create_meetup, deliver, matches_by_chat, run_matchnow

SECRET = "Zebra7731"  # in the erased person's name, about, offers and needs


async def erasable_round(person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
                         count: int = 4) -> tuple[Person, dict[int, list[int]]]:
    """A community whose first member carries SECRET everywhere, one round made (intros queued, unsent);
    returns that member and the round's matches as Telegram ids."""
    await community_with_members(sessionmaker, count)
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id == FIRST_MEMBER).values(
            display_name=f"Anna {SECRET}", about=f"{SECRET} builds kites", offers=f"{SECRET} kite lessons",
            needs=f"{SECRET} hiring advice", languages=["en", "de"], offer_topics=["hiring"], need_topics=["sales"]))
        await session.commit()
    await run_matchnow(person(ADMIN_TELEGRAM_ID, "Olga"))
    return person(FIRST_MEMBER, "Anna"), await matches_by_chat(sessionmaker)


async def erase(member: Person) -> None:
    await member.say("/delete")
    assert member.tr("delete.done") in plain(await member.press_key("delete.yes"))


async def stored_texts(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessionmaker() as session:
        outbox = [f"{row.text}{row.reply_markup or ''}{row.error or ''}"
                  for row in await session.scalars(select(OutboxMessage))]
        reasons = [str(reasons) for reasons in await session.scalars(select(Match.reasons))]
    return outbox + reasons


async def test_queued_intros_and_reasons_forget_the_person(
        person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    anna, matches = await erasable_round(person, sessionmaker)
    assert any(SECRET in text for text in await stored_texts(sessionmaker))
    async with sessionmaker() as session:  # check-in answers by her and about her
        seats = (await session.execute(select(MatchMember.match_id, MatchMember.user_id))).tuples().all()
        session.add_all(CheckinAnswer(match_id=match, user_id=reader, partner_id=partner, outcome=Outcome.MET)
                        for match, reader in seats for other_match, partner in seats
                        if match == other_match and reader != partner)
        await session.commit()
    await erase(anna)
    assert not [text for text in await stored_texts(sessionmaker) if SECRET in text]
    async with sessionmaker() as session:
        erased = await session.scalar(select(User).where(User.deleted_at.is_not(None)))
        assert erased is not None and (erased.languages, erased.offer_topics, erased.need_topics) == (None, None, None)
        assert await session.scalar(select(func.count()).select_from(CheckinAnswer).where(
            (CheckinAnswer.user_id == erased.id) | (CheckinAnswer.partner_id == erased.id))) == 0
        assert await session.scalar(select(func.count()).select_from(CheckinAnswer)) == 2  # the other pair's
    partner_id = next(ids for ids in matches.values() if FIRST_MEMBER in ids)[1]
    await deliver(bot, sessionmaker)
    partner = person(partner_id, "Partner")
    received = plain(tg.messages(partner_id))
    assert SECRET not in received and "Anna" not in received
    assert partner.tr("erased.partner_left", community="Founders") in received
    assert partner.tr("blocked.nobody_free") in plain(await partner.press_key("blocked.find_new"))
    assert [m.plain_text for m in tg.messages(FIRST_MEMBER)] == [anna.tr("delete.done")]  # her intro never went


async def test_sent_messages_keep_no_copy(
        person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    anna, _ = await erasable_round(person, sessionmaker)
    assert await deliver(bot, sessionmaker) == 4
    async with sessionmaker() as session:
        assert set(await session.scalars(select(OutboxMessage.text))) == {""}
    await erase(anna)
    assert not [text for text in await stored_texts(sessionmaker) if SECRET in text]
    async with sessionmaker() as session:  # the bare rows of her own messages no longer name her chat
        chats = set(await session.scalars(select(OutboxMessage.chat_id).where(OutboxMessage.kind == "intro")))
    assert FIRST_MEMBER not in chats


async def test_sqlite_files_hold_no_copy(person: PersonFactory, bot: Bot, database_url: str,
                                         sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's dead row versions go with autovacuum (README, Privacy)")
    anna, _ = await erasable_round(person, sessionmaker)
    await deliver(bot, sessionmaker)
    await erase(anna)
    path = Path(database_url.split("///", 1)[1])
    for file in (path, path.with_name(path.name + "-wal")):
        if file.exists():
            assert SECRET.encode() not in file.read_bytes(), file


async def test_a_forged_or_repeated_find_new_partner_makes_no_match(
        person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    _, matches = await erasable_round(person, sessionmaker)
    first, second = (ids[0] for ids in matches.values())  # two people whose partners are still there
    for telegram_id, match_id in zip((first, second), matches, strict=True):
        member = person(telegram_id, "Member")
        await member.press_data(f"rp:{match_id}")
        assert member.answers()[-1] == member.label("button.stale")
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Match)) == len(matches)


async def test_a_second_press_after_a_replacement_finds_nobody_twice(
        person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    anna, matches = await erasable_round(person, sessionmaker, count=4)
    partner_id = next(ids for ids in matches.values() if FIRST_MEMBER in ids)[1]
    other_pair = next(ids for ids in matches.values() if FIRST_MEMBER not in ids)
    tg.block(other_pair[1])
    await erase(anna)
    await deliver(bot, sessionmaker)  # the other pair's partner is unreachable: paused, his partner is alone
    alone = person(other_pair[0], "Alone")
    assert alone.tr("blocked.nobody_free") in plain(await alone.press_key("blocked.find_new"))
    partner = person(partner_id, "Partner")
    assert "✅" in plain(await partner.press_key("blocked.find_new"))
    async with sessionmaker() as session:
        made = await session.scalar(select(func.count()).select_from(Match))
    await partner.press_data(f"rp:{next(m for m, ids in matches.items() if FIRST_MEMBER in ids)}")
    assert partner.answers()[-1] == partner.label("button.stale")
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Match)) == made


async def test_queued_rosters_are_rewritten_without_the_person(
        person: PersonFactory, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    anna, _ = await erasable_round(person, sessionmaker, count=3)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await create_meetup(admin, size="4")
    await deliver(bot, sessionmaker)  # the invitations
    for telegram_id in (FIRST_MEMBER, FIRST_MEMBER + 1, FIRST_MEMBER + 2):
        await person(telegram_id, "Member", username=f"user{telegram_id}").press_key("meetup.yes")
    async with sessionmaker() as session:
        meetup = await session.scalar(select(Meetup))
        assert meetup is not None and await meetups.form_meetup_groups(session, meetup) is not None
    async with sessionmaker() as session:
        rosters = list(await session.scalars(select(OutboxMessage.text).where(OutboxMessage.kind == "roster")))
    assert len(rosters) == 3 and all(SECRET in text for text in rosters)
    await erase(anna)
    async with sessionmaker() as session:
        rosters = list(await session.scalars(select(OutboxMessage.text).where(OutboxMessage.kind == "roster")))
    assert len(rosters) == 2 and not [text for text in rosters if SECRET in text]
