"""Settings read from the environment and `.env` (pydantic-settings).

Imported before anything heavy (`python -m bot` reads and checks settings first, then imports aiogram and the
rest): keep this module's imports light.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./coffee.db"
DEFAULT_WEB_PORT = 8080
# The async driver each database is used with; a URL naming the plain dialect gets it.
ASYNC_DRIVERS = {"postgresql": "asyncpg", "postgres": "asyncpg", "sqlite": "aiosqlite"}


def normalize_database_url(value: str) -> str:
    """`postgresql://…` and `postgres://…` (as hosting providers print them) → `postgresql+asyncpg://…`,
    `sqlite:///…` → `sqlite+aiosqlite:///…`; anything else must already name asyncpg or aiosqlite."""
    value = value.strip()
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("not a database URL") from None
    dialect = url.get_backend_name()
    driver = ASYNC_DRIVERS.get(dialect)
    if driver is None:
        raise ValueError(f"unsupported database {dialect!r}")
    if url.drivername == dialect:
        scheme = value.split(":", 1)[0]
        value = ("postgresql" if dialect == "postgres" else dialect) + f"+{driver}" + value[len(scheme):]
    elif url.get_driver_name() != driver:
        raise ValueError(f"unsupported driver {url.get_driver_name()!r}")
    return value


class DatabaseSettings(BaseSettings):
    """The subset Alembic needs: migrations run without a bot token."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = DEFAULT_DATABASE_URL

    @field_validator("database_url")
    @classmethod
    def _async_url(cls, value: str) -> str:
        return normalize_database_url(value)


class Settings(DatabaseSettings):
    bot_token: SecretStr
    telegram_api_url: str | None = None
    log_level: str = "INFO"
    default_timezone: str = "UTC"
    delivery_rate: float = Field(default=25.0, gt=0, le=1000)
    delivery_lease_seconds: float = Field(default=30.0, ge=3)
    housekeeping_seconds: float = Field(default=60.0, gt=0)
    community_creators: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    web_host: str = "0.0.0.0"  # all interfaces: in a container the operator decides what is published
    web_port: int | None = Field(default=None, ge=1, le=65535)
    redis_url: str | None = None
    redis_prefix: str = Field(default="coffee", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    log_format: Literal["text", "json"] = "text"

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

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an https:// URL")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not SECRET_PATTERN.match(value.get_secret_value()):
            raise ValueError("1-256 characters A-Z a-z 0-9 _ -")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        if urlsplit(value.strip()).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value.strip()

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def webhook_path(self) -> str:
        """Where the web server takes Telegram's POSTs: the path of WEBHOOK_URL."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def webhook_secret_token(self) -> str:
        """WEBHOOK_SECRET, or one derived from the bot token (HMAC-SHA256): every replica computes the same
        secret without sharing a new one, and nobody without the token can forge it."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        key = self.bot_token.get_secret_value().encode()
        return hmac.new(key, b"coffee-bot webhook secret", hashlib.sha256).hexdigest()

    @property
    def erased_ban_secret(self) -> bytes:
        """Keys the hashes that keep a ban after the banned person's /delete (bot.domain.bans): derived from the
        bot token, so the database alone does not tell whose Telegram id a hash is."""
        key = self.bot_token.get_secret_value().encode()
        return hmac.new(key, b"coffee-bot erased bans", hashlib.sha256).digest()

    @property
    def serve_port(self) -> int | None:
        """The web server's port: WEB_PORT; in webhook mode 8080 if unset; None = no web server (polling)."""
        if self.web_port is not None:
            return self.web_port
        return DEFAULT_WEB_PORT if self.webhook_url else None

    def may_create_communities(self, telegram_id: int) -> bool:
        return not self.community_creators or telegram_id in self.community_creators


class SettingsError(Exception):
    """A configuration problem, described in one line for the operator."""


FIELD_HINTS = {
    "bot_token": "BOT_TOKEN is missing or malformed: create a bot with @BotFather in Telegram "
    "(/newbot) and set BOT_TOKEN to the token it gives you, e.g. BOT_TOKEN=123456789:AAE...",
    "database_url": "DATABASE_URL is invalid ({reason}): use postgresql+asyncpg://user:password@host:5432/coffee "
    "or sqlite+aiosqlite:///./coffee.db",
    "default_timezone": "DEFAULT_TIMEZONE must be an IANA time zone such as Europe/Berlin",
    "community_creators": "COMMUNITY_CREATORS must be a comma-separated list of Telegram user ids",
    "log_level": "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL",
    "delivery_rate": "DELIVERY_RATE must be a number of messages per second between 0 and 1000",
    "delivery_lease_seconds": "DELIVERY_LEASE_SECONDS must be at least 3 seconds",
    "housekeeping_seconds": "HOUSEKEEPING_SECONDS must be a positive number of seconds",
    "webhook_url": "WEBHOOK_URL must be the public https:// URL Telegram posts updates to, "
    "e.g. https://bot.example.com/telegram",
    "webhook_secret": "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
    "web_port": "WEB_PORT must be a TCP port number between 1 and 65535",
    "redis_url": "REDIS_URL must be a Redis URL such as redis://localhost:6379/0",
    "redis_prefix": "REDIS_PREFIX must be 1-64 characters of A-Z, a-z, 0-9, _, . and -",
    "log_format": "LOG_FORMAT must be text or json",
}


def load_settings() -> Settings:
    """Load settings or raise SettingsError with a one-line, actionable message."""
    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        reason = str(first["msg"]).removeprefix("Value error, ")
        hint = FIELD_HINTS.get(field, f"{field.upper()}: {{reason}}").format(reason=reason)
        raise SettingsError(hint) from None
