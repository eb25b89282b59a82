"""A round stores each match's reasons as `rounds.plain` gives them: exactly what `dataclasses.asdict` gave (the
check-ins, /network and the exports read them back), for every kind of reason a generated community produces."""

from __future__ import annotations

import json
import random
from dataclasses import asdict

from bot.services.rounds import plain
from matching import Instance, match_round
from matching.simulate import generate_members


def test_plain_reasons_are_what_asdict_stored() -> None:
    members = tuple(generate_members(120, random.Random(3)))
    result = match_round(Instance(members=members, history=(), round=1), 3, seed=3)
    reasons = [match.reasons for match in result.matches]
    assert any(r.helps for r in reasons) and any(r.topic_helps for r in reasons)
    assert any(r.shared_languages for r in reasons)
    for one in reasons:
        assert json.dumps(plain(one)) == json.dumps(asdict(one))
