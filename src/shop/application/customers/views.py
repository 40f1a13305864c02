"""What the customers context answers: profiles and token pairs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shop.application.shared import AddressView
from shop.domain.customers.customer import Customer


@dataclass(frozen=True)
class CustomerView:
    id: uuid.UUID
    email: str
    role: str
    full_name: str
    created_at: datetime
    phone: str | None
    shipping_address: AddressView | None
    disabled: bool = False

    @classmethod
    def of(cls, customer: Customer) -> CustomerView:
        """Never the password hash: a view leaves the process."""
        address = customer.shipping_address
        return cls(
            id=customer.id,
            email=customer.email.value,
            full_name=customer.full_name,
            phone=customer.phone,
            shipping_address=None if address is None else AddressView.of(address),
            role=customer.role.value,
            created_at=customer.created_at,
            disabled=customer.is_disabled,
        )


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int
