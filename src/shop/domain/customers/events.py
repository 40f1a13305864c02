"""Facts the customers context publishes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class CustomerEvent(DomainEvent):
    customer_id: uuid.UUID

    @property
    def aggregate_id(self) -> uuid.UUID:
        return self.customer_id


@dataclass(frozen=True, kw_only=True)
class CustomerRegistered(CustomerEvent):
    email: str
    role: str


@dataclass(frozen=True, kw_only=True)
class PasswordChanged(CustomerEvent):
    """The password was changed by its owner or through a reset; every login was ended."""

    through_reset: bool


@dataclass(frozen=True, kw_only=True)
class CustomerDisabled(CustomerEvent):
    """An admin disabled the account: no sign-in, no token of it works any more."""


@dataclass(frozen=True, kw_only=True)
class CustomerEnabled(CustomerEvent):
    """An admin enabled a disabled account again."""
