"""/preview: the next round as the engine would make it now, shown to the admin only; nothing is sent or recorded,
and the real round of the next period comes out the same."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community, MatchMember, Membership, MembershipStatus, OutboxMessage, Round, User
from bot.domain.schedule import Schedule, period_key
from bot.presentation.callbacks import PreviewCb
from bot.services import rounds
from tests.conftest import PersonFactory
from tests.support import summaries
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram

MATCH_LINE = re.compile(r"^\d+\. (.+?) — ", re.MULTILINE)


async def _counts(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessionmaker() as session:
        outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
        made = await session.scalar(select(func.count()).select_from(Round))
        return int(outbox or 0), int(made or 0)


async def test_preview_shows_the_round_the_engine_would_make_and_records_nothing(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], tg: FakeTelegram,
) -> None:
    seeded = await community_with_members(sessionmaker, 7)
    ended = utcnow() - timedelta(days=1)
    async with sessionmaker() as session:  # a pause that has ended: a round counts them in, a dry run too
        await session.execute(update(Membership).where(Membership.user_id == select(User.id).where(
            User.telegram_id == seeded.member_telegram_ids[6]).scalar_subquery())
            .values(status=MembershipStatus.PAUSED, paused_until=ended))
        await session.commit()
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    shown = await admin.say("/preview")
    text = "\n".join(message.plain_text for message in shown)
    assert admin.like("dryrun.header", community="Founders", eligible=7,
                      matches=summaries.pairs(admin.catalogue, 2, trios=1), left_out=0).search(text)
    assert admin.tr("dryrun.why.online") in text
    previewed = sorted(sorted(line.split(" + ")) for line in MATCH_LINE.findall(text))
    assert len(previewed) == 3 and sum(len(people) for people in previewed) == 7
    assert await _counts(sessionmaker) == (0, 0)
    assert all(message.chat_id == ADMIN_TELEGRAM_ID for message in tg.all_messages())
    async with sessionmaker() as session:
        still = await session.scalar(select(Membership.status).join(User).where(
            User.telegram_id == seeded.member_telegram_ids[6]))
        assert still is MembershipStatus.PAUSED

        community = await session.get(Community, seeded.id)
        assert community is not None
        now = utcnow()
        await rounds.create_round(session, community, period_key(Schedule.of(community).next(now)), now)
        seats = (await session.execute(select(MatchMember.match_id, User.display_name)
                                       .join(User, User.id == MatchMember.user_id))).all()
    made: dict[int, list[str]] = {}
    for match_id, name in seats:
        made.setdefault(match_id, []).append(name)
    assert sorted(sorted(names) for names in made.values()) == previewed


async def test_a_long_preview_is_split_under_telegrams_limit(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await community_with_members(sessionmaker, 120, long_about=True)
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    shown = await admin.say("/preview")  # the fake server refuses a message over 4,096 characters
    assert len(shown) > 1
    assert sum(len(MATCH_LINE.findall(message.plain_text)) for message in shown) == 60


async def test_small_group_rounds_and_an_empty_community(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 9, name="Alpha")
    empty = await community_with_members(sessionmaker, 0, name="Beta", first=5000)
    async with sessionmaker() as session:
        await session.execute(update(Community).where(Community.id == seeded.id).values(round_group_size=4))
        await session.execute(update(User).where(User.telegram_id == ADMIN_TELEGRAM_ID).values(language="ru"))
        await session.commit()
    admin = person(ADMIN_TELEGRAM_ID, "Olga", language_code="ru")
    picker = await admin.say("/preview")
    assert picker[-1].button_texts == ["Alpha", "Beta"]
    text = "\n".join(message.plain_text for message in await admin.press("Alpha"))
    assert len(MATCH_LINE.findall(text)) == 2
    assert admin.like("dryrun.header", community="Alpha", eligible=9, matches=summaries.groups(admin.catalogue, [5, 4]),
                      left_out=0).search(text)  # 9 ÷ 4 rounds to 2 groups
    assert (await admin.press_data(PreviewCb(community_id=empty.id).pack()))[-1].plain_text == admin.tr(
        "dryrun.empty", community="Beta")


async def test_preview_is_for_the_community_admins_only(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await community_with_members(sessionmaker, 4)
    member = person(seeded.member_telegram_ids[0], "Member0")
    assert (await member.say("/preview"))[-1].plain_text == member.tr("admin.none")
    for data, refusal in ((PreviewCb(community_id=seeded.id).pack(), "admin.not_admin"), ("pv:-1", "admin.not_admin"),
                          (f"pv:{2**63}", "button.stale")):  # beyond a database integer: the button does not unpack
        assert await member.press_data(data) == []
        assert member.answers()[-1] == member.label(refusal)
    assert await _counts(sessionmaker) == (0, 0)
