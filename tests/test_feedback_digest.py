"""Issue 12, points 8 and 9: after a round's check-ins close, each admin gets a feedback digest once (however many
replicas run housekeeping), in their language, comments without names and escaped; the same digest from /stats;
/moments turns a group post about how many coffees happened on and off. Rights are checked on every press."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import (
    Community,
    CommunityAdmin,
    MatchMember,
    OutboxMessage,
    Round,
    User,
)
from bot.domain.zones import community_zone
from bot.jobs import Jobs
from bot.notifications import COMMUNITY_MOMENT, FEEDBACK_DIGEST
from bot.presentation import moments
from bot.presentation.callbacks import FeedbackCb, MomentsCb
from bot.services import feedback
from tests.conftest import PersonFactory
from tests.support.driver import plain
from tests.support.factories import ADMIN_TELEGRAM_ID, Seeded, community_run_by, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.feedback import CO_ADMIN, COMMENT, GROUP_CHAT, closed_round
from tests.support.journeys import deliver

OTHER_ADMIN = 3
REPLICAS = 3


async def _member_names(sessionmaker: async_sessionmaker[AsyncSession], seeded: Seeded) -> list[str]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(User.first_name).where(
            User.telegram_id.in_(seeded.member_telegram_ids))))


async def test_each_admin_gets_the_digest_once_in_their_language_without_names(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await closed_round(sessionmaker)
    async with sessionmaker() as session:
        assert await feedback.send_due_digests(session, utcnow() - timedelta(days=2)) == 0  # still open
    await asyncio.gather(*(Jobs(sessionmaker).housekeeping() for _ in range(REPLICAS)))
    await Jobs(sessionmaker).housekeeping()  # and again later: nothing new
    async with sessionmaker() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind).where(
            OutboxMessage.kind.in_([FEEDBACK_DIGEST, COMMUNITY_MOMENT]))))
    assert kinds == [FEEDBACK_DIGEST, FEEDBACK_DIGEST]  # Olga and Ivan, once each; moments are off by default
    await deliver(bot, sessionmaker)
    names = await _member_names(sessionmaker, seeded)
    for admin in (person(ADMIN_TELEGRAM_ID, "Olga"), person(CO_ADMIN, "Иван", language_code="ru")):
        (digest,) = [message for message in tg.messages(admin.id)
                     if admin.like("feedback.header", community="Founders", number=1).search(message.plain_text)]
        text = digest.plain_text
        spoken = admin.catalogue.texts
        assert admin.like("feedback.numbers", matched=6, coffees=2, answered=4, met_rate=spoken.percent(0.75),
                          unanswered=2).search(text)
        assert admin.like("feedback.ratings", average=spoken.decimal(4), rated=3).search(text)
        assert admin.like("feedback.no_shows", no_shows=1, cant=0).search(text)
        assert admin.tr("feedback.comment", stars="★★★★★", comment=COMMENT) in text
        assert "&lt;b&gt;Great&lt;/b&gt; chat &amp; tea" in digest.text  # escaped: shown as written
        assert not [name for name in names if name in text]
    assert tg.messages(GROUP_CHAT) == []


async def test_the_digest_from_stats_and_its_rights(
    person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await closed_round(sessionmaker)
    other = await community_with_members(sessionmaker, 2, name="Elsewhere", first=5000)
    async with sessionmaker() as session:
        stranger = User(telegram_id=OTHER_ADMIN, first_name="Petr", language="en", interests=[])
        session.add(stranger)
        await session.flush()
        session.add(CommunityAdmin(community_id=other.id, user_id=stranger.id))
        await session.commit()
        round_id = await session.scalar(select(Round.id).where(Round.community_id == seeded.id))
        assert round_id is not None
    ivan = person(CO_ADMIN, "Иван", language_code="ru")
    await ivan.say("/stats")
    replies = await ivan.press_key("feedback.button", number=1)
    assert ivan.like("feedback.header", community="Founders", number=1).search(plain(replies))
    assert COMMENT in plain(replies)

    member = person(seeded.member_telegram_ids[0], "Member0")
    assert await member.press_data(FeedbackCb(community_id=seeded.id, round_id=round_id).pack()) == []
    assert member.answers()[-1] == member.label("admin.not_admin")
    petr = person(OTHER_ADMIN, "Petr")
    assert await petr.press_data(FeedbackCb(community_id=seeded.id, round_id=round_id).pack()) == []
    assert petr.answers()[-1] == petr.label("admin.not_admin")
    assert await petr.press_data(FeedbackCb(community_id=other.id, round_id=round_id).pack()) == []  # forged
    assert petr.answers()[-1] == petr.label("button.stale")
    assert not [m for m in tg.messages(OTHER_ADMIN) + tg.messages(member.id) if COMMENT in m.plain_text]


async def test_moments_post_how_many_coffees_in_the_group_once_turned_on(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await closed_round(sessionmaker)
    member = person(seeded.member_telegram_ids[0], "Member0")
    assert plain(await member.say("/moments")) == member.tr("admin.none")
    assert await member.press_data(MomentsCb(community_id=seeded.id, action="on").pack()) == []
    assert member.answers()[-1] == member.label("admin.not_admin")
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id == ADMIN_TELEGRAM_ID).values(language="ru"))
        await session.commit()
    olga = person(ADMIN_TELEGRAM_ID, "Olga", language_code="ru")
    assert olga.tr("moments.state_off", community="Founders") in plain(await olga.say("/moments"))
    await olga.press_key("moments.turn_on")
    assert olga.answers()[-1] == olga.label("moments.turned_on")
    assert olga.last is not None and olga.tr("moments.state_on", community="Founders") in olga.last.plain_text
    assert await olga.press_data(MomentsCb(community_id=seeded.id, action="on").pack()) == []  # a second tap
    assert olga.answers()[-1] == olga.label("moments.turned_on")  # no error: the same text stays
    async with sessionmaker() as session:
        assert await session.scalar(select(Community.moments).where(Community.id == seeded.id)) is True
    await asyncio.gather(*(Jobs(sessionmaker).housekeeping() for _ in range(REPLICAS)))
    await deliver(bot, sessionmaker)
    posts = [message.plain_text for message in tg.messages(GROUP_CHAT)]
    assert posts == [olga.tr("moments.post", community="Founders", coffees=2)]  # in the owner's language
    assert "встречи за кофе" in posts[0]  # a real plural: 2 встречи, not 2 встреч
    names = await _member_names(sessionmaker, seeded)
    assert not [name for name in names if name in posts[0]]

    await olga.say("/moments")
    await olga.press_key("moments.turn_off")
    assert olga.answers()[-1] == olga.label("moments.turned_off")
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Community).where(Community.moments)) == 0


async def test_moments_plural_forms() -> None:
    from bot.presentation.feedback_views import moment
    from bot.presentation.texts import Texts

    ru, en = Texts("ru"), Texts("en")
    assert "состоялась 1 встреча за кофе" in moment(ru, "X", 1)
    assert "состоялись 3 встречи за кофе" in moment(ru, "X", 3)
    assert "состоялось 5 встреч за кофе" in moment(ru, "X", 5)
    assert "состоялась 21 встреча за кофе" in moment(ru, "X", 21)
    assert "1 coffee happened" in moment(en, "X", 1)
    assert "2 coffees happened" in moment(en, "X", 2)
    assert "&lt;b&gt;" in moment(en, "<b>", 2)


async def test_moments_for_the_community_picked(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    first = await community_with_members(sessionmaker, 2)
    second = await community_with_members(sessionmaker, 2, name="Second", first=5000)
    olga = person(ADMIN_TELEGRAM_ID, "Olga")
    assert olga.tr("admin.pick_community") in plain(await olga.say("/moments"))
    await olga.press("Second")
    assert olga.last is not None
    assert olga.tr("moments.state_off", community="Second") + olga.tr("moments.no_group") == olga.last.plain_text
    await olga.press_key("moments.turn_on")
    third = await community_run_by(sessionmaker, OTHER_ADMIN, "Petr", "Third", language="ru")  # another only
    petr_chat = person(OTHER_ADMIN, "Petr", language_code="ru")
    for action in ("on", "off", "show"):
        assert await petr_chat.press_data(MomentsCb(community_id=first.id, action=action).pack()) == []
        assert petr_chat.answers()[-1] == petr_chat.label("admin.not_admin")
    await olga.press_data(MomentsCb(community_id=second.id, action="maybe").pack())  # tampered
    assert olga.answers()[-1] == olga.label("button.stale")
    async with sessionmaker() as session:
        on = dict((await session.execute(select(Community.id, Community.moments))).tuples().all())
    assert on == {first.id: False, second.id: True, third.id: False}


def test_a_long_digest_is_split_under_the_limit_and_shows_the_latest_comments() -> None:
    from bot.presentation.feedback_views import COMMENTS_SHOWN, digest
    from bot.presentation.texts import Texts, telegram_length
    from bot.services.feedback import RoundFeedback

    comments = [(index % 5 + 1, f"#{index:04d} " + "<&> " * 74) for index in range(2000)]  # 300 characters each
    found = RoundFeedback(round_id=1, number=7, created_at=utcnow(), matched=4000, answered=3000, met=2500,
                          coffees=1500, no_shows=3, cant_make_it=2, ratings={5: 30, 4: 20}, comments=comments)
    for language in ("en", "ru"):
        texts = Texts(language)
        parts = digest(texts, "Founders", found, community_zone("UTC"))
        assert 1 < len(parts) <= 4 and all(telegram_length(part) <= 4096 for part in parts)
        joined = "".join(parts)
        shown = [index for index in range(2000) if f"#{index:04d} " in joined]
        assert shown and shown == list(range(2000 - len(shown), 2000)) and len(shown) <= COMMENTS_SHOWN  # latest
        assert texts("feedback.latest_comments", count=len(shown)) in joined
        assert texts("feedback.comments", count=2000) in joined
        assert "<&>" not in joined  # escaped


def test_a_short_digest_shows_every_comment_numbers_as_the_language_writes_them_and_the_readers_day() -> None:
    from bot.presentation.feedback_views import digest
    from bot.presentation.texts import Texts
    from bot.services.feedback import RoundFeedback

    evening = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # Wednesday in UTC, already Thursday in Tokyo
    found = RoundFeedback(round_id=1, number=2, created_at=evening, matched=4, answered=4, met=3, coffees=2,
                          no_shows=0, cant_make_it=0, ratings={5: 1, 4: 1}, comments=[(5, "first"), (4, "second")])
    tokyo = community_zone("Asia/Tokyo")
    for language, average, rate in (("en", "4.5", "75%"), ("ru", "4,5", "75\xa0%")):
        texts = Texts(language)
        joined = "".join(digest(texts, "Founders", found, tokyo))
        assert texts("feedback.header", community="Founders", number=2,
                     date=moments.day(texts, evening, tokyo)) in joined
        assert "Asia/Tokyo" in joined and ("Thu" in joined or "чт" in joined)
        assert "first" in joined and "second" in joined
        assert texts("feedback.latest_comments", count=2) not in joined
        assert f"{average} " in joined and rate in joined


async def _commenter(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        chat = await session.scalar(select(User.telegram_id).join(MatchMember, MatchMember.user_id == User.id)
                                    .where(MatchMember.comment == COMMENT))
    assert chat is not None
    return chat


async def test_deleting_a_commenter_drops_unsent_digests_that_quote_them(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await closed_round(sessionmaker)
    tg.block(CO_ADMIN)  # Ivan blocked the bot: his digest fails and would keep its text
    await Jobs(sessionmaker).housekeeping()
    await deliver(bot, sessionmaker)  # Olga's is sent (and blanked), Ivan's failed
    await Jobs(sessionmaker).housekeeping()
    async with sessionmaker() as session:  # a later digest still waiting to go
        session.add(OutboxMessage(chat_id=ADMIN_TELEGRAM_ID, kind=FEEDBACK_DIGEST, text=COMMENT,
                                  community_id=await session.scalar(select(Community.id))))
        await session.commit()
    commenter = person(await _commenter(sessionmaker), "Member0")
    await commenter.say("/delete")
    await commenter.press_key("delete.yes")
    async with sessionmaker() as session:
        kept = list(await session.scalars(select(OutboxMessage.text).where(OutboxMessage.kind == FEEDBACK_DIGEST)))
    assert all(text == "" for text in kept)  # only the sent one's bare row
    olga = person(ADMIN_TELEGRAM_ID, "Olga")
    await olga.say("/stats")
    rebuilt = plain(await olga.press_key("feedback.button", number=1))
    assert olga.like("feedback.header", community="Founders", number=1).search(rebuilt)
    assert COMMENT not in rebuilt


async def test_a_moments_post_the_group_refuses_is_reported_to_the_admins(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await closed_round(sessionmaker, moments=True)
    tg.block(GROUP_CHAT)  # the bot was removed from the linked group
    await Jobs(sessionmaker).housekeeping()
    await deliver(bot, sessionmaker)
    await Jobs(sessionmaker).housekeeping()
    await deliver(bot, sessionmaker)
    olga = person(ADMIN_TELEGRAM_ID, "Olga")
    ivan = person(CO_ADMIN, "Иван", language_code="ru")
    for admin in (olga, ivan):
        (report,) = [m.plain_text for m in tg.messages(admin.id)
                     if m.plain_text.startswith(admin.tr("delivery.report", community="Founders", count=1))]
        assert admin.tr("delivery.line", name=admin.tr("delivery.linked_group"),
                        what=admin.tr("delivery.kind.community_moment"),
                        error=admin.tr("delivery.removed_from_group")) in report
        assert admin.tr("delivery.footer") not in report  # nobody to reach another way
