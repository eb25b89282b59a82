"""Typed callback data (each packs well under Telegram's 64-byte limit)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class QuestionCb(CallbackData, prefix="q"):
    """A button inside the questionnaire; only valid in the state that showed it."""

    action: str
    value: str = ""


class ProfileEditCb(CallbackData, prefix="pe"):
    field: str


class JoinCb(CallbackData, prefix="j"):
    action: str  # "asis" | "edit"
    community_id: int


ALL_COMMUNITIES = 0


class PauseCb(CallbackData, prefix="p"):
    community_id: int  # ALL_COMMUNITIES for every community
    days: int = -1  # -1: length not chosen yet; 0: until resumed


class ResumeCb(CallbackData, prefix="r"):
    community_id: int


class LeaveCb(CallbackData, prefix="l"):
    community_id: int
    confirmed: bool = False


class DeleteCb(CallbackData, prefix="d"):
    confirmed: bool


class LanguageCb(CallbackData, prefix="lang"):
    code: str


class DismissCb(CallbackData, prefix="x"):
    """A "No" button: nothing changes."""

    what: str


class CheckinCb(CallbackData, prefix="ci"):
    match_id: int
    answer: str  # an Outcome value


class RateCb(CallbackData, prefix="rt"):
    match_id: int
    stars: int


class NoReasonCb(CallbackData, prefix="nr"):
    match_id: int
    reason: str  # a NoMeetingReason value


class BlockCb(CallbackData, prefix="bl"):
    match_id: int
    partner_id: int


class FollowUpCb(CallbackData, prefix="fu"):
    match_id: int


class ReplaceCb(CallbackData, prefix="rp"):
    match_id: int


class MatchNowCb(CallbackData, prefix="mn"):
    community_id: int
    confirmed: bool = False
    stamp: int = 0  # when the confirmation was shown (Unix minutes): the extra round's key


class CheckinNowCb(CallbackData, prefix="cn"):
    community_id: int


class ScheduleCb(CallbackData, prefix="sc"):
    community_id: int
    field: str = ""  # "", "weekday", "time", "frequency"
    value: str = ""


class RsvpCb(CallbackData, prefix="sv"):
    meetup_id: int
    coming: bool


class WizardCb(CallbackData, prefix="sw"):
    """A button in the /session wizard; only valid in the state that showed it."""

    step: str
    value: str = ""


class FormGroupsCb(CallbackData, prefix="fg"):
    meetup_id: int


class MeetupRateCb(CallbackData, prefix="sr"):
    group_id: int
    stars: int


class MeetupConnectCb(CallbackData, prefix="sk"):
    group_id: int
    other_id: int  # 0: done


class GroupPlaceCb(CallbackData, prefix="gp"):
    group_id: int


SEARCH_BYTES = 24  # a /members search kept in buttons: MemberCb stays within 64 bytes with the longest ids
MAX_PAGE = 9999


def search_key(text: str) -> str:
    """A typed /members search as buttons carry it: one line, no separator, at most SEARCH_BYTES of UTF-8."""
    cleaned = " ".join(text.replace(":", " ").split())
    while len(cleaned.encode()) > SEARCH_BYTES:
        cleaned = cleaned[:-1]
    return cleaned.strip()


class MembersCb(CallbackData, prefix="mb"):
    """/members: one page of a community's members, only those whose name contains `query` if it is set."""

    community_id: int
    page: int = 0
    query: str = ""


class MembersSearchCb(CallbackData, prefix="ms"):
    community_id: int


class MemberCb(CallbackData, prefix="mm"):
    """One member in /members: their card (action ""), an action, or its confirmation; `page` and `query` lead
    back to the list."""

    community_id: int
    user_id: int
    action: str = ""  # "", or a services.members action: pause, resume, remove, ban, unban
    confirmed: bool = False
    page: int = 0
    query: str = ""
