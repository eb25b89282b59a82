"""Meetup answers: the invitation shows the reader's own answer (yes / maybe / no), and the organiser sees who
answered, in pages under Telegram's limit, with every press re-checking their rights."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import Community, CommunityAdmin, MeetingFormat, Meetup, MeetupRsvp, User
from tests.conftest import PersonFactory
from tests.support.driver import plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import MEETUP_TITLE as TITLE
from tests.support.journeys import create_meetup, deliver

GROUP_CHAT = -1001234567


async def _language(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int, language: str) -> None:
    async with sessionmaker() as session:
        person = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        assert person is not None
        person.language = language
        await session.commit()


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_the_invitation_shows_the_readers_own_answer(
    language: str, person: PersonFactory, bot: Bot, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 3)
    async with sessionmaker() as session:
        community = await session.get(Community, seeded.id)
        assert community is not None
        community.chat_id = GROUP_CHAT
        await session.commit()
    alice_id, bob_id, _ = seeded.member_telegram_ids
    await _language(sessionmaker, alice_id, language)
    await create_meetup(person(ADMIN_TELEGRAM_ID, "Olga"))
    await deliver(bot, sessionmaker)
    alice = person(alice_id, "Member0", username=f"user{alice_id}", language_code=language)
    invitation = tg.last_message(alice_id)
    assert invitation is not None and TITLE in invitation.plain_text
    for key, status, others in (("meetup.yes", "meetup.status_yes", 1), ("meetup.maybe", "meetup.status_maybe", 0),
                                ("meetup.no", "meetup.status_no", 0)):
        edited = await alice.press_key(key)
        assert [message.message_id for message in edited] == [invitation.message_id]  # the invitation itself
        shown = edited[0].plain_text
        assert TITLE in shown and alice.tr(status, yes=others) in shown
        assert alice.label("meetup.chosen", label=alice.label(key)) in edited[0].button_texts
        assert alice.answers()[-1] == alice.label(key.replace("meetup.", "meetup.rsvp_"), title=TITLE)
    assert alice.tr("meetup.status_no", yes=0) in plain(await alice.say("/sessions"))
    # Pressed on the group chat's invitation: that shared message stays as it is; the answer comes in private.
    group_invitation = tg.last_message(GROUP_CHAT)
    assert group_invitation is not None
    bob = person(bob_id, "Member1", username=f"user{bob_id}")
    mark = tg.mark()
    await bob.feed(bob.updates.callback_from_button(bob.user, group_invitation, bob.label("meetup.maybe")))
    assert not group_invitation.edited
    private = [m for m in tg.messages(bob_id) if m.changed_seq > mark]
    assert [m.plain_text for m in private] == [bob.tr("meetup.rsvp_maybe", title=TITLE)]
    async with sessionmaker() as session:
        answers = {row.coming for row in await session.scalars(select(MeetupRsvp))}
    assert answers == {False, None}  # Alice: no; Bob: maybe


LONG_NAME = 64


def _name(index: int) -> str:
    """The longest display name a profile allows, with characters HTML must escape."""
    stem = f"N{index:03d} <b>&amp; Ко & Co</b> "
    return (stem + "x" * LONG_NAME)[:LONG_NAME]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_the_organiser_pages_through_300_answers_and_nobody_else_can(
    language: str, person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    seeded = await community_with_members(sessionmaker, 300)
    await _language(sessionmaker, ADMIN_TELEGRAM_ID, language)
    async with sessionmaker() as session:
        meetup = Meetup(community_id=seeded.id, title="Autumn <mixer>", starts_at=utcnow() + timedelta(days=7),
                        rsvp_deadline=utcnow() + timedelta(days=6), group_size=30,
                        meeting_format=MeetingFormat.ONLINE, place=None, by_interest=False)
        session.add(meetup)
        await session.flush()
        people = list(await session.scalars(select(User).where(User.telegram_id.in_(seeded.member_telegram_ids))
                                            .order_by(User.telegram_id)))
        for index, member in enumerate(people):
            member.display_name = _name(index)
            coming = True if index < 200 else None if index < 260 else False
            session.add(MeetupRsvp(meetup_id=meetup.id, user_id=member.id, coming=coming))
        other = Community(name="Other", invite_code="other-answers", tags=[], description="")  # run by member 1
        session.add(other)
        await session.flush()
        session.add(CommunityAdmin(community_id=other.id, user_id=people[1].id))
        await session.commit()
        meetup_id = meetup.id
    admin = person(ADMIN_TELEGRAM_ID, "Olga", language_code=language)
    listed = plain(await admin.say("/sessions"))
    assert admin.tr("meetup.organiser_status", yes=200, maybe=60, no=40) in listed
    button = admin.label("meetup.rsvps_button", yes=200, maybe=60, no=40)
    assert button in admin.buttons() and admin.label("meetup.yes") not in admin.buttons()  # not a member: no RSVP
    pages = await admin.press(button)
    assert len(pages) == 1  # the first page, as a new message under the session
    template = re.escape(admin.tr("meetup.rsvps_page", page=111111, pages=222222))
    page_line = re.compile(template.replace("111111", r"(\d+)").replace("222222", r"(\d+)"))
    seen: list[str] = []
    texts: list[str] = []
    while True:
        page = admin.last
        assert page is not None and len(page.text) <= 4096
        texts.append(page.plain_text)
        found = page_line.search(page.plain_text)
        assert found is not None
        seen += [line for line in page.plain_text.splitlines() if line[2:].startswith("N")]
        if "▶️" not in page.button_texts:
            break
        await admin.press("▶️")
    assert int(found.group(2)) == len(texts) > 1  # "Page n of n" on the last page
    assert all(admin.tr("meetup.rsvps_header", title="Autumn <mixer>", community="Founders", yes=200, maybe=60,
                        no=40, when="").split("\n")[0] in text for text in texts)
    assert len(seen) == 300 and len({line.split()[1] for line in seen}) == 300  # everyone once
    assert [line[0] for line in seen] == ["✅"] * 200 + ["🤔"] * 60 + ["🙅"] * 40
    assert any(f"{_name(7)} — @user{seeded.member_telegram_ids[7]}" in line for line in seen)  # escaped as text
    await admin.press("◀️")
    assert page_line.search(admin.last.plain_text).group(1) == str(len(texts) - 1)  # type: ignore[union-attr]
    await admin.press_data(f"sa:{meetup_id}:99")  # a made-up page: the last one, no error
    assert page_line.search(admin.last.plain_text).group(1) == str(len(texts))  # type: ignore[union-attr]

    member = person(seeded.member_telegram_ids[0], "Member0")
    other_admin = person(seeded.member_telegram_ids[1], "Member1")
    for outsider in (member, other_admin):
        before = len(tg.messages(outsider.id))
        await outsider.press_data(f"sa:{meetup_id}:0")
        assert outsider.answers()[-1] == outsider.label("admin.not_admin")
        await outsider.press_data(f"sa:{meetup_id}:-1")
        assert outsider.answers()[-1] == outsider.label("admin.not_admin")
        assert len(tg.messages(outsider.id)) == before  # nothing about who answered reached them
    await member.press_data("sa:987654:0")
    assert member.answers()[-1] == member.label("button.stale")
