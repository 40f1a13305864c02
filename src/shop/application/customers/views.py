"""What the customers context answers: profiles, token pairs, the calling principal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from shop.domain.customers.customer import Customer
from shop.domain.customers.values import Role
from shop.domain.shared.address import Address


@dataclass(frozen=True)
class AddressView:
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class CustomerView:
    id: uuid.UUID
    email: str
    full_name: str
    phone: str | None
    shipping_address: AddressView | None
    role: str
    created_at: datetime
    disabled: bool = False

    @classmethod
    def of(cls, customer: Customer) -> CustomerView:
        return cls(
            id=customer.id,
            email=customer.email.value,
            full_name=customer.full_name,
            phone=customer.phone,
            shipping_address=address_view(customer.shipping_address),
            role=customer.role.value,
            created_at=customer.created_at,
            disabled=customer.is_disabled,
        )


def address_view(address: Address | None) -> AddressView | None:
    if address is None:
        return None
    return AddressView(line1=address.line1, line2=address.line2, city=address.city,
                       postal_code=address.postal_code, country=address.country)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


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


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


@dataclass
class RefreshTokenRecord:
    """A refresh token as stored: only its hash, its family, and when it was spent.

    Tokens of one login form a family; each refresh spends one token and
    issues the next. Presenting a spent token means it leaked, so the whole
    family is revoked.
    """

    id: uuid.UUID
    family_id: uuid.UUID
    customer_id: uuid.UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass
class PasswordResetRecord:
    """A password reset token as stored: only its hash; spent once, valid until `expires_at`."""

    id: uuid.UUID
    customer_id: uuid.UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
