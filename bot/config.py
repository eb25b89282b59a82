"""Settings read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./coffee.db"


class DatabaseSettings(BaseSettings):
    """The subset Alembic needs: migrations run without a bot token."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = DEFAULT_DATABASE_URL


class Settings(DatabaseSettings):
    bot_token: SecretStr
    telegram_api_url: str | None = None
    log_level: str = "INFO"
    default_timezone: str = "UTC"
    delivery_rate: float = Field(default=25.0, gt=0, le=1000)
    delivery_lease_seconds: float = Field(default=30.0, ge=3)
    housekeeping_seconds: float = Field(default=60.0, gt=0)
    community_creators: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.match(value.get_secret_value().strip()):
            raise ValueError("malformed token")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("community_creators", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in re.split(r"[,\s]+", value.strip()) if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    def may_create_communities(self, telegram_id: int) -> bool:
        return not self.community_creators or telegram_id in self.community_creators


class SettingsError(Exception):
    """A configuration problem, described in one line for the operator."""


FIELD_HINTS = {
    "bot_token": "BOT_TOKEN is missing or malformed: create a bot with @BotFather in Telegram "
    "(/newbot) and set BOT_TOKEN to the token it gives you, e.g. BOT_TOKEN=123456789:AAE...",
    "database_url": "DATABASE_URL is invalid",
    "default_timezone": "DEFAULT_TIMEZONE must be an IANA time zone such as Europe/Berlin",
    "community_creators": "COMMUNITY_CREATORS must be a comma-separated list of Telegram user ids",
    "log_level": "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL",
    "delivery_rate": "DELIVERY_RATE must be a number of messages per second between 0 and 1000",
    "delivery_lease_seconds": "DELIVERY_LEASE_SECONDS must be at least 3 seconds",
    "housekeeping_seconds": "HOUSEKEEPING_SECONDS must be a positive number of seconds",
}


def load_settings() -> Settings:
    """Load settings or raise SettingsError with a one-line, actionable message."""
    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        hint = FIELD_HINTS.get(field, f"{field.upper()}: {first['msg']}")
        raise SettingsError(hint) from None
