"""Conversion between the JSON shapes of the CLI and the dataclasses, with a one-line InputError for every bad input.
The shapes are documented in `python -m matching pairs --help` (`SCHEMA`) and matching/README.md."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from matching.model import FORMATS, Format, InputError, Instance, Meeting, Member, PairResult, Reasons

INPUT_SCHEMA = """\
input (stdin, one JSON object; unknown keys are refused):
  members   list, required. Each member:
    id            integer (64-bit), required, unique
    interests     list of strings (tags, compared ignoring case and spaces)
    offers        string: "how I can help", free text
    needs         string: "what I'm looking for", free text
    offer_topics  list of topic ids (strings or integers): help topics they can help with
    need_topics   list of topic ids: help topics they are looking for (topics compare by id, whatever
                  language they are shown in; a topic one offers and the other needs weighs 4 per topic,
                  at most 2 per direction, +4 when topics flow both ways; free text at most 4 per direction)
    format        "online" | "offline" (in person only) | "any" (default)
    city          string (in-person-only members in two different cities never meet)
    languages     list of language codes they can meet in; hard rule: a pair or group needs a language
                  shared by all who list any (an empty list or no key: unknown, meets anyone)
    utc_offset    integer minutes east of UTC, -720..840; or
    timezone      an IANA zone name ("Europe/Berlin"), read as its offset now (not both)
  history   list of {"members": [id, id, ...], "round": n}: past pairs, trios, groups (every pair inside met)
  blocked   list of [a, b]: a asked never to meet b (either way)
  round     integer: this round's number (default: one after the latest in history)
  size      integer: groups only, people per group when --size is not given (default 30)

"""
PAIRS_OUTPUT = """\
output (stdout): {"matches": [...], "unmatched": [...], "stats": {...}}
  matches[]   {"members": [ids], "repeat": bool, "score": float, "reasons": {...}, "why": [...]}
    reasons   shared_interests, helps [{giver, receiver, what, exact, offer}], same_city, meeting_format,
              format_compatible, shared_languages, timezone_difference, topic_helps [{giver, receiver, topics,
              mutual}], daytime_overlap (minutes of 09-21 local time everyone shares; online only)
    why[]     typed entries, strongest first:
              {"type": "helps", "from": id, "to": id, "topics": [...], "mutual": bool}
              {"type": "helps_text", "from": id, "to": id, "need": "<to's own phrase>",
               "offer": "<from's own phrase>", "exact": bool}
              {"type": "shared_interests", "interests": [...]}   {"type": "same_city", "city": "..."}
              {"type": "shared_languages", "languages": [...]}  {"type": "daytime", "shared_minutes": n}
  unmatched[] {"id", "reason": alone | blocked_all | no_compatible_partner | no_shared_language |
              no_free_partner, "text"}
  stats       {"repeats", "score", "seconds", "strategy": schedule | optimise | groups}
bad input: one line on stderr, exit code 2
"""
GROUPS_OUTPUT = """\
output (stdout): {"groups": [...], "left_out": [ids], "stats": {...}}
  groups[]    {"members": [ids], "repeats": n, "shared_interests": [...], "score": float, "why": [...]}
              (why as in `pairs --help`)
  left_out    ids no group could take (everyone they may meet is in groups they may not join)
  stats       {"repeats", "lower_bound", "blocked", "seconds"}: repeated pairs, the pigeonhole bound on
              them, pairs who may not meet that the balanced search had to leave together (then moved)
bad input: one line on stderr, exit code 2
"""
INSTANCE_KEYS = ("members", "history", "blocked", "round", "size")
MEMBER_KEYS = ("id", "interests", "offers", "needs", "format", "city", "utc_offset", "timezone", "languages",
               "offer_topics", "need_topics")
ID_RANGE = (-(2**63), 2**63 - 1)  # ids are 64-bit, as in the bot's database
ROUND_RANGE = (0, 2**31 - 1)
OFFSET_RANGE = (-720, 840)  # minutes: UTC−12:00 to UTC+14:00


def instance_from_dict(data: Any) -> Instance:
    """The instance, or an InputError saying in one line what is wrong with the JSON."""
    if not isinstance(data, dict):
        raise InputError("the instance must be a JSON object")
    _known_keys(data, INSTANCE_KEYS, "the instance")
    if "members" not in data:
        raise InputError("the instance has no \"members\" list")
    members = tuple(member_from_dict(m) for m in _list(data, "members"))
    ids = {m.id for m in members}
    history = tuple(_meeting(m, ids) for m in _list(data, "history"))
    blocked = tuple(_blocked(b, ids) for b in _list(data, "blocked"))
    return Instance(members, history, blocked, _int(data.get("round", 0), "round", ROUND_RANGE))


def member_from_dict(data: Any) -> Member:
    if not isinstance(data, dict):
        raise InputError("each member must be a JSON object")
    if "id" not in data:
        raise InputError("a member has no id")
    member_id = _int(data["id"], "member id", ID_RANGE)
    _known_keys(data, MEMBER_KEYS, f"member {member_id}")
    fmt = data.get("format", "any")
    if fmt is None:
        fmt = "any"
    if fmt not in FORMATS:
        raise InputError(f"member {member_id}: unknown format {fmt!r} (expected online, offline or any)")
    city = data.get("city")
    offset = data.get("utc_offset")
    if offset is not None:
        offset = _int(offset, f"member {member_id} utc_offset (minutes)", OFFSET_RANGE)
    zone = data.get("timezone")
    if zone is not None:
        if offset is not None:
            raise InputError(f"member {member_id}: give utc_offset or timezone, not both")
        offset = _zone_offset(zone, f"member {member_id} timezone")
    return Member(
        id=member_id,
        interests=_strings(data.get("interests"), f"member {member_id} interests"),
        offers=_text(data.get("offers"), f"member {member_id} offers"),
        needs=_text(data.get("needs"), f"member {member_id} needs"),
        format=cast(Format, fmt),
        city=_text(city, f"member {member_id} city") or None if city is not None else None,
        utc_offset=offset,
        languages=_strings(data.get("languages"), f"member {member_id} languages"),
        offer_topics=_topics(data.get("offer_topics"), f"member {member_id} offer_topics"),
        need_topics=_topics(data.get("need_topics"), f"member {member_id} need_topics"),
    )


def _zone_offset(value: Any, what: str) -> int:
    """An IANA zone name's UTC offset in minutes right now (the CLI runs a round now)."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what} must be a zone name such as \"Europe/Berlin\"")
    try:
        zone = ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{what}: unknown time zone {_short(value)}") from None
    delta = zone.utcoffset(datetime.now(UTC))
    return 0 if delta is None else int(delta.total_seconds()) // 60


def _topics(value: Any, what: str) -> tuple[str, ...]:
    """Help topics: ids or slugs, as strings or whole numbers (the same topic in any display language)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        raise InputError(f"{what} must be a list of topic ids (strings or whole numbers)")
    return tuple(str(v) for v in value)


def result_to_dict(result: PairResult) -> dict[str, Any]:
    return {
        "matches": [
            {
                "members": list(m.members),
                "repeat": m.repeat,
                "score": m.score,
                "reasons": _plain(asdict(m.reasons)),
                "why": why(m.reasons),
            }
            for m in result.matches
        ],
        "unmatched": [_plain(asdict(u)) for u in result.unmatched],
        "stats": asdict(result.stats),
    }


def why(reasons: Reasons) -> list[dict[str, Any]]:
    """The reasons as a list of typed entries (the CLI's "why"): who helps whom with which topics or phrases,
    then what they share."""
    out: list[dict[str, Any]] = [
        {"type": "helps", "from": t.giver, "to": t.receiver, "topics": list(t.topics), "mutual": t.mutual}
        for t in reasons.topic_helps
    ]
    out += [
        {"type": "helps_text", "from": h.giver, "to": h.receiver, "need": h.what, "offer": h.offer, "exact": h.exact}
        for h in reasons.helps
    ]
    if reasons.shared_interests:
        out.append({"type": "shared_interests", "interests": list(reasons.shared_interests)})
    if reasons.same_city is not None and reasons.meeting_format == "offline":
        out.append({"type": "same_city", "city": reasons.same_city})
    if reasons.shared_languages:
        out.append({"type": "shared_languages", "languages": list(reasons.shared_languages)})
    if reasons.daytime_overlap is not None:
        out.append({"type": "daytime", "shared_minutes": reasons.daytime_overlap})
    return out


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


def _int(value: Any, what: str, bounds: tuple[int, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be an integer, got {_short(value)}")
    low, high = bounds
    if not low <= value <= high:
        raise InputError(f"{what} must be between {low} and {high}, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _known_keys(data: dict[str, Any], known: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise InputError(f"{what}: unknown key {unknown[0]!r} (expected {', '.join(known)})")


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


def _meeting(data: Any, ids: set[int]) -> Meeting:
    if not isinstance(data, dict):
        raise InputError("each history entry must be a JSON object")
    _known_keys(data, ("members", "round"), "a history entry")
    members = data.get("members")
    if not isinstance(members, list) or len(members) < 2:
        raise InputError("a history entry needs a list of at least two members")
    people = tuple(_member_id(m, "history", ids) for m in members)
    if len(set(people)) < len(people):
        raise InputError(f"a history entry names a member twice: {list(people)}")
    return Meeting(people, _int(data.get("round", 0), "history round", ROUND_RANGE))


def _blocked(data: Any, ids: set[int]) -> tuple[int, int]:
    if not isinstance(data, list) or len(data) != 2:
        raise InputError("each blocked entry must be a pair [a, b]")
    a, b = (_member_id(x, "blocked", ids) for x in data)
    if a == b:
        raise InputError(f"member {a} blocks themselves")
    return a, b


def _member_id(value: Any, where: str, ids: set[int]) -> int:
    found = _int(value, f"{where} id", ID_RANGE)
    if found not in ids:
        raise InputError(f"{where} names member {found}, who is not in members")
    return found
