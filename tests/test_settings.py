"""/settings (issue 12, point 3): the description shown on joining, the organisers' note in every intro, interest
tags and help topics, archive and delete — in English and Russian, on both databases, with rights checked on every
command, typed answer and press (a member, an admin of another community, forged and out-of-date buttons)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_dispatcher
from bot.config import Settings
from bot.db.models import Community, CommunityAdmin, Membership, MembershipStatus, OutboxMessage, Round, User
from bot.domain.community_settings import DESCRIPTION_LIMIT, ITEM_LIMIT, NOTE_LIMIT, fingerprint
from bot.domain.topics import catalogue
from bot.handlers.admin_settings import ACTIONS
from bot.jobs import Jobs
from bot.presentation import settings_views as views
from bot.presentation.settings_views import SettingsCb
from bot.presentation.texts import Texts
from bot.scheduler import RoundScheduler
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, community_with_members
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import deliver, run_matchnow
from tests.support.updates import TgUser, UpdateFactory

LANGUAGES = ["en", "ru"]


async def speaking(sessionmaker: async_sessionmaker[AsyncSession], telegram_ids: list[int], language: str) -> None:
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id.in_(telegram_ids)).values(language=language))
        await session.commit()


async def community(sessionmaker: async_sessionmaker[AsyncSession], community_id: int) -> Community:
    async with sessionmaker() as session:
        found = await session.get(Community, community_id)
        assert found is not None
        return found


async def interests_of(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int) -> User:
    async with sessionmaker() as session:
        found = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        assert found is not None
        return found


async def olga_in(person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
                  members: int = 2) -> tuple[Person, int, list[int]]:
    seeded = await community_with_members(sessionmaker, members)
    await speaking(sessionmaker, [ADMIN_TELEGRAM_ID, *seeded.member_telegram_ids], language)
    return person(ADMIN_TELEGRAM_ID, "Olga", language_code=language), seeded.id, seeded.member_telegram_ids


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_description_is_shown_on_joining_and_a_note_in_every_intro(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], tg: FakeTelegram, language: str,
) -> None:
    olga, community_id, members = await olga_in(person, sessionmaker, language)
    menu = (await olga.say("/settings"))[-1]
    assert menu.plain_text == olga.tr("settings.menu", community="Founders", description=olga.tr("settings.not_set"),
                                      note=olga.tr("settings.not_set"), tags=10, topics=16,
                                      status=olga.tr("settings.status_active"))
    asked = (await olga.press_key("settings.b_description"))[-1]
    assert asked.plain_text == olga.tr("settings.ask_description", community="Founders", limit=DESCRIPTION_LIMIT)
    await olga.feed(olga.updates.sticker(olga.user))
    assert olga.last is not None and olga.last.plain_text == olga.tr("settings.text_only")
    too_long = "x" * (DESCRIPTION_LIMIT + 1)
    assert plain(await olga.say(too_long)) == olga.tr("settings.problem_too_long", length=DESCRIPTION_LIMIT + 1,
                                                      limit=DESCRIPTION_LIMIT)
    description = "Founders <b>meet</b> & talk"
    saved = plain(await olga.say(description))
    assert saved.startswith(olga.tr("settings.saved")) and description in saved  # shown as typed, escaped

    async with sessionmaker() as session:
        code = (await session.get(Community, community_id)).invite_code  # type: ignore[union-attr]
    newcomer = person(7001, "Nina", language_code=language)
    welcome = plain(await newcomer.say(f"/start {code}"))
    assert newcomer.tr("start.description", description=description) in welcome

    await olga.say("/settings")
    await olga.press_key("settings.b_note")
    help_reply = plain(await olga.say("/help"))
    assert help_reply.endswith(olga.tr("settings.goes_on"))
    note = "We meet at <Café Einstein> & pay for ourselves"
    await olga.say(note)
    assert (await community(sessionmaker, community_id)).intro_note == note
    await run_matchnow(olga)
    await deliver(olga.bot, sessionmaker)
    for chat in members:
        intro = tg.messages(chat)[-1].plain_text
        assert olga.tr("intro.note", note=note) in intro

    await olga.say("/settings")
    await olga.press_key("settings.b_note")
    cleared = plain(await olga.press_key("settings.b_clear"))
    assert cleared.startswith(olga.tr("settings.note_cleared"))
    assert (await community(sessionmaker, community_id)).intro_note is None


@pytest.mark.parametrize("language", LANGUAGES)
async def test_cancel_keeps_the_setting_and_another_command_ends_the_wait(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    olga, community_id, _ = await olga_in(person, sessionmaker, language)
    await olga.say("/settings")
    await olga.press_key("settings.b_note")
    assert plain(await olga.say("/cancel")) == olga.tr("settings.cancelled")
    await olga.say("A note typed after /cancel")
    assert (await community(sessionmaker, community_id)).intro_note is None
    await olga.say("/settings")
    asked = plain(await olga.press_key("settings.b_note"))
    assert asked == olga.tr("settings.ask_note", community="Founders", limit=NOTE_LIMIT)
    await olga.say("/invite")  # another command: it runs, and the wait ends
    await olga.say("Typed after /invite")
    assert (await community(sessionmaker, community_id)).intro_note is None


def menu_header(admin: Person, name: str) -> str:
    return admin.tr("settings.menu", community=name, description="", note="", tags=0, topics=0, status="").split(
        "\n")[0]


def tag_button(olga: Person, tag: str) -> str:
    """A default tag's button reads as the catalogue names it."""
    return olga.label(f"tag.{tag}")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_tags_are_renamed_removed_added_and_moved_keeping_members_other_answers(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    olga, community_id, members = await olga_in(person, sessionmaker, language)
    assert (await interests_of(sessionmaker, members[0])).interests == ["entrepreneurship", "it"]
    await olga.say("/settings")
    listed = (await olga.press_key("settings.b_tags"))[-1]
    assert listed.plain_text == olga.tr("settings.tags", community="Founders", count=10)
    item = (await olga.press(tag_button(olga, "it")))[-1]
    assert item.plain_text == olga.tr("settings.item", name=tag_button(olga, "it"), position=6, count=10)
    await olga.press_key("settings.b_rename")
    assert plain(await olga.say("Marketing")) == olga.tr("settings.problem_taken", name="Marketing")
    renamed = "Software & <IT>"
    assert plain(await olga.say(renamed)).startswith(olga.tr("settings.saved"))
    assert (await community(sessionmaker, community_id)).tags[5] == renamed
    assert (await interests_of(sessionmaker, members[0])).interests == ["entrepreneurship", renamed]

    await olga.press(renamed)
    removed = plain(await olga.press_key("settings.b_remove"))
    assert removed.startswith(olga.tr("settings.removed", name=renamed))
    assert renamed not in (await community(sessionmaker, community_id)).tags
    assert (await interests_of(sessionmaker, members[0])).interests == ["entrepreneurship"]  # the other one kept
    assert (await interests_of(sessionmaker, members[1])).interests == ["management"]

    await olga.press_key("settings.b_add")
    assert plain(await olga.say("x" * (ITEM_LIMIT + 1))) == olga.tr(
        "settings.problem_too_long", length=ITEM_LIMIT + 1, limit=ITEM_LIMIT)
    await olga.say("Climate")
    await olga.press("Climate")
    await olga.press_key("settings.b_up")
    tags = (await community(sessionmaker, community_id)).tags
    assert tags[-2:] == ["Climate", "science"] and len(tags) == 10

    stale = SettingsCb(community_id=community_id, action=views.REMOVE_TAG, position=5, mark=fingerprint("it"))
    assert await olga.press_data(stale.pack()) == []
    assert olga.answers()[-1] == olga.label("button.stale")
    assert (await community(sessionmaker, community_id)).tags == tags


@pytest.mark.parametrize("language", LANGUAGES)
async def test_help_topics_are_renamed_removed_added_and_moved_keeping_members_other_answers(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    olga, community_id, members = await olga_in(person, sessionmaker, language)
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id == members[0]).values(
            offer_topics=["hiring", "sales"], need_topics=["design"]))
        await session.commit()
    await olga.say("/settings")
    listed = (await olga.press_key("settings.b_topics"))[-1]
    assert listed.plain_text == olga.tr("settings.topics", community="Founders", count=16)
    hiring, sales = ("Найм", "Продажи") if language == "ru" else ("Hiring", "Sales")
    await olga.press(hiring)
    await olga.press_key("settings.b_rename")
    await olga.say("Recruiting")
    topics = (await community(sessionmaker, community_id)).help_topics or []
    assert topics[0]["id"] == "hiring" and topics[0][language] == "Recruiting"
    assert topics[0]["ru" if language == "en" else "en"] == ("Найм" if language == "en" else "Hiring")

    await olga.press(sales)
    await olga.press_key("settings.b_remove")
    member = await interests_of(sessionmaker, members[0])
    assert (member.offer_topics, member.need_topics) == (["hiring"], ["design"])

    await olga.press_key("settings.b_add")
    await olga.say("Climate tech")
    await olga.press("Recruiting")
    await olga.press_key("settings.b_down")
    topics = (await community(sessionmaker, community_id)).help_topics or []
    assert [topic["id"] for topic in topics[:2]] == ["fundraising", "hiring"] and len(topics) == 16
    assert topics[-1]["en"] == topics[-1]["ru"] == "Climate tech" and topics[-1]["id"].startswith("c_")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_archiving_stops_rounds_and_tells_members_and_bringing_back_restarts_them(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], bot: Bot, tg: FakeTelegram, language: str,
) -> None:
    seeded = await community_with_members(sessionmaker, 2)
    await speaking(sessionmaker, [ADMIN_TELEGRAM_ID, *seeded.member_telegram_ids], language)
    jobs = Jobs(sessionmaker)
    scheduler = RoundScheduler(jobs.round, jobs.housekeeping)
    scheduler.start(await jobs.communities())
    try:
        dispatcher = create_dispatcher(settings, sessionmaker, scheduler=scheduler)
        olga = Person(TgUser(ADMIN_TELEGRAM_ID, "Olga", language_code=language), dispatcher, bot, tg, UpdateFactory())
        await olga.say("/settings")
        asked = plain(await olga.press_key("settings.b_archive"))
        assert asked == olga.tr("settings.archive_confirm", community="Founders", count=2)
        done = plain(await olga.press_key("settings.b_archive_yes", count=2))
        assert done.startswith(olga.tr("settings.archived", community="Founders", count=2))
        assert f"round:{seeded.id}" not in scheduler.job_ids()
        assert await olga.press_data(SettingsCb(community_id=seeded.id, action=views.ARCHIVE_YES).pack()) == []
        assert olga.answers()[-1] == olga.label("button.stale")  # a second press changes nothing
        assert await jobs.round(seeded.id) is None  # even a replica that still had the job runs no round
        async with sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Round)) == 0
        await deliver(bot, sessionmaker)
        for chat in seeded.member_telegram_ids:
            assert tg.messages(chat)[-1].plain_text == olga.tr("settings.member_archived", community="Founders")
        await olga.say("/matchnow")  # nor does an extra round
        assert plain(await olga.press_key("matchnow.yes")) == olga.tr("matchnow.archived", community="Founders")
        newcomer = Person(TgUser(7002, "Nina", language_code=language), dispatcher, bot, tg, UpdateFactory())
        code = (await community(sessionmaker, seeded.id)).invite_code
        assert newcomer.tr("start.archived", community="Founders") in plain(await newcomer.say(f"/start {code}"))
        async with sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Round)) == 0

        back = plain(await olga.press_key("settings.b_unarchive"))
        assert back.startswith(olga.tr("settings.unarchived", community="Founders", count=3))  # the newcomer too
        assert f"round:{seeded.id}" in scheduler.job_ids()
        await deliver(bot, sessionmaker)
        for chat in [*seeded.member_telegram_ids, 7002]:
            assert tg.messages(chat)[-1].plain_text == olga.tr("settings.member_unarchived", community="Founders")
        assert (await community(sessionmaker, seeded.id)).archived_at is None
    finally:
        scheduler.shutdown()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_deleting_erases_the_communitys_personal_data_after_confirmation(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], tg: FakeTelegram, language: str,
) -> None:
    olga, community_id, members = await olga_in(person, sessionmaker, language, members=3)
    await run_matchnow(olga)  # intros queued, not yet sent
    other = await community_with_members(sessionmaker, 2, name="Other", first=5000)
    async with sessionmaker() as session:  # linked to a group with a Join message
        await session.execute(update(Community).where(Community.id == community_id).values(
            chat_id=-100777, join_message_id=55))
        await session.commit()
    await olga.say("/settings")
    await olga.press("Founders")  # which community?
    asked = plain(await olga.press_key("settings.b_delete"))
    assert asked == olga.tr("settings.delete_confirm", community="Founders", count=3)
    assert await _count(sessionmaker, community_id) != (0, 0, 0, 0)
    done = plain(await olga.press_key("settings.b_delete_yes"))
    assert done == olga.tr("settings.deleted", community="Founders", count=3)
    assert await _count(sessionmaker, community_id) == (0, 0, 0, 0)
    assert [(call.params["chat_id"], call.params["message_id"]) for call in tg.calls_of("deleteMessage")] == \
        [(-100777, 55)]  # the group's Join button, which would lead nowhere now, is taken away (or tried)
    async with sessionmaker() as session:
        assert await session.get(Community, community_id) is None
        assert await session.get(Community, other.id) is not None  # other communities untouched
        kinds = list(await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.text != "")))
    assert kinds == ["community_notice"] * 3  # the queued intros (with people's cards) are gone
    await deliver(olga.bot, sessionmaker)
    for chat in members:
        assert [m.plain_text for m in tg.messages(chat)] == [olga.tr("settings.member_deleted", community="Founders")]
    assert await olga.press_data(SettingsCb(community_id=community_id, action=views.DELETE_YES).pack()) == []
    assert olga.answers()[-1] == olga.label("admin.not_admin")
    assert plain(await olga.say("/settings")).startswith(menu_header(olga, "Other"))  # the one she still runs


async def _count(sessionmaker: async_sessionmaker[AsyncSession], community_id: int) -> tuple[int, ...]:
    """Memberships, admins, rounds and messages about the community (pending or with text)."""
    async with sessionmaker() as session:
        counts = []
        for query in (select(func.count()).select_from(Membership).where(Membership.community_id == community_id),
                      select(func.count()).select_from(CommunityAdmin)
                      .where(CommunityAdmin.community_id == community_id),
                      select(func.count()).select_from(Round).where(Round.community_id == community_id),
                      select(func.count()).select_from(OutboxMessage).where(
                          OutboxMessage.kind.in_(["intro", "intro_more"]), OutboxMessage.text != "")):
            counts.append(int(await session.scalar(query) or 0))
        return tuple(counts)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_member_and_another_communitys_admin_are_refused_everywhere(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    alpha = await community_with_members(sessionmaker, 2, name="Alpha")
    beta = await community_with_members(sessionmaker, 2, name="Beta", first=3000)
    await speaking(sessionmaker, [*alpha.member_telegram_ids, *beta.member_telegram_ids], language)
    async with sessionmaker() as session:  # Member0 of Beta runs Beta only
        boss = await session.scalar(select(User.id).where(User.telegram_id == beta.member_telegram_ids[0]))
        session.add(CommunityAdmin(community_id=beta.id, user_id=boss or 0))
        await session.commit()
    before = await community(sessionmaker, alpha.id)
    member = person(alpha.member_telegram_ids[0], "Member0", language_code=language)
    other_admin = person(beta.member_telegram_ids[0], "Member0", language_code=language)
    assert plain(await member.say("/settings")) == member.tr("admin.none")
    assert plain(await other_admin.say("/settings")).startswith(menu_header(other_admin, "Beta"))  # their own only
    for presser in (member, other_admin):
        for action in ACTIONS:
            data = SettingsCb(community_id=alpha.id, action=action, position=0, mark=fingerprint(before.tags[0]))
            assert await presser.press_data(data.pack()) == []
            assert presser.answers()[-1] == presser.label("admin.not_admin")
    after = await community(sessionmaker, alpha.id)
    assert (after.tags, after.help_topics, after.description, after.intro_note, after.archived_at) == \
        (before.tags, before.help_topics, before.description, before.intro_note, None)


async def test_a_typed_answer_is_refused_once_rights_are_gone_and_unknown_buttons_are_out_of_date(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    olga, community_id, _ = await olga_in(person, sessionmaker, "en")
    await olga.press_data(SettingsCb(community_id=community_id, action="no-such-action").pack())
    assert olga.answers()[-1] == olga.label("button.stale")
    await olga.say("/settings")
    await olga.press_key("settings.b_note")
    async with sessionmaker() as session:
        await session.execute(delete(CommunityAdmin).where(CommunityAdmin.community_id == community_id))
        await session.commit()
    assert plain(await olga.say("A note from someone who no longer runs it")) == olga.tr("admin.not_admin")
    assert (await community(sessionmaker, community_id)).intro_note is None


async def test_a_removed_tag_stays_with_a_member_whose_other_community_still_offers_it(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    olga, community_id, members = await olga_in(person, sessionmaker, "en")
    other = await community_with_members(sessionmaker, 0, name="Other")
    async with sessionmaker() as session:  # Member0 is in Other too, which offers "it" as well
        member = await session.scalar(select(User).where(User.telegram_id == members[0]))
        session.add(Membership(user_id=member.id if member else 0, community_id=other.id))
        await session.commit()
    await olga.say("/settings")
    await olga.press("Founders")
    await olga.press_key("settings.b_tags")
    await olga.press(tag_button(olga, "it"))
    await olga.press_key("settings.b_remove")
    assert "it" not in (await community(sessionmaker, community_id)).tags
    assert (await interests_of(sessionmaker, members[0])).interests == ["entrepreneurship", "it"]  # Other has it
    assert (await interests_of(sessionmaker, members[1])).interests == ["management"]  # only Founders had it


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_name_is_changed_from_settings_as_with_rename(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    olga, community_id, _ = await olga_in(person, sessionmaker, language)
    await olga.say("/settings")
    asked = plain(await olga.press_key("settings.b_name"))
    assert asked == olga.tr("settings.ask_name", community="Founders", limit=64)
    assert plain(await olga.say("«»")) == olga.tr("settings.problem_empty")
    done = plain(await olga.say("«Berlin <Founders> & Co»"))
    assert done.startswith(olga.tr("admin.renamed", old="Founders", community="Berlin <Founders> & Co"))
    assert (await community(sessionmaker, community_id)).name == "Berlin <Founders> & Co"
    assert menu_header(olga, "Berlin <Founders> & Co") in done


async def test_a_fresh_process_schedules_no_rounds_for_an_archived_community(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    archived = await community_with_members(sessionmaker, 2, name="Archived")
    running = await community_with_members(sessionmaker, 2, name="Running", first=4000)
    async with sessionmaker() as session:
        await session.execute(update(Community).where(Community.id == archived.id).values(archived_at=func.now()))
        await session.commit()
    jobs = Jobs(sessionmaker)
    scheduler = RoundScheduler(jobs.round, jobs.housekeeping)
    scheduler.start(await jobs.communities())
    try:
        assert scheduler.job_ids() == {"housekeeping", f"round:{running.id}"}
        await jobs.catch_up()  # what start-up does: the running community's missed round only
        async with sessionmaker() as session:
            assert list(await session.scalars(select(Round.community_id))) == [running.id]
    finally:
        scheduler.shutdown()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_only_the_creator_deletes_and_any_admin_once_the_creators_account_is_gone(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    olga, community_id, members = await olga_in(person, sessionmaker, language)
    async with sessionmaker() as session:  # Member0 runs Founders too; Member1 has left
        co_id = await session.scalar(select(User.id).where(User.telegram_id == members[0]))
        session.add(CommunityAdmin(community_id=community_id, user_id=co_id or 0))
        await session.execute(update(Membership).where(
            Membership.community_id == community_id,
            Membership.user_id == select(User.id).where(User.telegram_id == members[1]).scalar_subquery())
            .values(status=MembershipStatus.LEFT))
        await session.commit()
    co_admin = person(members[0], "Member0", language_code=language)
    await co_admin.say("/settings")
    assert co_admin.label("settings.b_archive") in co_admin.buttons()
    assert co_admin.label("settings.b_delete") not in co_admin.buttons()
    for action in (views.DELETE, views.DELETE_YES):  # an old menu or forged data
        assert await co_admin.press_data(SettingsCb(community_id=community_id, action=action).pack()) == []
        assert co_admin.answers()[-1] == co_admin.label("settings.delete_owner_only")
    assert (await community(sessionmaker, community_id)).name == "Founders"
    await olga.say("/settings")
    assert olga.label("settings.b_delete") in olga.buttons()  # the creator's

    async with sessionmaker() as session:  # the creator's account is gone (erased)
        await session.execute(update(Community).where(Community.id == community_id).values(owner_id=None))
        await session.commit()
    await co_admin.say("/settings")
    asked = plain(await co_admin.press_key("settings.b_delete"))
    assert asked == co_admin.tr("settings.delete_confirm", community="Founders", count=1)  # the one who left: not
    done = plain(await co_admin.press_key("settings.b_delete_yes"))
    assert done.startswith(co_admin.tr("settings.deleted", community="Founders", count=1))
    async with sessionmaker() as session:
        assert await session.get(Community, community_id) is None


def test_russian_settings_texts_agree_with_any_count_and_any_name() -> None:
    """Grammar the catalogue keys alone cannot show: the verb agrees with "1 / 21 / 5 members", and no word
    agrees with a name (a tag, a topic, a community's name may be of any gender)."""
    ru = Texts("ru")
    for count, word in ((1, "участнику"), (21, "участнику"), (5, "участникам")):
        assert f"{count} {word}." in ru.label("settings.archive_confirm", community="X", count=count)
    ru_catalogue = json.loads((Path(__file__).parents[1] / "bot" / "locales" / "ru.json").read_text(encoding="utf-8"))
    for key in ("settings.removed", "settings.ask_rename"):
        assert not re.search(r"</b> (убрано|убран|убрана)|его выбрал|выбравших его", ru_catalogue[key]), key
    assert "Сообщество <b>{community}</b> удалено" in ru_catalogue["settings.deleted"]  # agrees with "Сообщество"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_new_tag_or_topic_may_not_repeat_an_existing_one_in_either_language(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    olga, community_id, _ = await olga_in(person, sessionmaker, language)
    await olga.say("/settings")
    await olga.press_key("settings.b_tags")
    await olga.press_key("settings.b_add")
    for name in ("Маркетинг", "MARKETING"):  # the default `marketing` reads "маркетинг" in Russian
        assert plain(await olga.say(name)) == olga.tr("settings.problem_taken", name=name)
    await olga.say("/settings")
    await olga.press_key("settings.b_tags")
    await olga.press(tag_button(olga, "it"))
    await olga.press_key("settings.b_rename")
    assert plain(await olga.say("Маркетинг")) == olga.tr("settings.problem_taken", name="Маркетинг")
    tags = (await community(sessionmaker, community_id)).tags
    assert "Маркетинг" not in tags and len(tags) == 10
    await olga.say("/settings")
    await olga.press_key("settings.b_topics")
    await olga.press_key("settings.b_add")
    for name in ("Найм", "hiring"):  # the default topic, in either language
        assert plain(await olga.say(name)) == olga.tr("settings.problem_taken", name=name)
    assert len(catalogue((await community(sessionmaker, community_id)).help_topics)) == 16


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_name_too_long_for_settings_is_refused_not_cut(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str,
) -> None:
    olga, community_id, _ = await olga_in(person, sessionmaker, language)
    await olga.say("/settings")
    await olga.press_key("settings.b_name")
    assert plain(await olga.say("«" + "x" * 65 + "»")) == olga.tr("settings.problem_too_long", length=65, limit=64)
    assert (await community(sessionmaker, community_id)).name == "Founders"
    done = plain(await olga.say("«" + "y" * 64 + "»"))  # the quotes are not part of the name: it fits
    assert done.startswith(olga.tr("admin.renamed", old="Founders", community="y" * 64))


async def test_removing_a_topic_keeps_never_answered_questions_unanswered(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    olga, community_id, members = await olga_in(person, sessionmaker, "en")
    async with sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id == members[0]).values(
            offer_topics=None, need_topics=["sales", "design"]))
        await session.commit()
    await olga.say("/settings")
    await olga.press_key("settings.b_topics")
    await olga.press("Sales")
    await olga.press_key("settings.b_remove")
    member = await interests_of(sessionmaker, members[0])
    assert (member.offer_topics, member.need_topics) == (None, ["design"])
    assert "sales" not in [topic["id"] for topic in (await community(sessionmaker, community_id)).help_topics or []]
