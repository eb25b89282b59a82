"""Buttons whose callback data names an id no row can have (forged, far beyond the database's integers) get
the usual calm answer, never an error."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData
from pydantic.fields import FieldInfo

from bot.presentation import callbacks
from tests.conftest import PersonFactory
from tests.support.fake_telegram import FakeTelegram

FORGED = 2**63


@pytest.mark.parametrize(("data", "key"), [
    (f"sv:{FORGED}:1", "button.stale"),
    (f"fg:{FORGED}", "button.stale"),
    (f"gp:{FORGED}", "button.stale"),
    (f"sr:{FORGED}:5", "button.stale"),
    (f"sk:{FORGED}:0", "button.stale"),
    (f"j:asis:{FORGED}", "button.stale"),
    (f"cp:{FORGED}:1:met", "button.stale"),
    ("cp:1:1:met", "button.stale"),  # a check-in answer about a partner, in a match the presser is not in
    (f"sw:community:{FORGED}", "admin.not_admin"),
    ("sw:community:²", "admin.not_admin"),  # a digit to str.isdigit, not to int()
])
async def test_a_forged_id_is_answered_not_an_error(person: PersonFactory, tg: FakeTelegram, data: str,
                                                     key: str) -> None:
    alice = person(5001, "Alice")
    await alice.press_data(data)
    assert alice.answers()[-1] == alice.label(key)
    assert alice.tr("error.generic") not in [message.plain_text for message in tg.messages(alice.id)]


def _forged_data() -> list[str]:
    """For every callback data class, each number field in turn set to 2**63, or to a Unicode digit."""
    found = []
    for cls in vars(callbacks).values():
        if not (isinstance(cls, type) and issubclass(cls, CallbackData) and cls is not CallbackData):
            continue
        fields = cls.model_fields
        numbers = [name for name, field in fields.items() if field.metadata]  # the DbInt fields
        for number in numbers:
            for bad in (str(FORGED), "²", str(-(2**40))):
                parts = [bad if name == number else _valid(field) for name, field in fields.items()]
                found.append(":".join([cls.__prefix__, *parts]))
    return found


def _valid(field: FieldInfo) -> str:
    return "1" if field.annotation is bool or field.metadata else "x"


async def test_every_number_in_every_button_is_range_checked(person: PersonFactory, tg: FakeTelegram) -> None:
    alice = person(5002, "Alice")
    forged = _forged_data()
    assert len(forged) > 50  # every class with a number field takes part
    for data in forged:
        await alice.press_data(data)
        assert alice.answers()[-1] == alice.label("button.stale"), data
    assert alice.tr("error.generic") not in [message.plain_text for message in tg.messages(alice.id)]
