"""/announce: the admin writes, sees the copy as members will with the number of recipients, sends once; copies go
through the outbox to active members with a finished profile who have not muted announcements; at most
PER_WINDOW per WINDOW; members mute and unmute; rights on every command and press; a block is reported; /delete
drops queued copies. Through the real Dispatcher, the outbox worker and the fake Telegram server, on both
databases, in English and Russian."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import (
    Announcement,
    AnnouncementStatus,
    Community,
    CommunityAdmin,
    Membership,
    MembershipStatus,
    OutboxMessage,
    OutboxStatus,
    User,
)
from bot.domain.announcements import PER_WINDOW, TEXT_LIMIT, WINDOW
from bot.jobs import Jobs
from bot.presentation import announcements as views
from bot.presentation.announcements import AnnounceCb, AnnouncementsMuteCb
from bot.presentation.texts import MESSAGE_LIMIT, Texts
from bot.services import announcements
from tests.conftest import PersonFactory
from tests.support.catalogue import Catalogue
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram, SentMessage, html_to_plain
from tests.support.journeys import deliver

Sessions = async_sessionmaker[AsyncSession]
ODD = "Hi <b>all</b> & <script>x</script>: coffee at 5 > 4 &amp; bring \"friends\""


async def set_language(sessionmaker: Sessions, telegram_id: int, language: str) -> None:
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id == telegram_id).values(language=language))
        await session.commit()


async def admin(person: PersonFactory, sessionmaker: Sessions, language: str = "en") -> Person:
    await set_language(sessionmaker, ADMIN_TELEGRAM_ID, language)
    return person(ADMIN_TELEGRAM_ID, "Olga", language_code=language)


async def write(olga: Person, text: str, community: str = "Founders", count: int = 3) -> list[SentMessage]:
    """/announce and the text: the copy as members see it, then the confirmation with its buttons."""
    asked = plain(await olga.say("/announce"))
    assert asked == olga.tr("announce.ask", community=community, limit=TEXT_LIMIT, count=count)
    shown = await olga.say(text)
    assert len(shown) == 2
    assert shown[1].plain_text == olga.tr("announce.confirm", count=count, community=community)
    assert shown[1].button_texts == [olga.label("announce.send", count=count), olga.label("announce.cancel")]
    return shown


async def copies(sessionmaker: Sessions) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "announcement")
                                          .order_by(OutboxMessage.id)))


def announcement_in(tg: FakeTelegram, chat_id: int) -> list[SentMessage]:
    """The announcements a chat got: the messages whose one button mutes (or unmutes) from under them."""
    def under_announcement(message: SentMessage) -> bool:
        data = [data or "" for _, data in message.buttons]
        return len(data) == 1 and data[0].startswith("am:") and not AnnouncementsMuteCb.unpack(data[0]).listed

    return [m for m in tg.messages(chat_id) if under_announcement(m)]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_an_announcement_goes_once_to_active_members_as_previewed(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: Sessions, language: str,
) -> None:
    seeded = await community_with_members(sessionmaker, 6)
    reader_ru, paused, left, unfinished, *_ = seeded.member_telegram_ids
    await set_language(sessionmaker, reader_ru, "ru")
    async with sessionmaker() as session:  # who does not get it: paused, left (banned), an unfinished profile
        for telegram_id, status in ((paused, MembershipStatus.PAUSED), (left, MembershipStatus.LEFT)):
            await session.execute(update(Membership).where(Membership.user_id == select(User.id).where(
                User.telegram_id == telegram_id).scalar_subquery()).values(status=status, banned_at=utcnow()))
        await session.execute(update(User).where(User.telegram_id == unfinished).values(profile_confirmed_at=None))
        await session.commit()
    olga = await admin(person, sessionmaker, language)
    preview, confirm = await write(olga, ODD)
    assert preview.text == views.message(Texts(language), "Founders", ODD)
    assert preview.plain_text == f"{olga.tr('announce.header', community='Founders')}\n\n{ODD}"  # as typed
    assert await copies(sessionmaker) == []  # nothing queued before the confirmation

    send = confirm.buttons[0][1] or ""
    done = await olga.press_key("announce.send", count=3)
    assert plain(done) == olga.tr("announce.queued", count=3, community="Founders")
    assert await olga.press_data(send) == []  # a second press: stale, nothing more
    assert olga.answers()[-1] == olga.label("button.stale")
    assert len(await copies(sessionmaker)) == 3
    async with sessionmaker() as session:  # the text is not kept once the copies are queued
        sent = await session.scalar(select(Announcement))
        assert sent is not None and (sent.status, sent.text, sent.recipients) == (AnnouncementStatus.SENT, "", 3)

    await deliver(bot, sessionmaker)
    got = {chat for chat in seeded.member_telegram_ids if announcement_in(tg, chat)}
    assert got == set(seeded.member_telegram_ids) - {paused, left, unfinished}
    for chat in got:
        reader = Catalogue("ru" if chat == reader_ru else "en")
        (copy,) = announcement_in(tg, chat)
        assert copy.plain_text == f"{reader.text('announce.header', community='Founders')}\n\n{ODD}"
        assert copy.button_texts == [reader.label("announce.mute")]
    assert not announcement_in(tg, ADMIN_TELEGRAM_ID)  # the admin is no member here


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_cancel_text_only_and_the_length_limit(
    person: PersonFactory, sessionmaker: Sessions, language: str,
) -> None:
    await community_with_members(sessionmaker, 2)
    olga = await admin(person, sessionmaker, language)
    await olga.say("/announce")
    for update_ in (olga.updates.sticker(olga.user), olga.updates.photo(olga.user, caption="Party!")):
        assert plain(await olga.feed(update_)) == olga.tr("announce.text_only")
    too_long = "😀" * (TEXT_LIMIT // 2) + "x"  # an emoji counts twice, as Telegram counts
    assert plain(await olga.say(too_long)) == olga.tr("announce.too_long", length=TEXT_LIMIT + 1, limit=TEXT_LIMIT)
    await write_after_ask(olga, "Fine now")
    send = olga.tg.buttons(olga.id)[0][1] or ""
    assert plain(await olga.press_key("announce.cancel")) == olga.tr("announce.cancelled")
    assert await olga.press_data(send) == []  # the cancelled draft's button
    assert olga.answers()[-1] == olga.label("button.stale")

    await olga.say("/announce")
    assert plain(await olga.say("/cancel")) == olga.tr("announce.cancelled")
    await olga.say("/announce")  # another command stops the writing and runs
    assert olga.tr("members.header", community="Founders", total=2, page=1, pages=1) in plain(
        await olga.say("/members"))


async def write_after_ask(olga: Person, text: str) -> None:
    shown = await olga.say(text)
    assert len(shown) == 2 and shown[0].plain_text.endswith(text)


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_the_longest_announcement_fits_for_every_reader(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: Sessions, language: str,
) -> None:
    name = ("Founders & <Friends> " * 7)[:128]
    seeded = await community_with_members(sessionmaker, 2, name=name)
    await set_language(sessionmaker, seeded.member_telegram_ids[0], "ru")
    olga = await admin(person, sessionmaker, language)
    await olga.say("/announce")
    text = ("Пиво & <кофе> " * 400)[:TEXT_LIMIT]
    await write_after_ask(olga, text)
    await olga.press_key("announce.send", count=2)
    await deliver(bot, sessionmaker)
    for chat in seeded.member_telegram_ids:
        (copy,) = announcement_in(tg, chat)
        assert copy.plain_text.endswith(text)
        assert len(copy.plain_text.encode("utf-16-le")) // 2 <= MESSAGE_LIMIT


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_few_per_week_and_the_admin_told_when_the_next_is_possible(
    person: PersonFactory, sessionmaker: Sessions, language: str,
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    olga = await admin(person, sessionmaker, language)
    await olga.say("/announce")
    await write_after_ask(olga, "The last one this week")  # a draft written while a slot is free
    now = utcnow()
    async with sessionmaker() as session:  # PER_WINDOW sent meanwhile (one older than the window does not count)
        admin_id = await session.scalar(select(User.id).where(User.telegram_id == ADMIN_TELEGRAM_ID))
        ages = [WINDOW + timedelta(hours=1), *(timedelta(days=day) for day in range(PER_WINDOW, 0, -1))]
        session.add_all([Announcement(community_id=seeded.id, author_id=admin_id, status=AnnouncementStatus.SENT,
                                      sent_at=now - age, created_at=now - age) for age in ages])
        await session.commit()
    oldest_counted = now - timedelta(days=PER_WINDOW)
    when = views.moment(Texts(language), oldest_counted + WINDOW, "Europe/Berlin")  # the admin's own zone
    assert plain(await olga.press_key("announce.send", count=2)) == olga.tr(
        "announce.limit", community="Founders", limit=PER_WINDOW, when=when)
    assert await copies(sessionmaker) == []
    assert plain(await olga.say("/announce")) == olga.tr("announce.limit", community="Founders", limit=PER_WINDOW,
                                                          when=when)
    async with sessionmaker() as session:  # once the oldest counted one has left the window
        for sent in await session.scalars(select(Announcement).where(Announcement.status == AnnouncementStatus.SENT)):
            sent.sent_at = (sent.sent_at or now) - (oldest_counted + WINDOW - now) - timedelta(minutes=1)
        await session.commit()
    assert plain(await olga.press_key("announce.send", count=2)) == olga.tr(
        "announce.queued", count=2, community="Founders")


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_members_mute_and_unmute_without_leaving(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: Sessions, language: str,
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    muting_id = seeded.member_telegram_ids[0]
    async with sessionmaker() as session:  # the same person is in another community (not Olga's)
        other = Community(name="Runners", invite_code="runners", tags=[], description="")
        session.add(other)
        await session.flush()
        user_id = await session.scalar(select(User.id).where(User.telegram_id == muting_id))
        session.add(Membership(user_id=user_id or 0, community_id=other.id))
        await session.commit()
    await set_language(sessionmaker, muting_id, language)
    olga = await admin(person, sessionmaker)
    await write(olga, "First", count=2)
    await olga.press_key("announce.send", count=2)
    await deliver(bot, sessionmaker)
    member = person(muting_id, "Member0", language_code=language)
    muted = await member.press_key("announce.mute")
    assert member.answers()[-1] == member.label("announce.muted_alert", community="Founders")
    assert muted[-1].button_texts == [member.label("announce.unmute")]
    async with sessionmaker() as session:
        assert await session.scalar(select(Membership.status).join(User).where(
            User.telegram_id == muting_id, Membership.community_id == seeded.id)) == MembershipStatus.ACTIVE

    listed = (await member.say("/announcements"))[-1]
    assert listed.plain_text == member.tr("announcements.list")
    assert listed.button_texts == [member.label("announcements.muted", community="Founders"),
                                   member.label("announcements.on", community="Runners")]
    await write(olga, "Second", count=1)
    await olga.press_key("announce.send", count=1)
    await deliver(bot, sessionmaker)
    assert len(announcement_in(tg, muting_id)) == 1 and len(announcement_in(tg, seeded.member_telegram_ids[1])) == 2

    toggled = await member.press_key("announcements.muted", community="Founders")
    assert member.answers()[-1] == member.label("announce.unmuted_alert", community="Founders")
    assert toggled[-1].button_texts == [member.label("announcements.on", community="Founders"),
                                        member.label("announcements.on", community="Runners")]
    await member.press_key("announce.unmute")  # the old announcement's button: already on, stays on
    async with sessionmaker() as session:
        assert list(await session.scalars(select(Membership.announcements_muted).join(User).where(
            User.telegram_id == muting_id).order_by(Membership.community_id))) == [False, False]
    await member.press_data(AnnouncementsMuteCb(community_id=other.id + 100, mute=True).pack())
    assert member.answers()[-1] == member.label("button.stale")  # not a member there
    stranger = person(5555, "Stranger", language_code=language)
    assert plain(await stranger.say("/announcements")) == stranger.tr("announcements.none")


async def test_rights_on_every_command_and_press(person: PersonFactory, sessionmaker: Sessions) -> None:
    alpha = await community_with_members(sessionmaker, 2, name="Alpha")
    beta = await community_with_members(sessionmaker, 2, name="Beta", first=3000)
    async with sessionmaker() as session:  # Member0 of Beta runs Beta; Member1 of Alpha is a co-admin of Alpha
        for telegram_id, community_id in ((beta.member_telegram_ids[0], beta.id),
                                          (alpha.member_telegram_ids[1], alpha.id)):
            user_id = await session.scalar(select(User.id).where(User.telegram_id == telegram_id))
            session.add(CommunityAdmin(community_id=community_id, user_id=user_id or 0))
        await session.commit()
    olga = person(ADMIN_TELEGRAM_ID, "Olga")
    assert olga.tr("admin.pick_community") in plain(await olga.say("/announce"))  # Olga runs both
    assert plain(await olga.press("Alpha")) == olga.tr("announce.ask", community="Alpha", limit=TEXT_LIMIT, count=2)
    await write_after_ask(olga, "For Alpha")
    async with sessionmaker() as session:
        draft = await session.scalar(select(Announcement.id))
    send = AnnounceCb(community_id=alpha.id, announcement_id=draft or 0, action=views.SEND).pack()

    member = person(alpha.member_telegram_ids[0], "Member0")
    assert plain(await member.say("/announce")) == member.tr("admin.none")
    other_admin = person(beta.member_telegram_ids[0], "Member0")
    for presser in (member, other_admin):
        for data in (send, AnnounceCb(community_id=alpha.id).pack(),
                     AnnounceCb(community_id=alpha.id, announcement_id=draft or 0, action=views.CANCEL).pack()):
            assert await presser.press_data(data) == []
            assert presser.answers()[-1] == presser.label("admin.not_admin")
    co_admin = person(alpha.member_telegram_ids[1], "Member1")  # an admin of Alpha, but not the author
    forged = (send, AnnounceCb(community_id=alpha.id, announcement_id=2**31 - 1, action=views.SEND).pack(),
              AnnounceCb(community_id=alpha.id, announcement_id=draft or 0, action="boom").pack(),
              AnnounceCb(community_id=beta.id, announcement_id=draft or 0, action=views.SEND).pack())
    for data in forged[:3]:
        assert await co_admin.press_data(data) == []
        assert co_admin.answers()[-1] == co_admin.label("button.stale")
    assert await olga.press_data(forged[3]) == []  # Olga's draft is Alpha's, not Beta's
    assert olga.answers()[-1] == olga.label("button.stale")
    assert await olga.press_data("an:1:99999999999999999999:send") == []  # does not unpack
    assert await copies(sessionmaker) == []


async def test_a_double_confirm_at_the_same_moment_queues_once(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: Sessions,
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    olga = person(ADMIN_TELEGRAM_ID, "Olga")
    _, confirm = await write(olga, "Only once")
    data = confirm.buttons[0][1] or ""
    presses = [olga.updates.callback(olga.user, data, confirm.message_id) for _ in range(2)]
    await asyncio.gather(*(olga.dispatcher.feed_raw_update(olga.bot, press) for press in presses))
    assert not tg.errors
    assert len(await copies(sessionmaker)) == 3
    assert olga.answers().count(olga.label("button.stale")) == 1
    await deliver(bot, sessionmaker)
    assert all(len(announcement_in(tg, chat)) == 1 for chat in seeded.member_telegram_ids)


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_blocked_recipient_is_reported_to_the_admin(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: Sessions, language: str,
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    blocked = seeded.member_telegram_ids[0]
    tg.block(blocked)
    olga = await admin(person, sessionmaker, language)
    await write(olga, "Hello")
    await olga.press_key("announce.send", count=3)
    await deliver(bot, sessionmaker)
    await Jobs(sessionmaker).housekeeping()
    await deliver(bot, sessionmaker)
    reader = olga.catalogue
    reports = [m for m in tg.messages(ADMIN_TELEGRAM_ID)
               if m.plain_text.startswith(reader.text("delivery.report", community="Founders", count=1))]
    assert len(reports) == 1
    line = reader.text("delivery.line", name="Member0", what=reader.html("delivery.kind.announcement"),
                       error=reader.label("delivery.blocked"))
    assert line in reports[0].plain_text and "Member1" not in reports[0].plain_text
    async with sessionmaker() as session:  # as for an intro: the person who blocked the bot is paused
        status = await session.scalar(select(Membership.status).join(User).where(User.telegram_id == blocked))
        assert status == MembershipStatus.PAUSED
    await Jobs(sessionmaker).housekeeping()
    await deliver(bot, sessionmaker)
    assert len([m for m in tg.messages(ADMIN_TELEGRAM_ID) if m.plain_text == reports[0].plain_text]) == 1


async def test_delete_drops_the_queued_copy_and_an_unsent_draft(
    person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: Sessions,
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    erased = seeded.member_telegram_ids[0]
    olga = person(ADMIN_TELEGRAM_ID, "Olga")
    await write(olga, "Secret plans")
    await olga.press_key("announce.send", count=3)
    member = person(erased, "Member0")
    await member.say("/delete")
    await member.press_key("delete.yes")
    assert [row.chat_id for row in await copies(sessionmaker)] == seeded.member_telegram_ids[1:]
    await deliver(bot, sessionmaker)
    assert not announcement_in(tg, erased)

    await write(olga, "An unsent draft", count=2)
    await olga.say("/delete")
    await olga.press_key("delete.yes")
    async with sessionmaker() as session:
        drafts = await session.scalar(select(func.count()).select_from(Announcement)
                                      .where(Announcement.status == AnnouncementStatus.DRAFT))
        assert drafts == 0


def test_every_announcement_text_fits_and_escapes() -> None:
    """The longest copy in each language, with the longest community name a row can hold, is under the limit."""
    for language in ("en", "ru"):
        texts = Texts(language)
        body = "&<>\"'" * (TEXT_LIMIT // 5)
        shown = html_to_plain(views.message(texts, "W" * 128, body))
        assert shown.endswith(body) and len(shown.encode("utf-16-le")) // 2 <= MESSAGE_LIMIT
        assert len(texts.label("announce.muted_alert", community="W" * 64)) <= 200  # an alert's limit
        for data in (AnnounceCb(community_id=2**31 - 1, announcement_id=2**31 - 1, action=views.CANCEL),
                     AnnouncementsMuteCb(community_id=2**31 - 1, mute=True, listed=True)):
            assert len(data.pack().encode()) <= 64
    assert OutboxStatus.PENDING  # the copies are ordinary outbox rows


async def test_two_replicas_confirming_at_once_queue_once_and_keep_the_limit(sessionmaker: Sessions) -> None:
    """Two processes handling the same press (or two drafts of one community) at the same moment: each in its own
    session and connection, as two replicas would."""
    seeded = await community_with_members(sessionmaker, 3)
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        author = await session.scalar(select(User).where(User.telegram_id == ADMIN_TELEGRAM_ID))
        assert community is not None and author is not None
        first = await announcements.write_draft(session, community, author, "Once", utcnow())

    async def confirm(draft_id: int) -> announcements.Sending:
        async with sessionmaker() as session:
            return (await announcements.send(session, community, author, draft_id, utcnow())).outcome

    Sending = announcements.Sending
    assert sorted(await asyncio.gather(confirm(first.id), confirm(first.id)), key=str) == [Sending.QUEUED,
                                                                                           Sending.STALE]
    assert len(await copies(sessionmaker)) == 3

    async with sessionmaker() as session:  # one slot left this week, two drafts (two admins) confirmed at once
        co_admin = await session.scalar(select(User).where(User.telegram_id == seeded.member_telegram_ids[0]))
        assert co_admin is not None
        session.add(CommunityAdmin(community_id=community.id, user_id=co_admin.id))
        session.add(Announcement(community_id=community.id, status=AnnouncementStatus.SENT, sent_at=utcnow()))
        await session.commit()
        drafts = [await announcements.write_draft(session, community, person, "Race", utcnow())
                  for person in (author, co_admin)]

    async def confirm_as(person: User, draft_id: int) -> announcements.Sending:
        async with sessionmaker() as session:
            return (await announcements.send(session, community, person, draft_id, utcnow())).outcome

    outcomes = await asyncio.gather(confirm_as(author, drafts[0].id), confirm_as(co_admin, drafts[1].id))
    assert sorted(outcomes, key=str) == [Sending.LIMIT, Sending.QUEUED]
    assert len(await copies(sessionmaker)) == 6
