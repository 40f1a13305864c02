"""A customer: their profile, their role and their (hashed) credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shop.domain.customers.errors import CannotDisableSelf
from shop.domain.customers.events import (
    CustomerDisabled,
    CustomerEnabled,
    CustomerRegistered,
    PasswordChanged,
)
from shop.domain.customers.values import (
    EmailAddress,
    Role,
    clean_full_name,
    clean_phone,
)
from shop.domain.shared.address import Address
from shop.domain.shared.events import EventRecorder


@dataclass(eq=False)
class Customer(EventRecorder):
    id: uuid.UUID
    email: EmailAddress
    full_name: str
    password_hash: str
    role: Role
    created_at: datetime
    updated_at: datetime
    phone: str | None = None
    shipping_address: Address | None = None
    disabled_at: datetime | None = None
    """When an admin disabled the account; None while it may sign in."""

    @classmethod
    def register(
        cls,
        *,
        id: uuid.UUID,
        email: EmailAddress,
        full_name: str,
        password_hash: str,
        now: datetime,
        role: Role = Role.CUSTOMER,
    ) -> Customer:
        """Registration always makes a customer; admins are made by `promote`."""
        customer = cls(id=id, email=email, full_name=clean_full_name(full_name),
                       password_hash=password_hash, role=role, created_at=now, updated_at=now)
        customer.record(CustomerRegistered(customer_id=id, email=email.value,
                                           role=customer.role.value))
        return customer

    def update_profile(
        self,
        *,
        now: datetime,
        full_name: str | None = None,
        phone: str | None = None,
        clear_phone: bool = False,
        shipping_address: Address | None = None,
        clear_shipping_address: bool = False,
    ) -> None:
        if full_name is not None:
            self.full_name = clean_full_name(full_name)
        if clear_phone:
            self.phone = None
        elif phone is not None:
            self.phone = clean_phone(phone)
        if clear_shipping_address:
            self.shipping_address = None
        elif shipping_address is not None:
            self.shipping_address = shipping_address
        self.updated_at = now

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    def change_password(self, password_hash: str, now: datetime, *,
                        through_reset: bool = False) -> None:
        """A new password chosen by the customer; the caller ends every login (refresh
        tokens) in the same transaction, which `PasswordChanged` announces."""
        self.password_hash = password_hash
        self.updated_at = now
        self.record(PasswordChanged(customer_id=self.id, through_reset=through_reset))

    def change_password_hash(self, password_hash: str, now: datetime) -> None:
        """The same password under a new hash (rehash at login, admin ensured): no event."""
        self.password_hash = password_hash
        self.updated_at = now

    def disable(self, now: datetime, *, by: uuid.UUID) -> None:
        """Refuse sign-in from now on; disabling a disabled account changes nothing."""
        if by == self.id:
            raise CannotDisableSelf()
        if self.disabled_at is not None:
            return
        self.disabled_at = now
        self.updated_at = now
        self.record(CustomerDisabled(customer_id=self.id))

    def enable(self, now: datetime) -> None:
        if self.disabled_at is None:
            return
        self.disabled_at = None
        self.updated_at = now
        self.record(CustomerEnabled(customer_id=self.id))

    def promote_to_admin(self, now: datetime) -> None:
        self.role = Role.ADMIN
        self.updated_at = now
