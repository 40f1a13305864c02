"""What the messages of more than one context carry: the caller and a postal address.

`Principal` is who sends a command or query (customers prove it, ordering
checks it); `AddressInput` is an address as a client typed it, turned into the
domain's `Address` in one place (`to_address`), and `AddressView` is how an
address is answered, made by `AddressView.of`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from shop.domain.customers.values import Role
from shop.domain.shared.address import Address


@dataclass(frozen=True)
class Principal:
    """Who is calling, as proven by an access token."""

    customer_id: uuid.UUID
    role: Role
    expires_at: datetime | None = field(default=None, compare=False)
    """When the access token that proved it expires (None: not from a token); not part of
    who the caller is, so two tokens of one account give equal principals."""

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, kw_only=True)
class AddressInput:
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None

    def to_address(self) -> Address:
        """The domain's Address, which checks every field (InvalidValue names the bad one)."""
        return Address(line1=self.line1, line2=self.line2, city=self.city,
                       postal_code=self.postal_code, country=self.country)


@dataclass(frozen=True)
class AddressView:
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str

    @classmethod
    def of(cls, address: Address) -> AddressView:
        return cls(line1=address.line1, line2=address.line2, city=address.city,
                   postal_code=address.postal_code, country=address.country)
