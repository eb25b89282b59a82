"""SQLAlchemy models. Telegram ids are BigInteger; personal data lives on `users` only."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import Base, UtcDateTime, utcnow


class MeetingFormat(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    ANY = "any"


class MembershipStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


def _values(enum_type: type[enum.StrEnum]) -> list[str]:
    return [member.value for member in enum_type]


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
        Enum(MeetingFormat, name="meeting_format", native_enum=False, length=16, values_callable=_values)
    )
    city: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str | None] = mapped_column(String(64))
    utc_offset: Mapped[int | None] = mapped_column(Integer)
    contact: Mapped[str | None] = mapped_column(String(128))
    profile_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

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
        Enum(MembershipStatus, name="membership_status", native_enum=False, length=16, values_callable=_values),
        default=MembershipStatus.ACTIVE,
    )
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    community: Mapped[Community] = relationship(back_populates="memberships")


class FsmRecord(Base):
    """Persistent aiogram FSM state, so a restart resumes a questionnaire at the same question."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
