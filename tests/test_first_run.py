"""First run, as a new organiser and a new member meet it: one working Join message per group, /help anywhere,
/start that knows what the person runs and what they left unfinished, the creator joining their own community,
names without quotes, a warning on a duplicate name, /rename, and command menus per scope."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Community, Membership, User
from bot.services.communities import NAME_LIMIT
from tests.conftest import PersonFactory
from tests.support.driver import Person, plain
from tests.support.fake_telegram import FakeTelegram
from tests.support.journeys import create_community

GROUP = -100777
BOT_LINK = "https://t.me/coffee_test_bot"
LANGUAGES = ["en", "ru"]


def join_messages(tg: FakeTelegram, chat_id: int = GROUP) -> list[tuple[str, str]]:
    """(text, URL) of every message in the group that carries a button."""
    found = []
    for message in tg.messages(chat_id):
        for _, url in message.buttons:
            assert url is not None
            found.append((message.plain_text, url))
    return found


async def community_named(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> Community:
    async with sessionmaker() as session:
        community = await session.scalar(select(Community).where(Community.name == name))
    assert community is not None, name
    return community


async def in_group(someone: Person, text: str, title: str = "Founders chat") -> list[str]:
    """Say `text` in the group; the texts the bot posted there because of it."""
    mark = someone.tg.mark()
    await someone.dispatcher.feed_raw_update(someone.bot, someone.updates.group_message(someone.user, GROUP, title,
                                                                                        text))
    assert not someone.tg.errors
    return [m.plain_text for m in someone.tg.messages(GROUP) if m.changed_seq > mark]


# --- 1. the add-to-group link ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_add_to_group_link_leaves_exactly_one_working_join_button(
    person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession], language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    code = await create_community(olga, "Berlin Founders")
    tg.set_chat_admins(GROUP, [olga.id], creator=olga.id)
    # What Telegram sends for t.me/<bot>?startgroup=<code>: the bot is added, then "/start@bot <code>".
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "Founders chat"))
    await in_group(olga, f"/start@coffee_test_bot {code}")

    (text, url), = join_messages(tg)
    assert text == olga.tr("group.welcome", community="Berlin Founders")
    assert url == f"{BOT_LINK}?start={code}"
    async with sessionmaker() as session:
        names = list(await session.scalars(select(Community.name)))
        linked = await session.scalar(select(Community.name).where(Community.chat_id == GROUP))
    assert names == ["Berlin Founders"] and linked == "Berlin Founders"

    alice = person(2, "Alice", username="alice", language_code=language)
    replies = await alice.say(f"/start {url.split('start=')[1]}")  # the button works
    assert alice.tr("start.welcome", community="Berlin Founders") in plain(replies)
    assert alice.tr("start.bad_code") not in plain(replies)


async def test_the_join_message_is_reused_when_the_bot_is_added_again_and_forgotten_when_it_leaves(
    person: PersonFactory, tg: FakeTelegram
) -> None:
    olga = person(1, "Olga", username="olga")
    tg.set_chat_admins(GROUP, [olga.id], creator=olga.id)
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "HR Club"))
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "HR Club"))  # a repeated "added" update
    assert len(join_messages(tg)) == 1
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "HR Club", new_status="left", old_status="member"))
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "HR Club"))  # added again later: a fresh one
    assert len(join_messages(tg)) == 2 and join_messages(tg)[0][1] == join_messages(tg)[1][1]


# --- 2. /help anywhere; groups -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_help_in_the_middle_of_the_questionnaire_is_no_answer_and_the_questionnaire_goes_on(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    code = await create_community(olga, "Berlin Founders")
    alice = person(2, "Alice", username="alice", language_code=language)
    await alice.say(f"/start {code}")
    await alice.press_key("q.name.keep", name="Alice")
    replies = plain(await alice.say("/help"))
    assert alice.tr("help") in replies
    assert alice.tr("help.questionnaire_goes_on") in replies
    assert alice.like("q.about").search(replies)  # the question she is on, again
    assert alice.tr("q.command_mid_way") not in replies

    about = "I run a small design studio and love meeting founders."
    replies = plain(await alice.say(about))
    assert alice.like("q.interests").search(replies)  # the next question: /help was not taken as the answer
    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.telegram_id == alice.id))
    assert user is not None and user.about is None  # nothing saved before the profile is confirmed

    assert plain(await alice.say("/help")).startswith(alice.tr("help"))
    await alice.say("/cancel")
    assert plain(await alice.say("/help")) == alice.tr("help")  # outside the questionnaire: just the help


@pytest.mark.parametrize("language", LANGUAGES)
async def test_another_invite_link_in_the_middle_of_the_questionnaire_joins_and_the_questionnaire_goes_on(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    first = await create_community(olga, "Berlin Founders")
    second = await create_community(olga, "Design Guild")
    alice = person(2, "Alice", username="alice", language_code=language)
    await alice.say(f"/start {first}")
    await alice.press_key("q.name.keep", name="Alice")
    replies = plain(await alice.say(f"/start {second}"))
    assert alice.tr("start.welcome", community="Design Guild") in replies
    assert alice.tr("q.joined_mid_way") in replies
    assert alice.like("q.about").search(replies)  # the question she is on, again
    replies = plain(await alice.say("/start nosuchcode"))
    assert alice.tr("start.bad_code") in replies and alice.like("q.about").search(replies)
    assert alice.like("q.interests").search(plain(await alice.say("I run a small design studio in Berlin.")))
    async with sessionmaker() as session:
        joined = await session.scalars(select(Community.name).join(Membership).join(User)
                                       .where(User.telegram_id == alice.id).order_by(Community.name))
        assert list(joined) == ["Berlin Founders", "Design Guild"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_help_and_start_in_a_group_point_to_the_private_chat(
    person: PersonFactory, tg: FakeTelegram, language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    assert await in_group(olga, "/help@coffee_test_bot") == [olga.tr("group.help_unlinked")]
    assert tg.buttons(GROUP) == [(olga.label("group.private_chat_button"), BOT_LINK)]

    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "Founders chat"))
    answer = olga.tr("group.help", community="Founders chat")
    for command in ("/help@coffee_test_bot", "/start@coffee_test_bot", "/help", "/start"):
        assert await in_group(olga, command) == [answer], command
        assert tg.buttons(GROUP) == [(olga.label("group.private_chat_button"), BOT_LINK)]
    assert await in_group(olga, "/help@some_other_bot") == []  # not addressed to this bot
    assert len(join_messages(tg)) == 1 + 5  # the Join message, and one private-chat button per answer
    assert tg.messages(olga.id) == []  # nothing in the private chat


# --- 3. /start ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_start_lists_what_the_person_runs_and_offers_to_finish_the_profile(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    await create_community(olga, "Berlin Founders")
    replies = plain(await olga.say("/start"))
    assert olga.tr("start.you_run") in replies
    assert olga.tr("start.run_line", community="Berlin Founders") in replies
    assert olga.tr("start.member_of") in replies and olga.tr("start.not_a_member") in replies
    assert olga.tr("start.no_communities") not in replies and olga.tr("start.unfinished_profile") not in replies

    await olga.press_key("admin.join_as_member")
    await olga.say("/cancel")
    replies = plain(await olga.say("/start"))
    assert olga.tr("start.run_line", community="Berlin Founders") in replies
    assert olga.tr("communities.active", name="Berlin Founders") in replies
    assert olga.tr("start.unfinished_profile") in replies
    replies = plain(await olga.press_key("start.continue_profile"))
    assert olga.tr("profile.resume") in replies and olga.like("q.name", name="Olga").search(replies)

    alice = person(2, "Alice", language_code=language)  # runs nothing, in nothing
    replies = plain(await alice.say("/start"))
    assert alice.tr("start.your_communities") in replies and alice.tr("start.no_communities") in replies
    assert alice.tr("start.you_run") not in replies and alice.tr("start.unfinished_profile") not in replies
    assert alice.buttons() == []


async def test_continue_profile_without_a_draft_starts_the_questionnaire_of_the_community(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    olga = person(1, "Olga", username="olga")
    code = await create_community(olga, "Berlin Founders")
    alice = person(2, "Alice", username="alice")
    await alice.say(f"/start {code}")
    async with sessionmaker() as session:  # a draft lost (e.g. state cleared), the membership kept
        from bot.db.models import FsmRecord
        await session.execute(delete(FsmRecord))
        await session.commit()
    assert alice.tr("start.unfinished_profile") in plain(await alice.say("/start"))
    replies = plain(await alice.press_key("start.continue_profile"))
    assert alice.like("q.name", name="Alice").search(replies)


# --- 5. /newcommunity: the creator as a member, names, duplicates -------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_creator_may_join_as_a_member_and_nobody_else_can_through_that_button(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    replies = await olga.say("/newcommunity Berlin Founders")
    assert olga.tr("admin.join_yourself") in plain(replies)
    assert replies[-1].button_texts == [olga.label("admin.join_as_member")]
    community = await community_named(sessionmaker, "Berlin Founders")

    mallory = person(6, "Mallory", language_code=language)
    await mallory.press_data(f"j:member:{community.id}")  # forged: no way in without the invite link
    assert mallory.answers()[-1] == mallory.label("admin.not_admin")
    await mallory.press_data("j:member:0")
    assert mallory.answers()[-1] == mallory.label("admin.not_admin")

    replies = plain(await olga.press_key("admin.join_as_member"))
    assert olga.tr("start.welcome", community="Berlin Founders") in replies
    assert olga.tr("q.progress", number=1, total=11) in replies
    assert olga.tr("admin.join_as_member") not in [b for m in olga.tg.messages(olga.id) for b in m.button_texts]
    await olga.press_data(f"j:member:{community.id}")  # an old copy of the button: already a member
    assert olga.tr("start.already_member", community="Berlin Founders") in plain(olga.tg.messages(olga.id)[-3:])
    async with sessionmaker() as session:
        members = list(await session.scalars(select(Membership.user_id).where(
            Membership.community_id == community.id)))
        olga_row = await session.scalar(select(User.id).where(User.telegram_id == olga.id))
    assert members == [olga_row]


@pytest.mark.parametrize(("typed", "name"), [
    ('"Berlin Founders"', "Berlin Founders"),
    ("«Клуб основателей»", "Клуб основателей"),
    ("“Berlin Founders”", "Berlin Founders"),
    ("'Berlin' Founders", "'Berlin' Founders"),  # quotes inside the name stay
    ('  " Berlin   Founders "  ', "Berlin Founders"),
])
async def test_names_lose_the_quotes_around_them(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], typed: str, name: str
) -> None:
    olga = person(1, "Olga", username="olga")
    replies = await olga.say(f"/newcommunity {typed}")
    assert olga.like("admin.created", community=name).search(plain(replies))
    await community_named(sessionmaker, name)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_name_too_long_is_answered_not_cut(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    long_name = "Berlin Founders " * 5  # 80 characters, the limit is 64
    replies = plain(await olga.say(f"/newcommunity {long_name}"))
    assert replies == olga.tr("admin.name_too_long", length=len(long_name.strip()), limit=NAME_LIMIT)
    await create_community(olga, "Berlin Founders")
    assert plain(await olga.say(f"/rename «{long_name}»")) == olga.tr(
        "admin.name_too_long", length=len(long_name.strip()), limit=NAME_LIMIT)
    fits = "x" * NAME_LIMIT
    assert olga.like("admin.renamed").search(plain(await olga.say(f'/rename "{fits}"')))
    async with sessionmaker() as session:
        assert list(await session.scalars(select(Community.name))) == [fits]


async def test_only_quotes_is_no_name(person: PersonFactory) -> None:
    olga = person(1, "Olga", username="olga")
    assert olga.tr("admin.newcommunity_usage") in plain(await olga.say('/newcommunity ""'))
    assert olga.tr("admin.rename_usage") not in plain(await olga.say("/rename «»"))  # runs nothing yet
    assert olga.tr("admin.none") in plain(await olga.say("/rename «»"))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_duplicate_name_is_allowed_with_a_warning(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    replies = plain(await olga.say("/newcommunity Berlin Founders"))
    assert olga.tr("admin.duplicate_name", community="Berlin Founders") not in replies
    replies = plain(await olga.say('/newcommunity "berlin founders"'))
    assert olga.like("admin.created", community="berlin founders").search(replies)
    assert olga.tr("admin.duplicate_name", community="berlin founders") in replies
    boris = person(3, "Boris", language_code=language)  # someone else's community of that name: no warning
    assert boris.tr("admin.duplicate_name", community="Berlin Founders") not in plain(
        await boris.say("/newcommunity Berlin Founders"))
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Community)) == 3


# --- 5. /rename ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_rename_one_community_and_its_join_message(
    person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession], language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    code = await create_community(olga, "Berlin Founders")
    tg.set_chat_admins(GROUP, [olga.id], creator=olga.id)
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "Founders chat"))
    await in_group(olga, f"/start@coffee_test_bot {code}")

    assert olga.tr("admin.rename_usage") in plain(await olga.say("/rename"))
    replies = plain(await olga.say('/rename "Berlin <b>Product</b> People"'))
    assert replies == olga.tr("admin.renamed", old="Berlin Founders", community="Berlin <b>Product</b> People")
    community = await community_named(sessionmaker, "Berlin <b>Product</b> People")
    assert community.invite_code == code
    (text, url), = join_messages(tg)  # the group's Join message shows the new name, same link
    assert text == olga.tr("group.welcome", community="Berlin <b>Product</b> People")
    assert url.endswith(code)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_rename_asks_which_community_and_checks_rights_on_every_press(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession], language: str
) -> None:
    olga = person(1, "Olga", username="olga", language_code=language)
    await create_community(olga, "Berlin Founders")
    await create_community(olga, "Munich Makers")
    replies = await olga.say("/rename Munich Founders")
    assert plain(replies) == olga.tr("admin.rename_pick", name="Munich Founders")
    assert replies[-1].button_texts == ["Berlin Founders", "Munich Makers"]
    munich = await community_named(sessionmaker, "Munich Makers")

    mallory = person(6, "Mallory", language_code=language)
    assert mallory.tr("admin.none") in plain(await mallory.say("/rename Mine now"))
    await mallory.press_data(f"rn:{munich.id}")  # forged: not her community
    assert mallory.answers()[-1] == mallory.label("admin.not_admin")
    await create_community(mallory, "Mallory's club")
    await mallory.say("/rename Mine now")
    await mallory.press_data(f"rn:{munich.id}")
    assert mallory.answers()[-1] == mallory.label("admin.not_admin")
    await community_named(sessionmaker, "Munich Makers")  # unchanged

    replies = plain(await olga.press("Munich Makers"))
    assert olga.tr("admin.renamed", old="Munich Makers", community="Munich Founders") in replies
    await community_named(sessionmaker, "Munich Founders")
    await olga.press_data(f"rn:{munich.id}")  # the same button again: the name was used up
    assert olga.answers()[-1] == olga.label("admin.rename_again")

    await olga.say("/rename Berlin Founders")  # the name of the other one: allowed, with a warning
    replies = plain(await olga.press("Munich Founders"))
    assert olga.tr("admin.renamed", old="Munich Founders", community="Berlin Founders") in replies
    assert olga.tr("admin.duplicate_name", community="Berlin Founders") in replies


async def test_a_group_admin_renames_the_group_community_and_loses_the_right_when_demoted(
    person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    olga = person(1, "Olga", username="olga")
    tg.set_chat_admins(GROUP, [olga.id], creator=olga.id)
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "HR Club"))
    code = join_messages(tg)[0][1].split("start=")[1]
    boris = person(3, "Boris", username="boris")
    await boris.say(f"/start {code}")
    await boris.say("/cancel")
    assert boris.tr("admin.none") in plain(await boris.say("/rename HR People"))
    tg.set_chat_admins(GROUP, [olga.id, boris.id], creator=olga.id)
    assert plain(await boris.say("/rename HR People")) == boris.tr("admin.renamed", old="HR Club",
                                                                     community="HR People")
    tg.set_chat_admins(GROUP, [olga.id], creator=olga.id)
    assert boris.tr("admin.none") in plain(await boris.say("/rename Boris's club"))
    await community_named(sessionmaker, "HR People")


async def test_a_group_that_becomes_a_supergroup_gets_a_fresh_join_message(
    person: PersonFactory, tg: FakeTelegram, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from tests.support.updates import group_chat
    olga = person(1, "Olga", username="olga")
    tg.set_chat_admins(GROUP, [olga.id], creator=olga.id)
    await olga.feed(olga.updates.my_chat_member(olga.user, GROUP, "HR Club", chat_type="group"))
    supergroup = GROUP * 1000
    migrated = olga.updates._update(message=olga.updates._message_dict(
        olga.user, group_chat(GROUP, "HR Club", "group"), migrate_to_chat_id=supergroup))
    await olga.feed(migrated)
    async with sessionmaker() as session:
        community = await session.scalar(select(Community).where(Community.chat_id == supergroup))
    assert community is not None and community.join_message_id is None  # message ids differ in the new chat
    await olga.feed(olga.updates.group_message(olga.user, supergroup, "HR Club", "/join"))
    (_, url), = join_messages(tg, supergroup)
    assert url.endswith(community.invite_code)
