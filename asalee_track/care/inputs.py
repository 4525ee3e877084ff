"""What users type, checked the same way everywhere: whole numbers and free text."""

import unicodedata

from asalee_track.i18n import N_

# Database ids typed into addresses and forms: anything larger cannot exist (and overflows SQLite).
MAX_ID = 2**31 - 1

# Bidirectional overrides and isolates reorder what a reader sees ("Trojan Source"): never data.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

HIDDEN_CHARACTERS = N_("Remove the invisible control characters from this field.")


def parse_int(text: str, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number typed in plain digits, within [low, high]; None otherwise.

    ``str.isdigit`` admits '²', '①' or Arabic-Indic digits, which ``int`` then refuses or reads; and
    ``int`` on a 5,000-digit string is slow before it fails. ASCII digits of bounded length only."""
    text = text.strip()
    if not text or len(text) > len(str(high)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def has_hidden_characters(text: str) -> bool:
    """Control characters (NUL, escapes...) and bidirectional overrides are pasting accidents or
    attacks, never data; tabs and line breaks are fine."""
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r") or ch in _BIDI_CONTROLS for ch in text
    )


def check_text(
    errors: dict[str, tuple[str, dict[str, object]]], field: str, text: str, max_length: int
) -> str | None:
    """Free text as stored: spaces folded, refused (in ``errors``) when it hides characters.
    None when empty."""
    if has_hidden_characters(text):
        errors[field] = (HIDDEN_CHARACTERS, {})
        return None
    return " ".join(text.split())[:max_length] or None
