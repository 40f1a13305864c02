"""Value objects of the customers context: email, address, role."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from shop.domain.shared.address import clean_text
from shop.domain.shared.errors import InvalidValue

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
EMAIL_MAX = 254


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """An email, normalised (trimmed, lower-cased) so equality is case-insensitive.

    Lower-casing the local part is stricter than RFC 5321 allows, but it is
    what people expect of a login: `Ann@Example.com` and `ann@example.com`
    are one account.
    """

    value: str

    def __post_init__(self) -> None:
        normalised = self.value.strip().lower()
        if len(normalised) > EMAIL_MAX or not _EMAIL.match(normalised):
            raise InvalidValue("email", "is not a valid email address")
        object.__setattr__(self, "value", normalised)

    def __str__(self) -> str:
        return self.value


def clean_full_name(value: str) -> str:
    return clean_text("full_name", value, 200, required=True)


def clean_phone(value: str | None) -> str | None:
    """A phone number as the customer writes it: digits, spaces and + ( ) - . only."""
    if value is None:
        return None
    cleaned = value.strip()
    if not cleaned:
        return None
    if len(cleaned) > 32 or not re.fullmatch(r"\+?[0-9 ()\-.]{4,32}", cleaned):
        raise InvalidValue("phone", "is not a valid phone number")
    return cleaned
