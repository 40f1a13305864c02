"""Rules for the free-text fields shared by categories and products."""

from __future__ import annotations

import unicodedata

from shop.domain.shared.errors import InvalidValue

NAME_MAX = 200
DESCRIPTION_MAX = 5000
SKU_MAX = 64


def clean_name(value: str, field: str = "name") -> str:
    """Trim the name and insist it says something, so lists never show blank rows."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidValue(field, "must not be blank")
    if len(cleaned) > NAME_MAX:
        raise InvalidValue(field, f"must be at most {NAME_MAX} characters")
    return cleaned


def clean_description(value: str) -> str:
    if len(value) > DESCRIPTION_MAX:
        raise InvalidValue("description", f"must be at most {DESCRIPTION_MAX} characters")
    return value


def clean_sku(value: str | None) -> str | None:
    """A SKU is an opaque code: trimmed, non-blank when given, unique across the catalog."""
    if value is None:
        return None
    cleaned = value.strip()
    if not cleaned:
        raise InvalidValue("sku", "must not be blank when given")
    if len(cleaned) > SKU_MAX:
        raise InvalidValue("sku", f"must be at most {SKU_MAX} characters")
    return cleaned


def search_key(text: str) -> str:
    """The form names are searched in: Unicode compatibility caseless (NFKC, case folded).

    `CAFÉ`, `Café` and `cafe\u0301` all become `café`; `ΕΛΛΗΝΙΚΆ` and `Ελληνικά` become
    `ελληνικά`; `straße` and `STRASSE` both become `strasse` (full case folding turns ß
    into ss). Computed here, in Python, for stored names and queries alike, so every
    database compares the same strings: no backend's `lower()` decides.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
