"""SQLAlchemy models. Telegram ids are BigInteger; personal data lives on `users` only."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from bot.db.base import Base, UtcDateTime, utcnow


class MeetingFormat(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    ANY = "any"


class Frequency(enum.StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class Outcome(enum.StrEnum):
    MET = "met"
    PLANNED = "planned"
    NOT_MET = "not_met"


class NoMeetingReason(enum.StrEnum):
    NO_ANSWER = "no_answer"
    I_COULD_NOT = "i_could_not"
    OTHER = "other"
    CANT_MAKE_IT = "cant_make_it"  # said so on the intro: a partner left alone may ask for someone new


CHECKIN_REASONS = (NoMeetingReason.NO_ANSWER, NoMeetingReason.I_COULD_NOT, NoMeetingReason.OTHER)
"""The reasons a check-in offers (CANT_MAKE_IT is said on the intro, before the meeting)."""


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class MembershipStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


def _values(enum_type: type[enum.StrEnum]) -> list[str]:
    return [member.value for member in enum_type]


def _enum(enum_type: type[enum.StrEnum], name: str) -> Enum:
    return Enum(enum_type, name=name, native_enum=False, length=16, values_callable=_values)


class User(Base):
    """A person. After /delete only the surrogate id and `deleted_at` remain."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="en")
    display_name: Mapped[str | None] = mapped_column(String(64))
    about: Mapped[str | None] = mapped_column(Text)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    offers: Mapped[str | None] = mapped_column(Text)
    needs: Mapped[str | None] = mapped_column(Text)
    meeting_format: Mapped[MeetingFormat | None] = mapped_column(
        _enum(MeetingFormat, "meeting_format")
    )
    city: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str | None] = mapped_column(String(64))
    utc_offset: Mapped[int | None] = mapped_column(Integer)
    contact: Mapped[str | None] = mapped_column(String(128))
    # Languages they can meet in (codes) and help topic ids they offer / look for; None: never asked (an older
    # profile), [] for topics: asked, none chosen. `topics_asked_at`: when an older profile was asked to add them.
    languages: Mapped[list[str] | None] = mapped_column(JSON)
    offer_topics: Mapped[list[str] | None] = mapped_column(JSON)
    need_topics: Mapped[list[str] | None] = mapped_column(JSON)
    topics_asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    profile_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The command menu set for this person's private chat (None: only the default member menu); see
    # bot.command_menus. Recorded so start-up re-sends only the menus that changed.
    command_menu: Mapped[str | None] = mapped_column(String(40))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    @property
    def has_confirmed_profile(self) -> bool:
        return self.profile_confirmed_at is not None


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    schedule_weekday: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # Monday = 0
    schedule_hour: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    schedule_minute: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    frequency: Mapped[Frequency] = mapped_column(
        _enum(Frequency, "frequency"), default=Frequency.WEEKLY, server_default=Frequency.WEEKLY.value
    )
    reminder_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    round_group_size: Mapped[int] = mapped_column(Integer, default=2, server_default="2")  # 2 = pairs; 3–8 groups
    # Help topics members pick from: [{"id", "en", "ru"}, …] (the id is the topic; labels are how it reads).
    help_topics: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    # The linked group's Join message (the bot's own message in chat_id): edited, not posted again, when
    # the group is re-pointed to another community or the community is renamed.
    join_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # /moments: after each round a short post in the linked group, how many coffees happened (no names).
    moments: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # /settings: the organiser's note added to every intro (None: no note); archived: no rounds until unarchived.
    intro_note: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    memberships: Mapped[list[Membership]] = relationship(back_populates="community")


class CommunityAdmin(Base):
    __tablename__ = "community_admins"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "community_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    status: Mapped[MembershipStatus] = mapped_column(
        _enum(MembershipStatus, "membership_status"),
        default=MembershipStatus.ACTIVE,
    )
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    banned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # set with status left: no invite lets them in
    # "Mute announcements" under an announcement (or /announcements): the person stays a member, matched as
    # before, but gets no more of this community's announcements.
    announcements_muted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(back_populates="memberships")
    community: Mapped[Community] = relationship(back_populates="memberships")


class FsmRecord(Base):
    """Persistent aiogram FSM state, so a restart resumes a questionnaire at the same question."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Round(Base):
    """One matching of one community for one period; the unique key makes rounds idempotent."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("community_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reminder_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    checkin_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checkin_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The feedback digest (and the group post) after check-ins closed: claimed once (services.feedback).
    digest_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    matches: Mapped[list[Match]] = relationship(back_populates="round", order_by="Match.id")


class Match(Base):
    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    first_writer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    round: Mapped[Round] = relationship(back_populates="matches")
    members: Mapped[list[MatchMember]] = relationship(back_populates="match", order_by="MatchMember.user_id")


class MatchMember(Base):
    """A person's side of a match: their check-in, rating and follow-up."""

    __tablename__ = "match_members"

    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome, "outcome"))
    no_reason: Mapped[NoMeetingReason | None] = mapped_column(_enum(NoMeetingReason, "no_meeting_reason"))
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(300))
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    follow_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    match: Mapped[Match] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class CheckinAnswer(Base):
    """A check-in answer about one partner: did `user_id` meet `partner_id` in this match. A pair's reader has
    one; a trio's or group's reader one per partner they were asked about (`MatchMember.outcome` sums them up)."""

    __tablename__ = "checkin_answers"

    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome, "outcome"))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RoundLeftOut(Base):
    """Members a round could not match, with the engine's reason (offered as replacement partners)."""

    __tablename__ = "round_left_out"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))


class Block(Base):
    """"Don't match me with this person again" — confidential, never shown to the other side."""

    __tablename__ = "blocks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    blocked_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutboxMessage(Base):
    """A message to send, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="SET NULL"))
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(300))
    # Whose admins hear if Telegram refuses the message for good (a match's rows are traced through the match),
    # and when they were told (every failed row gets it once looked at, told or not).
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="SET NULL"))
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MeetupStatus(enum.StrEnum):
    OPEN = "open"
    FORMED = "formed"


class Meetup(Base):
    """A ~30-person networking meeting: RSVPs until the deadline, then groups with rosters."""

    __tablename__ = "meetups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rsvp_deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    group_size: Mapped[int] = mapped_column(Integer, default=30)
    meeting_format: Mapped[MeetingFormat] = mapped_column(_enum(MeetingFormat, "meetup_format"))
    place: Mapped[str | None] = mapped_column(String(300))
    by_interest: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[MeetupStatus] = mapped_column(_enum(MeetupStatus, "meetup_status"), default=MeetupStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    checkin_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    community: Mapped[Community] = relationship()


class MeetupRsvp(Base):
    __tablename__ = "meetup_rsvps"

    meetup_id: Mapped[int] = mapped_column(ForeignKey("meetups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    coming: Mapped[bool | None] = mapped_column(Boolean)  # True yes, False no, None maybe (not in a group)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MeetupGroup(Base):
    __tablename__ = "meetup_groups"
    __table_args__ = (UniqueConstraint("meetup_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meetup_id: Mapped[int] = mapped_column(ForeignKey("meetups.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    place: Mapped[str | None] = mapped_column(String(300))  # overrides the session's place for this group
    members: Mapped[list[MeetupGroupMember]] = relationship(order_by="MeetupGroupMember.user_id")


class MeetupGroupMember(Base):
    __tablename__ = "meetup_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("meetup_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    user: Mapped[User] = relationship()


class MeetupConnection(Base):
    """After a session: "I connected with this person" (feeds /network)."""

    __tablename__ = "meetup_connections"

    group_id: Mapped[int] = mapped_column(ForeignKey("meetup_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    other_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class AdminInvite(Base):
    """A one-time link that makes whoever opens it first, before it expires, an admin of the community."""

    __tablename__ = "admin_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

class AnnouncementStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"


class Announcement(Base):
    """An admin's message to their community's members: a draft until its author confirms it, then queued once
    (the draft → sent claim in bot.services.announcements). The text is dropped once the members' copies are
    queued (the outbox holds those until each is sent); a sent row stays for the weekly limit."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_community_sent", "community_id", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[AnnouncementStatus] = mapped_column(
        _enum(AnnouncementStatus, "announcement_status"), default=AnnouncementStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class ErasedBan(Base):
    """A ban that outlives the banned person's /delete: the community and a keyed hash of their Telegram id
    (bot.domain.bans), nothing else, so erasing one's data is no way back in until an admin lifts it."""

    __tablename__ = "erased_bans"
    __table_args__ = (UniqueConstraint("community_id", "person_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    person_key: Mapped[str] = mapped_column(String(64))
    banned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
