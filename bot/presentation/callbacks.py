"""Typed callback data (each packs well under Telegram's 64-byte limit)."""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Every number in callback data fits a database integer: a forged 2**63 or '²' does not unpack, so no handler
# sees it and the fallback answers "this button is out of date".
DbInt = Annotated[int, Field(ge=-(2**31), lt=2**31)]


class QuestionCb(CallbackData, prefix="q"):
    """A button inside the questionnaire; only valid in the state that showed it."""

    action: str
    value: str = ""


class ProfileEditCb(CallbackData, prefix="pe"):
    field: str


class JoinCb(CallbackData, prefix="j"):
    action: str  # "asis" | "edit"
    community_id: DbInt


ALL_COMMUNITIES = 0


class PauseCb(CallbackData, prefix="p"):
    community_id: DbInt  # ALL_COMMUNITIES for every community
    days: DbInt = -1  # -1: length not chosen yet; 0: until resumed


class ResumeCb(CallbackData, prefix="r"):
    community_id: DbInt


class LeaveCb(CallbackData, prefix="l"):
    community_id: DbInt
    confirmed: bool = False


class DeleteCb(CallbackData, prefix="d"):
    confirmed: bool


class LanguageCb(CallbackData, prefix="lang"):
    code: str


class DismissCb(CallbackData, prefix="x"):
    """A "No" button: nothing changes."""

    what: str


class CheckinCb(CallbackData, prefix="ci"):
    match_id: DbInt
    answer: str  # an Outcome value


class CheckinAboutCb(CallbackData, prefix="cp"):
    """A trio's or group's check-in: the answer about one partner (at most 34 bytes)."""

    match_id: DbInt
    partner_id: DbInt
    answer: str  # an Outcome value


class RateCb(CallbackData, prefix="rt"):
    match_id: DbInt
    stars: DbInt


class NoReasonCb(CallbackData, prefix="nr"):
    match_id: DbInt
    reason: str  # a NoMeetingReason value


class BlockCb(CallbackData, prefix="bl"):
    match_id: DbInt
    partner_id: DbInt


class FollowUpCb(CallbackData, prefix="fu"):
    match_id: DbInt


class CantMakeItCb(CallbackData, prefix="cm"):
    """On an intro: "Can't make it this round"."""

    match_id: DbInt


class ReplaceCb(CallbackData, prefix="rp"):
    match_id: DbInt


class MatchNowCb(CallbackData, prefix="mn"):
    community_id: DbInt
    confirmed: bool = False
    stamp: DbInt = 0  # when the confirmation was shown (Unix minutes): the extra round's key


class CheckinNowCb(CallbackData, prefix="cn"):
    community_id: DbInt


class ScheduleCb(CallbackData, prefix="sc"):
    community_id: DbInt
    field: str = ""  # "" (the menu) or one of domain.schedule.SCHEDULE_FIELDS
    value: str = ""


class RsvpCb(CallbackData, prefix="sv"):
    meetup_id: DbInt
    answer: str  # a Rsvp value: "1" yes, "m" maybe, "0" no (older buttons' yes/no packed the same)


OPEN_ANSWERS = -1


class MeetupAnswersCb(CallbackData, prefix="sa"):
    """The organiser's list of who answered a meetup, one page of it (from 0; OPEN_ANSWERS: its first page as a
    new message); rights are checked on every press."""

    meetup_id: DbInt
    page: DbInt = OPEN_ANSWERS


class WizardCb(CallbackData, prefix="sw"):
    """A button in the /session wizard; only valid in the state that showed it."""

    step: str
    value: str = ""


class FormGroupsCb(CallbackData, prefix="fg"):
    meetup_id: DbInt


class MeetupRateCb(CallbackData, prefix="sr"):
    group_id: DbInt
    stars: DbInt


class MeetupConnectCb(CallbackData, prefix="sk"):
    group_id: DbInt
    other_id: DbInt  # 0: done


class GroupPlaceCb(CallbackData, prefix="gp"):
    group_id: DbInt


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

    community_id: DbInt
    page: DbInt = 0
    query: str = ""


class MembersSearchCb(CallbackData, prefix="ms"):
    community_id: DbInt


class ErasedBansCb(CallbackData, prefix="eb"):
    """/members: lift the bans of people banned here who erased their data since; asked, then `confirmed`."""

    community_id: DbInt
    confirmed: bool = False


class MemberCb(CallbackData, prefix="mm"):
    """One member in /members: their card (action ""), an action, or its confirmation; `page` and `query` lead
    back to the list."""

    community_id: DbInt
    user_id: DbInt
    action: str = ""  # "", or a services.members action: pause, resume, remove, ban, unban
    confirmed: bool = False
    page: DbInt = 0
    query: str = ""


class PreviewCb(CallbackData, prefix="pv"):
    """/preview: which community's next round to show (dry run)."""

    community_id: DbInt


class StatsCb(CallbackData, prefix="st"):
    community_id: DbInt


class ExportCb(CallbackData, prefix="ex"):
    community_id: DbInt


class TopicCb(CallbackData, prefix="qt"):
    """A help topic in the questionnaire: `step` "offer_topics" or "need_topics" (only valid on that question),
    `index` its place in the topics shown."""

    step: str
    index: DbInt


class NewQuestionsCb(CallbackData, prefix="nq"):
    """The one-time question to an older profile: add languages and help topics now, or not."""

    add: bool


class AdminsCb(CallbackData, prefix="ad"):
    """/admins: the list (action ""), a new one-time admin link ("invite"), or removing a co-admin ("remove")."""

    community_id: DbInt
    action: str = ""
    user_id: DbInt = 0
    confirmed: bool = False


class RenameCb(CallbackData, prefix="rn"):
    """/rename with several communities: which one gets the name the admin typed (kept in their chat state)."""

    community_id: DbInt


class FeedbackCb(CallbackData, prefix="fb"):
    """/stats: "Feedback of round N" (the round must be the community's: checked on every press)."""

    community_id: DbInt
    round_id: DbInt


class MomentsCb(CallbackData, prefix="mo"):
    """/moments: "show" the setting, or turn the group post "on" / "off"."""

    community_id: DbInt
    action: str = "show"
