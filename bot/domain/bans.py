"""A ban that outlives erasure names nobody: the community keeps only a keyed hash of the Telegram id, enough to
recognise the same account when it comes back through an invite link, and nothing anyone could read back
without the bot's secret."""

from __future__ import annotations

import hashlib
import hmac


def person_key(secret: bytes, telegram_id: int) -> str:
    return hmac.new(secret, str(telegram_id).encode(), hashlib.sha256).hexdigest()
