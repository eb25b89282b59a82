"""Conversion between the JSON shapes of the CLI (also used by the bot) and the dataclasses."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

from matching.model import FORMATS, Format, InputError, Instance, Meeting, Member, PairResult


def instance_from_dict(data: Any) -> Instance:
    if not isinstance(data, dict):
        raise InputError("the instance must be a JSON object")
    members = tuple(member_from_dict(m) for m in _list(data, "members"))
    history = tuple(_meeting(m) for m in _list(data, "history"))
    blocked = tuple(_blocked(b) for b in _list(data, "blocked"))
    return Instance(members, history, blocked, _int(data.get("round", 0), "round"))


def member_from_dict(data: Any) -> Member:
    if not isinstance(data, dict):
        raise InputError("each member must be a JSON object")
    if "id" not in data:
        raise InputError("a member has no id")
    member_id = _int(data["id"], "member id")
    fmt = data.get("format", "any")
    if fmt is None:
        fmt = "any"
    if fmt not in FORMATS:
        raise InputError(f"member {member_id}: unknown format {fmt!r} (expected online, offline or any)")
    city = data.get("city")
    offset = data.get("utc_offset")
    return Member(
        id=member_id,
        interests=_strings(data.get("interests"), f"member {member_id} interests"),
        offers=_text(data.get("offers"), f"member {member_id} offers"),
        needs=_text(data.get("needs"), f"member {member_id} needs"),
        format=cast(Format, fmt),
        city=_text(city, f"member {member_id} city") or None if city is not None else None,
        utc_offset=None if offset is None else _int(offset, f"member {member_id} utc_offset"),
        languages=_strings(data.get("languages"), f"member {member_id} languages"),
    )


def result_to_dict(result: PairResult) -> dict[str, Any]:
    return {
        "matches": [
            {
                "members": list(m.members),
                "repeat": m.repeat,
                "score": m.score,
                "reasons": _plain(asdict(m.reasons)),
            }
            for m in result.matches
        ],
        "unmatched": [_plain(asdict(u)) for u in result.unmatched],
        "stats": asdict(result.stats),
    }


def _plain(value: Any) -> Any:
    """Tuples become lists so the dict is exactly what json.loads would give back."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{key!r} must be a list")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be an integer, got {value!r}")
    return value


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string")
    return value


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{what} must be a list of strings")
    return tuple(value)


def _meeting(data: Any) -> Meeting:
    if not isinstance(data, dict):
        raise InputError("each history entry must be a JSON object")
    members = data.get("members")
    if not isinstance(members, list) or len(members) < 2:
        raise InputError("a history entry needs a list of at least two members")
    return Meeting(tuple(_int(m, "history member") for m in members), _int(data.get("round", 0), "history round"))


def _blocked(data: Any) -> tuple[int, int]:
    if not isinstance(data, list) or len(data) != 2:
        raise InputError("each blocked entry must be a pair [a, b]")
    return _int(data[0], "blocked id"), _int(data[1], "blocked id")
