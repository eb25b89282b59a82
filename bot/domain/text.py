"""Text as people send it, made safe to store and show.

Telegram passes on whatever a client sends: NUL and other control characters (PostgreSQL text refuses NUL;
the others are invisible noise), lone surrogates, and Windows or old-Mac line ends. Everything else stays —
including zero-width joiners, which hold emoji such as 👩‍💻 together.
"""

from __future__ import annotations

import unicodedata

KEPT_CONTROLS = frozenset("\n\t")


def clean_text(text: str) -> str:
    """Line ends as \\n; control characters (other than newline and tab) and lone surrogates removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs"))


def one_line(text: str) -> str:
    """`clean_text` on one line: every run of whitespace (newlines too) becomes one space."""
    return " ".join(clean_text(text).split())
