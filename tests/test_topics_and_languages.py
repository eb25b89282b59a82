"""Languages and help topics through the real Dispatcher and a real database: the questionnaire's new steps, their
limits and forged buttons, older profiles (matched with defaults, asked once), and rounds made through the bot that
obey the language rule and pair an offered topic with a needed one."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.db.models import Community, Match, Membership, User
from bot.domain.draft import reasons_from_storage
from bot.domain.topics import DEFAULT_TOPICS, MAX_TOPICS, MEETING_LANGUAGES
from bot.services.rounds import engine_member
from tests.conftest import PersonFactory
from tests.support import summaries
from tests.support.driver import Person, plain
from tests.support.factories import ADMIN_TELEGRAM_ID, FIRST_MEMBER, community_with_members
from tests.support.journeys import create_community, fill_questionnaire, pick_languages, pick_topics, topic_label

RU_ABOUT = "Руковожу небольшой продуктовой студией и люблю знакомиться с основателями."
RU_OFFERS = "Помогу с наймом разработчиков и дизайнеров"
RU_NEEDS = "Ищу советы по привлечению инвестиций"


@pytest.fixture
async def code(person: PersonFactory) -> str:
    return await create_community(person(1, "Olga", username="olga"))


async def at_offer_topics(person: PersonFactory, code: str, about: str = "Designer from Berlin, ten years in branding.",
                          language_code: str = "en") -> Person:
    alice = person(2, "Alice", username="alice", language_code=language_code)
    await alice.say(f"/start {code}")
    await alice.press_key("q.name.keep", name="Alice")
    await alice.say(about)
    await alice.press_key("tag.design")
    replies = await alice.press_key("q.interests.done")
    assert alice.like("q.offer_topics", most=MAX_TOPICS).search(plain(replies))
    return alice


async def saved(sessionmaker: async_sessionmaker[AsyncSession], telegram_id: int) -> User:
    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        assert user is not None
        return user


async def test_topics_are_picked_from_the_catalogue_up_to_the_limit(
    person: PersonFactory, code: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    alice = await at_offer_topics(person, code)
    labels = [topic.label("en") for topic in DEFAULT_TOPICS]
    assert alice.buttons() == [*labels, alice.label("q.topics.none_fit"), alice.label("q.back")]
    replies = await alice.say("hiring please")
    assert alice.tr("q.error.use_buttons") in plain(replies)
    for topic in DEFAULT_TOPICS[:MAX_TOPICS]:
        await alice.press(topic.label("en"))
    await alice.press(DEFAULT_TOPICS[MAX_TOPICS].label("en"))  # one too many
    assert alice.answers()[-1] == alice.label("q.topics.too_many", most=MAX_TOPICS)
    await alice.press(f"✅ {DEFAULT_TOPICS[0].label('en')}")  # untick one, then the other fits
    await alice.press(DEFAULT_TOPICS[MAX_TOPICS].label("en"))
    assert sum(label.startswith("✅") for label in alice.buttons()) == MAX_TOPICS
    assert alice.buttons()[-2:] == [alice.label("q.interests.done"), alice.label("q.back")]
    replies = await alice.press_key("q.interests.done")
    assert alice.like("q.offers").search(plain(replies))
    await alice.say("Brand reviews")
    replies = await pick_topics(alice, ())  # "None of these" is an answer
    assert alice.like("q.needs").search(plain(replies))
    await alice.say("Investors")
    await pick_languages(alice, None)
    await alice.press_key("q.format.online")
    await alice.press("UTC+01")
    preview = alice.last
    assert preview is not None
    chosen = ", ".join(topic.label("en") for topic in DEFAULT_TOPICS[1:MAX_TOPICS + 1])
    assert f"{chosen} — Brand reviews" in preview.plain_text
    await alice.press_key("preview.confirm")
    user = await saved(sessionmaker, 2)
    assert user.offer_topics == [topic.id for topic in DEFAULT_TOPICS[1:MAX_TOPICS + 1]]
    assert user.need_topics == [] and user.languages == ["en"]


async def test_forged_and_stale_topic_and_language_buttons(person: PersonFactory, code: str) -> None:
    alice = await at_offer_topics(person, code)
    for data in ("qt:need_topics:0",  # a real topic, but of the other question
                 f"qt:offer_topics:{len(DEFAULT_TOPICS)}", "qt:offer_topics:-1", "qt:interests:0",
                 "q:lang:en", "q:langs", "qt:offer_topics:٣"):
        replies = await alice.press_data(data)
        assert alice.answers()[-1] == alice.label("button.stale"), data
        assert alice.tr("error.generic") not in plain(replies)
    await alice.press(topic_label(alice, "hiring"))
    await alice.press_key("q.interests.done")
    await alice.press_data("qt:offer_topics:0")  # the offer question is behind us
    await alice.press_data("q:topics")
    assert alice.answers()[-2:] == [alice.label("button.stale")] * 2
    await alice.say("Code reviews")
    await pick_topics(alice, ("mentoring",))
    replies = await alice.say("A mentor")
    assert alice.like("q.languages").search(plain(replies))
    await alice.press_data("q:lang:xx")
    await alice.press_data("q:lang:")
    assert alice.answers()[-2:] == [alice.label("button.stale")] * 2
    await alice.press("✅ English")  # nothing ticked: Done asks for one
    await alice.press_key("q.interests.done")
    assert alice.answers()[-1] == alice.label("q.languages.none")
    replies = await pick_languages(alice, ("de", "en"))
    assert alice.like("q.format").search(plain(replies))


@pytest.mark.parametrize(("language_code", "about", "expected"), [
    ("en", RU_ABOUT, {"en", "ru"}),  # Telegram in English, answers in Russian
    ("ru", RU_ABOUT, {"ru"}),
    ("ru", "Product designer, ten years in fintech.", {"ru", "en"}),
])
async def test_languages_are_preselected_from_telegram_and_the_answers(
    person: PersonFactory, code: str, language_code: str, about: str, expected: set[str]
) -> None:
    alice = await at_offer_topics(person, code, about=about, language_code=language_code)
    await pick_topics(alice, ())
    await alice.say("Code reviews" if language_code == "en" else "Код-ревью")
    await pick_topics(alice, ())
    replies = await alice.say("A mentor" if language_code == "en" else "Ментора")
    ticked = {code for code, name in MEETING_LANGUAGES.items() if f"✅ {name}" in replies[-1].button_texts}
    assert ticked == expected


async def test_an_older_profile_is_matched_with_defaults_and_asked_once(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await community_with_members(sessionmaker, 4)  # profiles saved before languages and topics existed
    old = await saved(sessionmaker, FIRST_MEMBER)
    assert (old.languages, old.offer_topics, old.need_topics) == (None, None, None)
    assert engine_member(old).languages == ("en",) and engine_member(old).offer_topics == ()
    admin = person(ADMIN_TELEGRAM_ID, "Olga")
    await admin.say("/matchnow")
    replies = await admin.press_key("matchnow.yes")
    assert summaries.done(admin.catalogue, "Founders", summaries.pairs(admin.catalogue, 2), left_out=0,
                          introduced=4) in plain(replies)

    member = person(FIRST_MEMBER, "Member0", username=f"user{FIRST_MEMBER}")
    replies = await member.say("/profile")
    assert member.tr("newq.ask") in plain(replies)
    assert replies[-1].button_texts == [member.label("newq.add"), member.label("newq.later")]
    for command in ("/profile", "/start"):  # once only
        assert member.tr("newq.ask") not in plain(await member.say(command))
    replies = await member.press_key("newq.add")
    assert member.like("q.offer_topics").search(plain(replies))  # only what is missing is asked
    await pick_topics(member, ("hiring",))
    await pick_topics(member, ("fundraising",))
    replies = await pick_languages(member, ("en", "de"))
    assert member.tr("preview.title") in plain(replies)
    await member.press_key("preview.confirm")
    updated = await saved(sessionmaker, FIRST_MEMBER)
    assert (updated.offer_topics, updated.need_topics, updated.languages) == (["hiring"], ["fundraising"],
                                                                             ["en", "de"])
    assert updated.offers == old.offers  # the rest of the profile is kept

    other = person(FIRST_MEMBER + 1, "Member1", username=f"user{FIRST_MEMBER + 1}")
    assert other.tr("newq.ask") in plain(await other.say("/start"))
    assert other.tr("newq.later_ok") in plain(await other.press_key("newq.later"))
    assert other.tr("newq.ask") not in plain(await other.say("/profile"))
    await other.press_data("nq:1")  # the old button still works, calmly
    assert other.like("q.offer_topics").search(other.last.plain_text if other.last else "")


EN_ABOUT = "I run a small product studio and love meeting founders."


async def joined(person: PersonFactory, code: str, telegram_id: int, name: str, *, russian: bool,
                 offer: str, need: str, texts: tuple[str, str] = ("Hiring developers", "Fundraising advice")) -> None:
    member = person(telegram_id, name, username=f"u{telegram_id}", language_code="ru" if russian else "en")
    about, offers, needs = (RU_ABOUT, RU_OFFERS, RU_NEEDS) if russian else (EN_ABOUT, *texts)
    await fill_questionnaire(member, code, about=about, offers=offers, needs=needs, offer_topics=(offer,),
                             need_topics=(need,), languages=("ru",) if russian else ("en",))
    await member.press_key("preview.confirm")


async def round_matches(admin: Person, sessionmaker: async_sessionmaker[AsyncSession]) -> list[Match]:
    await admin.say("/matchnow")
    await admin.press_key("matchnow.yes")
    async with sessionmaker() as session:
        return list(await session.scalars(select(Match).options(selectinload(Match.members))))


async def test_russian_only_and_english_only_members_are_never_paired(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = person(1, "Olga", username="olga")
    code = await create_community(admin)
    # Each Russian speaker and one English speaker would be the perfect mutual pair, but share no language.
    for index, russian in enumerate((True, True, False, False)):
        offer, need = ("hiring", "fundraising") if index % 2 == 0 else ("fundraising", "hiring")
        await joined(person, code, 10 + index, f"Person{index}", russian=russian, offer=offer, need=need)
    async with sessionmaker() as session:
        people = {user.id: user for user in await session.scalars(select(User).join(Membership))}
    matches = await round_matches(admin, sessionmaker)
    assert len(matches) == 2
    for match in matches:
        languages = [set(people[member.user_id].languages or ()) for member in match.members]
        assert set.intersection(*languages), languages


async def test_an_offered_topic_meets_a_needed_one(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = person(1, "Olga", username="olga")
    code = await create_community(admin)
    # The free text pairs 10 with 11 (11 offers word for word what 10 needs); the topics pair 10 with 13, both ways.
    for telegram_id, offer, need, texts in (
        (10, "fundraising", "hiring", ("Pitch decks", "A senior backend engineer to hire")),
        (11, "legal", "design", ("A senior backend engineer to hire, I know a few", "Logo ideas")),
        (12, "sales", "data", ("Cold outreach", "Dashboards")),
        (13, "hiring", "fundraising", ("Recruiting", "Investors")),
    ):
        await joined(person, code, telegram_id, f"Person{telegram_id}", russian=False, offer=offer, need=need,
                     texts=texts)
    async with sessionmaker() as session:
        ids = {user.telegram_id: user.id for user in await session.scalars(select(User))}
        community = await session.scalar(select(Community))
        assert community is not None and len(community.help_topics or ()) == len(DEFAULT_TOPICS)
    matches = await round_matches(admin, sessionmaker)
    mutual = next(match for match in matches if {m.user_id for m in match.members} == {ids[10], ids[13]})
    helps = {(help_.giver, help_.receiver, help_.topics, help_.mutual)
             for help_ in reasons_from_storage(mutual.reasons).topic_helps}
    assert helps == {(ids[10], ids[13], ("fundraising",), True), (ids[13], ids[10], ("hiring",), True)}
