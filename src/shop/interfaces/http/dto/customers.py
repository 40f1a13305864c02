"""Bodies of the auth and customer routes. Passwords come in, and never go out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from shop.application.customers.commands import (
    ChangePassword,
    ConfirmPasswordReset,
    IssueTokens,
    Logout,
    RefreshTokens,
    RegisterCustomer,
    RequestPasswordReset,
    SetCustomerDisabled,
    UpdateProfile,
)
from shop.application.customers.views import CustomerView, TokenPair
from shop.application.shared import AddressInput, AddressView
from shop.interfaces.http.dto.fields import unset_to_app

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, examples=["ann@example.com"])]
Password = Annotated[
    str, msgspec.Meta(min_length=8, max_length=128, description="8 to 128 characters.")
]
FullName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Ann Lee"])]
Phone = Annotated[str, msgspec.Meta(max_length=32, examples=["+1 555 0100"])]
Country = Annotated[
    str,
    msgspec.Meta(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 code, e.g. `US`."),
]

RefreshToken = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class AddressBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line1: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    postal_code: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    country: Country
    line2: Annotated[str, msgspec.Meta(max_length=200)] | None = None

    def to_input(self) -> AddressInput:
        return AddressInput(line1=self.line1, line2=self.line2, city=self.city,
                            postal_code=self.postal_code, country=self.country)

    @classmethod
    def from_view(cls, view: AddressView | None) -> AddressBody | None:
        if view is None:
            return None
        return cls(line1=view.line1, line2=view.line2, city=view.city,
                   postal_code=view.postal_code, country=view.country)


class RegisterRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Registration always makes a `customer`: a `role` (or any other field) is refused."""

    email: Email
    password: Password
    full_name: FullName

    def to_command(self) -> RegisterCustomer:
        return RegisterCustomer(email=self.email, password=self.password,
                                full_name=self.full_name)


class TokenRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Annotated[str, msgspec.Meta(max_length=128)]

    def to_command(self, client_address: str) -> IssueTokens:
        return IssueTokens(email=self.email, password=self.password,
                           client_address=client_address)


class RefreshRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh_token: RefreshToken

    def to_command(self) -> RefreshTokens:
        return RefreshTokens(refresh_token=self.refresh_token)


class LogoutRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh_token: RefreshToken

    def to_command(self, customer_id: uuid.UUID) -> Logout:
        return Logout(customer_id=customer_id, refresh_token=self.refresh_token)


class ChangePasswordRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(max_length=128)]
    new_password: Password

    def to_command(self, customer_id: uuid.UUID) -> ChangePassword:
        return ChangePassword(customer_id=customer_id, current_password=self.current_password,
                              new_password=self.new_password)


class PasswordResetRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254, examples=["ann@example.com"])]

    def to_command(self, client_address: str) -> RequestPasswordReset:
        return RequestPasswordReset(email=self.email, client_address=client_address)


class PasswordResetConfirmRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=512,
                                       description="The token from the reset email.")]
    new_password: Password

    def to_command(self) -> ConfirmPasswordReset:
        return ConfirmPasswordReset(token=self.token, new_password=self.new_password)


class AcceptedResponse(msgspec.Struct, kw_only=True):
    detail: str


class CustomerStatusRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    disabled: bool
    """`true`: the account can no longer sign in and its tokens stop working."""

    def to_command(self, customer_id: uuid.UUID, admin_id: uuid.UUID) -> SetCustomerDisabled:
        return SetCustomerDisabled(customer_id=customer_id, disabled=self.disabled, by=admin_id)


class TokenResponse(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    """Lifetime of the access token in seconds."""

    @classmethod
    def from_pair(cls, pair: TokenPair) -> TokenResponse:
        return cls(access_token=pair.access_token, refresh_token=pair.refresh_token,
                   token_type=pair.token_type, expires_in=pair.expires_in)


class UpdateProfileRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Any of the fields; `null` clears `phone` or `shipping_address`."""

    full_name: FullName | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    shipping_address: AddressBody | msgspec.UnsetType | None = msgspec.UNSET

    def to_command(self, customer_id: uuid.UUID) -> UpdateProfile:
        address = self.shipping_address
        return UpdateProfile(
            customer_id=customer_id,
            full_name=unset_to_app(self.full_name),
            phone=unset_to_app(self.phone),
            shipping_address=address.to_input() if isinstance(address, AddressBody)
            else unset_to_app(address),
        )


class CustomerResponse(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str
    full_name: str
    phone: str | None
    shipping_address: AddressBody | None
    role: str
    created_at: datetime
    disabled: bool
    """An admin disabled the account: it cannot sign in."""

    @classmethod
    def from_view(cls, view: CustomerView) -> CustomerResponse:
        return cls(id=view.id, email=view.email, full_name=view.full_name, phone=view.phone,
                   shipping_address=AddressBody.from_view(view.shipping_address),
                   role=view.role, created_at=view.created_at, disabled=view.disabled)
