"""Customer commands."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.application.customers.views import CustomerView, TokenPair
from shop.application.messages import UNSET, Command, Unset
from shop.application.shared import AddressInput


@dataclass(frozen=True, kw_only=True)
class RegisterCustomer(Command[CustomerView]):
    email: str
    password: str
    full_name: str


@dataclass(frozen=True, kw_only=True)
class IssueTokens(Command[TokenPair]):
    """Log in: exchange an email and password for an access and a refresh token."""

    email: str
    password: str
    client_address: str = "unknown"


@dataclass(frozen=True, kw_only=True)
class RefreshTokens(Command[TokenPair]):
    refresh_token: str


@dataclass(frozen=True, kw_only=True)
class Logout(Command[None]):
    """End the login a refresh token belongs to (its whole family)."""

    customer_id: uuid.UUID
    refresh_token: str


@dataclass(frozen=True, kw_only=True)
class ChangePassword(Command[None]):
    """The signed-in customer's own change: the current password proves it is them, and
    every refresh token of theirs is revoked with it."""

    customer_id: uuid.UUID
    current_password: str
    new_password: str


@dataclass(frozen=True, kw_only=True)
class RequestPasswordReset(Command[None]):
    """Email a single-use reset token, if the account exists; the caller never learns which."""

    email: str
    client_address: str = "unknown"


@dataclass(frozen=True, kw_only=True)
class ConfirmPasswordReset(Command[None]):
    token: str
    new_password: str


@dataclass(frozen=True, kw_only=True)
class SetCustomerDisabled(Command[CustomerView]):
    """An admin (`by`) disables or enables an account."""

    customer_id: uuid.UUID
    disabled: bool
    by: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class UpdateProfile(Command[CustomerView]):
    customer_id: uuid.UUID
    full_name: str | Unset = UNSET
    phone: str | Unset | None = UNSET
    shipping_address: AddressInput | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class EnsureAdmin(Command[CustomerView]):
    """Make sure an admin account with this email and password exists (idempotent)."""

    email: str
    password: str
    full_name: str = "Administrator"
