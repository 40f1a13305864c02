"""Value objects of the customers context: email, address, role."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from shop.domain.customers.countries import ISO_3166_ALPHA_2
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


def _text(field: str, value: str, max_length: int, *, required: bool) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidValue(field, "must not be blank")
    if len(cleaned) > max_length:
        raise InvalidValue(field, f"must be at most {max_length} characters")
    return cleaned


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "line1", _text("shipping_address.line1", self.line1, 200,
                                                required=True))
        if self.line2 is not None:
            object.__setattr__(self, "line2", _text("shipping_address.line2", self.line2, 200,
                                                    required=False) or None)
        object.__setattr__(self, "city", _text("shipping_address.city", self.city, 100,
                                               required=True))
        object.__setattr__(self, "postal_code", _text("shipping_address.postal_code",
                                                      self.postal_code, 20, required=True))
        country = self.country.strip().upper()
        if country not in ISO_3166_ALPHA_2:
            raise InvalidValue("shipping_address.country",
                               "must be an ISO 3166-1 alpha-2 country code")
        object.__setattr__(self, "country", country)


def clean_full_name(value: str) -> str:
    return _text("full_name", value, 200, required=True)


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
