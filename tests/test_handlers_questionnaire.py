"""The typed profile draft at the FSM edge: written in the stored shape, read back leniently (a draft from an
older version never crashes the questionnaire), and a match's stored reasons read back as `Reasons`."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import FsmRecord, MeetingFormat, User
from bot.domain import profile
from bot.domain.draft import ProfileDraft, reasons_from_storage
from bot.domain.profile import Step
from bot.handlers import questionnaire
from bot.presentation.callbacks import QuestionCb
from matching import Help, Reasons
from tests.conftest import PersonFactory
from tests.support.driver import plain
from tests.support.journeys import create_community

FULL = ProfileDraft(
    name="Alice", about="Designer from Berlin", interests=("design", "product"), offers="brand reviews",
    needs="a co-founder", format=MeetingFormat.OFFLINE, city="Berlin", timezone="Europe/Berlin", utc_offset=60,
    contact=None, contact_answered=True,
)


def test_a_draft_survives_storage_as_json() -> None:
    stored = json.loads(json.dumps(FULL.to_storage()))
    assert stored["interests"] == ["design", "product"] and stored["format"] == "offline"
    assert ProfileDraft.from_storage(stored) == FULL
    assert "contact" not in ProfileDraft().to_storage()  # unanswered until the person answers it


def test_a_draft_from_an_older_version_reads_as_unanswered_where_it_does_not_parse() -> None:
    draft = ProfileDraft.from_storage({"name": 5, "about": "Designer", "interests": "design", "format": "weird",
                                       "utc_offset": "60", "contact": ["x"], "unknown": 1})
    assert draft == ProfileDraft(about="Designer", utc_offset=60)
    assert profile.first_missing(draft, has_username=False) is Step.NAME
    for garbage in (None, [], "draft", 3):
        assert ProfileDraft.from_storage(garbage) == ProfileDraft()


def test_a_text_answer_lands_in_its_field() -> None:
    draft = ProfileDraft()
    for step, low_high in profile.TEXT_LIMITS.items():
        draft = profile.with_text(draft, step, "x" * low_high[0])
        assert getattr(draft, step.value) == "x" * low_high[0]
    assert draft.contact_answered and profile.is_answered(Step.CONTACT, draft)
    with pytest.raises(ValueError):
        profile.with_text(draft, Step.FORMAT, "online")


def test_every_question_button_has_an_action() -> None:
    assert set(questionnaire.ACTIONS) == set(questionnaire.ACTION_STATE)


def test_stored_reasons_read_back_typed() -> None:
    reasons = Reasons(shared_interests=("ai",), helps=(Help(1, 2, "pricing", True),), same_city="Berlin",
                      meeting_format="offline", shared_languages=("en",), timezone_difference=60)
    assert reasons_from_storage(json.loads(json.dumps(asdict(reasons)))) == reasons
    assert reasons_from_storage({}) == Reasons()
    assert reasons_from_storage("not reasons") == Reasons()
    broken = reasons_from_storage({"helps": [{"giver": 1}], "meeting_format": "any", "same_city": "Paris"})
    assert broken == Reasons(same_city="Paris")


async def test_confirming_a_stored_draft_that_does_not_parse_asks_again(
    person: PersonFactory, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    code = await create_community(person(1, "Olga", username="olga"))
    alice = person(2, "Alice", username="alice")
    await alice.say(f"/start {code}")
    async with sessionmaker() as session:  # as an older version might have left it
        record = await session.scalar(select(FsmRecord).where(FsmRecord.telegram_user_id == alice.id))
        assert record is not None
        record.state = questionnaire.Questionnaire.preview.state
        record.data = {"draft": {"name": 5, "about": "Designer from Berlin, ten years in branding.",
                                 "interests": ["design"], "format": "weird"}}
        await session.commit()
    replies = await alice.press_data(QuestionCb(action="confirm").pack())
    assert alice.like("q.name").search(plain(replies))
    async with sessionmaker() as session:
        saved = await session.scalar(select(User).where(User.telegram_id == alice.id))
        assert saved is not None and not saved.has_confirmed_profile
    replies = await alice.press_key("q.name.keep", name="Alice")  # about and interests were kept
    assert alice.like("q.offer_topics").search(plain(replies))
