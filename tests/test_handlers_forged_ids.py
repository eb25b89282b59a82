"""Buttons whose callback data names an id no row can have (forged, far beyond the database's integers) get
the usual calm answer, never an error."""

from __future__ import annotations

import pytest

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
    (f"sw:community:{FORGED}", "admin.not_admin"),
    ("sw:community:²", "admin.not_admin"),  # a digit to str.isdigit, not to int()
])
async def test_a_forged_id_is_answered_not_an_error(person: PersonFactory, tg: FakeTelegram, data: str,
                                                     key: str) -> None:
    alice = person(5001, "Alice")
    await alice.press_data(data)
    assert alice.answers()[-1] == alice.label(key)
    assert alice.tr("error.generic") not in [message.plain_text for message in tg.messages(alice.id)]
