"""A postal address, shared by customer profiles and orders."""

from __future__ import annotations

from dataclasses import dataclass

from shop.domain.shared.countries import ISO_3166_ALPHA_2
from shop.domain.shared.errors import InvalidValue


def clean_text(field: str, value: str, max_length: int, *, required: bool) -> str:
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
        object.__setattr__(self, "line1", clean_text("shipping_address.line1", self.line1, 200,
                                                required=True))
        if self.line2 is not None:
            object.__setattr__(self, "line2", clean_text("shipping_address.line2", self.line2, 200,
                                                    required=False) or None)
        object.__setattr__(self, "city", clean_text("shipping_address.city", self.city, 100,
                                               required=True))
        object.__setattr__(self, "postal_code", clean_text("shipping_address.postal_code",
                                                      self.postal_code, 20, required=True))
        country = self.country.strip().upper()
        if country not in ISO_3166_ALPHA_2:
            raise InvalidValue("shipping_address.country",
                               "must be an ISO 3166-1 alpha-2 country code")
        object.__setattr__(self, "country", country)
