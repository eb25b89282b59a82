"""/stats (summary and charts as photos) and /export (CSV documents) through the real Dispatcher, for the
community's admins only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community, MatchMember, MeetingFormat, Meetup, MeetupRsvp, Outcome, User
from bot.presentation.callbacks import ExportCb, StatsCb
from bot.services import rounds
from tests.conftest import PersonFactory
from tests.support.factories import ADMIN_TELEGRAM_ID, Seeded, community_with_members
from tests.support.fake_telegram import FakeTelegram, SentMessage

PNG = b"\x89PNG\r\n\x1a\n"


async def _with_a_round_and_checkins(sessionmaker: async_sessionmaker[AsyncSession]) -> Seeded:
    seeded = await community_with_members(sessionmaker, 6)
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        assert await rounds.create_round(session, community, "week-1", utcnow()) is not None
        seats = list(await session.scalars(select(MatchMember).order_by(MatchMember.user_id)))
        for index, seat in enumerate(seats[:4]):
            seat.outcome = Outcome.MET if index < 3 else Outcome.NOT_MET
            seat.rating = 5 if index < 3 else None
            seat.comment = "=SUM(A1:A9) great chat" if index == 0 else None
        await session.execute(update(User).where(User.telegram_id == seeded.member_telegram_ids[5])
                              .values(display_name="+1 Анна"))
        meetup = Meetup(community_id=seeded.id, title="@Friday drinks", starts_at=utcnow() + timedelta(days=2),
                        rsvp_deadline=utcnow() + timedelta(days=1), meeting_format=MeetingFormat.OFFLINE)
        session.add(meetup)
        await session.flush()
        session.add_all([MeetupRsvp(meetup_id=meetup.id, user_id=seat.user_id, coming=index == 0)
                         for index, seat in enumerate(seats[:2])])
        await session.commit()
    return seeded


def _photos(tg: FakeTelegram, chat_id: int) -> list[SentMessage]:
    return [message for message in tg.messages(chat_id) if message.document is not None
            and message.document.data.startswith(PNG)]


async def test_stats_sends_a_summary_and_readable_charts(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], tg: FakeTelegram,
) -> None:
    await _with_a_round_and_checkins(sessionmaker)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    replies = await admin.say("/stats")
    summary = replies[0].plain_text
    assert summary.startswith(admin.tr("stats.summary", community="Founders", members=6, active=6, paused=0, left=0,
                                       banned=0, profiles=6, rounds=1, introductions=6, latest="", interests="")
                              .split("\n")[0])
    assert admin.like("stats.latest", matched=6, left_out=0, answered=4, met_rate="75%", rating="5.0").search(summary)
    photos = _photos(tg, admin.id)
    assert [photo.plain_text for photo in photos] == [admin.tr(f"stats.caption.{name}") for name in (
        "members", "participation", "checkins", "topics", "connections")]
    assert all(len(photo.document.data) > 20_000 for photo in photos if photo.document)  # drawn, not empty


async def test_a_new_community_gets_words_not_empty_axes(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], tg: FakeTelegram,
) -> None:
    await community_with_members(sessionmaker, 1)
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id == ADMIN_TELEGRAM_ID).values(language="ru"))
        await session.commit()
    admin = person(ADMIN_TELEGRAM_ID, "Olga", language_code="ru")
    replies = await admin.say("/stats")
    assert admin.tr("stats.no_rounds").strip() in replies[0].plain_text
    assert replies[-1].plain_text == admin.tr("stats.little_data")
    assert _photos(tg, admin.id) == []


async def test_export_sends_four_safe_csv_files(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], tg: FakeTelegram,
) -> None:
    await _with_a_round_and_checkins(sessionmaker)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/export")
    documents = {message.document.filename.split("-")[2]: message.document.data.decode("utf-8-sig")
                 for message in tg.messages(admin.id) if message.document is not None}
    assert sorted(documents) == ["checkins", "members", "rounds", "sessions"]
    tables = {kind: list(csv.reader(io.StringIO(data))) for kind, data in documents.items()}
    assert tables["members"][0][:3] == ["user_id", "name", "username"]
    assert len(tables["members"]) == 7 and len(tables["checkins"]) == 7
    assert [(row[1], row[7]) for row in tables["sessions"][1:]] == [("'@Friday drinks", "yes"),
                                                                    ("'@Friday drinks", "no")]
    assert len(tables["rounds"]) == 4 and {row[4] for row in tables["rounds"][1:]} == {"2"}
    names = [row[1] for row in tables["members"][1:]]
    assert "'+1 Анна" in names  # a spreadsheet would have taken it for a formula
    comments = [row[8] for row in tables["checkins"][1:] if row[8]]
    assert comments == ["'=SUM(A1:A9) great chat"]
    assert any("+1 Анна" in row[6] for row in tables["rounds"][1:])
    cells = [value for table in tables.values() for row in table for value in row]
    assert not [value for value in cells if value.startswith(("=", "+", "-", "@"))]


async def test_stats_and_export_are_for_the_community_admins_only(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], tg: FakeTelegram,
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    member = person(seeded.member_telegram_ids[0], "Member0")
    for command in ("/stats", "/export"):
        assert (await member.say(command))[-1].plain_text == member.tr("admin.none")
    for data in (StatsCb(community_id=seeded.id).pack(), ExportCb(community_id=seeded.id).pack()):
        assert await member.press_data(data) == []
        assert member.answers()[-1] == member.label("admin.not_admin")
    for data in (f"st:{2**63}", "ex:-1", "st:²"):
        await member.press_data(data)
        assert member.answers()[-1] in (member.label("admin.not_admin"), member.label("button.stale"))
    assert all(message.document is None for message in tg.all_messages())
