"""Customer commands and queries through the message bus, on in-memory ports."""

from __future__ import annotations

import uuid

import pytest

from shop.application.customers.commands import (
    EnsureAdmin,
    IssueTokens,
    RefreshTokens,
    RegisterCustomer,
    UpdateProfile,
)
from shop.application.customers.queries import GetCustomer, ListCustomers
from shop.application.customers.views import CustomerView, TokenPair
from shop.application.paging import Page
from shop.application.shared import AddressInput
from shop.domain.customers.errors import CustomerNotFound, EmailTaken
from shop.domain.customers.events import CustomerRegistered
from shop.domain.shared.errors import InvalidValue, RateLimited, Unauthenticated

from .fakes import FakeShop

PASSWORD = "correct horse"


async def register(shop: FakeShop, email: str = "ann@example.com") -> CustomerView:
    return await shop.bus.handle(
        RegisterCustomer(email=email, password=PASSWORD, full_name="Ann Smith")
    )


async def log_in(shop: FakeShop, email: str = "ann@example.com") -> TokenPair:
    return await shop.bus.handle(IssueTokens(email=email, password=PASSWORD))


# ------------------------------------------------------------------ registration


async def test_registering_makes_a_customer_with_a_normalised_email(shop: FakeShop) -> None:
    ann = await register(shop, "  Ann@Example.COM ")

    assert (ann.email, ann.full_name, ann.role) == ("ann@example.com", "Ann Smith", "customer")
    assert (ann.phone, ann.shipping_address) == (None, None)
    assert await shop.bus.ask(GetCustomer(customer_id=ann.id)) == ann
    [event] = shop.published
    assert isinstance(event, CustomerRegistered)
    assert event.customer_id == ann.id


async def test_the_password_is_stored_only_as_a_hash(shop: FakeShop) -> None:
    ann = await register(shop)
    stored = shop.store.tables.customers[ann.id].password_hash
    assert PASSWORD not in stored
    assert await shop.password_hasher.verify(stored, PASSWORD)


async def test_registering_an_email_already_taken_in_another_case_is_refused(
    shop: FakeShop,
) -> None:
    await register(shop, "ann@example.com")

    with pytest.raises(EmailTaken):
        await register(shop, "ANN@example.com")

    assert len(shop.store.tables.customers) == 1


@pytest.mark.parametrize("password", ["1234567", "x" * 129])
async def test_a_password_outside_8_to_128_characters_is_refused(
    shop: FakeShop, password: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        await shop.bus.handle(
            RegisterCustomer(email="ann@example.com", password=password, full_name="Ann")
        )
    assert refused.value.field == "password"
    assert shop.store.tables.customers == {}


async def test_an_invalid_email_is_refused(shop: FakeShop) -> None:
    with pytest.raises(InvalidValue) as refused:
        await register(shop, "not-an-email")
    assert refused.value.field == "email"


# ------------------------------------------------------------------ logging in


async def test_logging_in_with_the_right_password_issues_a_bearer_token_pair(
    shop: FakeShop,
) -> None:
    ann = await register(shop)

    pair = await log_in(shop, "ANN@example.com")

    assert pair.token_type == "bearer"
    assert pair.expires_in > 0
    principal = shop.token_service.read_access(pair.access_token)
    assert (principal.customer_id, principal.is_admin) == (ann.id, False)


async def test_an_unknown_email_and_a_wrong_password_are_refused_alike(shop: FakeShop) -> None:
    await register(shop)

    with pytest.raises(Unauthenticated) as wrong_password:
        await shop.bus.handle(IssueTokens(email="ann@example.com", password="wrong password"))
    with pytest.raises(Unauthenticated) as unknown_email:
        await shop.bus.handle(IssueTokens(email="bob@example.com", password=PASSWORD))

    assert wrong_password.value.detail == unknown_email.value.detail
    # The unknown account was checked against a (dummy) hash too, costing the same time.
    assert shop.password_hasher.verified[-1] is None


async def test_repeated_failed_logins_are_throttled_even_for_the_right_password(
    shop: FakeShop,
) -> None:
    await register(shop)
    for _ in range(shop.login_throttle.max_failures):
        with pytest.raises(Unauthenticated):
            await shop.bus.handle(IssueTokens(email="ann@example.com", password="bad password"))

    with pytest.raises(RateLimited) as limited:
        await log_in(shop)
    assert limited.value.retry_after > 0


async def test_a_password_hashed_with_outdated_parameters_is_rehashed_at_login(
    shop: FakeShop,
) -> None:
    ann = await register(shop)
    shop.password_hasher.scheme = "v2"

    await log_in(shop)

    assert shop.store.tables.customers[ann.id].password_hash.startswith("v2$")


# ------------------------------------------------------------------ refresh rotation


async def test_a_refresh_token_answers_a_new_pair(shop: FakeShop) -> None:
    await register(shop)
    first = await log_in(shop)

    second = await shop.bus.handle(RefreshTokens(refresh_token=first.refresh_token))

    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token


async def test_a_refresh_token_works_only_once(shop: FakeShop) -> None:
    await register(shop)
    first = await log_in(shop)
    await shop.bus.handle(RefreshTokens(refresh_token=first.refresh_token))

    with pytest.raises(Unauthenticated):
        await shop.bus.handle(RefreshTokens(refresh_token=first.refresh_token))


async def test_reusing_a_spent_refresh_token_revokes_the_tokens_issued_after_it(
    shop: FakeShop,
) -> None:
    await register(shop)
    first = await log_in(shop)
    second = await shop.bus.handle(RefreshTokens(refresh_token=first.refresh_token))

    with pytest.raises(Unauthenticated):
        await shop.bus.handle(RefreshTokens(refresh_token=first.refresh_token))

    with pytest.raises(Unauthenticated):
        await shop.bus.handle(RefreshTokens(refresh_token=second.refresh_token))


async def test_an_unknown_refresh_token_is_refused(shop: FakeShop) -> None:
    with pytest.raises(Unauthenticated):
        await shop.bus.handle(RefreshTokens(refresh_token="made-up"))


async def test_a_second_login_starts_a_family_that_a_replay_elsewhere_does_not_revoke(
    shop: FakeShop,
) -> None:
    await register(shop)
    phone = await log_in(shop)
    laptop = await log_in(shop)
    await shop.bus.handle(RefreshTokens(refresh_token=phone.refresh_token))

    with pytest.raises(Unauthenticated):
        await shop.bus.handle(RefreshTokens(refresh_token=phone.refresh_token))

    assert await shop.bus.handle(RefreshTokens(refresh_token=laptop.refresh_token))


# ------------------------------------------------------------------ profiles


async def test_updating_only_the_phone_keeps_the_name(shop: FakeShop) -> None:
    ann = await register(shop)

    updated = await shop.bus.handle(UpdateProfile(customer_id=ann.id, phone="+44 20 7946 0000"))

    assert (updated.full_name, updated.phone) == ("Ann Smith", "+44 20 7946 0000")


async def test_a_phone_set_to_none_is_cleared(shop: FakeShop) -> None:
    ann = await register(shop)
    await shop.bus.handle(UpdateProfile(customer_id=ann.id, phone="+44 20 7946 0000"))

    updated = await shop.bus.handle(UpdateProfile(customer_id=ann.id, phone=None))

    assert updated.phone is None


async def test_a_shipping_address_is_set_with_an_upper_case_country_and_cleared_with_none(
    shop: FakeShop,
) -> None:
    ann = await register(shop)
    address = AddressInput(line1="1 Main St", city="Springfield", postal_code="12345", country="us")

    updated = await shop.bus.handle(UpdateProfile(customer_id=ann.id, shipping_address=address))
    assert updated.shipping_address is not None
    assert (updated.shipping_address.line1, updated.shipping_address.country) == (
        "1 Main St",
        "US",
    )
    cleared = await shop.bus.handle(UpdateProfile(customer_id=ann.id, shipping_address=None))
    assert cleared.shipping_address is None


async def test_an_address_in_an_unknown_country_is_refused_and_changes_nothing(
    shop: FakeShop,
) -> None:
    ann = await register(shop)
    address = AddressInput(line1="1 Main St", city="X", postal_code="1", country="ZZ")

    with pytest.raises(InvalidValue) as refused:
        await shop.bus.handle(UpdateProfile(customer_id=ann.id, shipping_address=address))

    assert refused.value.field == "shipping_address.country"
    assert await shop.bus.ask(GetCustomer(customer_id=ann.id)) == ann


async def test_updating_an_unknown_customer_is_not_found(shop: FakeShop) -> None:
    with pytest.raises(CustomerNotFound):
        await shop.bus.handle(UpdateProfile(customer_id=uuid.uuid4(), full_name="X"))


# ------------------------------------------------------------------ admins and queries


async def test_ensuring_an_admin_creates_one_that_can_log_in(shop: FakeShop) -> None:
    admin = await shop.bus.handle(EnsureAdmin(email="root@example.com", password=PASSWORD))

    assert admin.role == "admin"
    pair = await log_in(shop, "root@example.com")
    assert shop.token_service.read_access(pair.access_token).is_admin


async def test_ensuring_an_admin_twice_keeps_one_account(shop: FakeShop) -> None:
    first = await shop.bus.handle(EnsureAdmin(email="root@example.com", password=PASSWORD))
    again = await shop.bus.handle(EnsureAdmin(email="root@example.com", password=PASSWORD))

    assert again.id == first.id
    assert len(shop.store.tables.customers) == 1


async def test_ensuring_an_admin_promotes_an_existing_customer_and_sets_the_password(
    shop: FakeShop,
) -> None:
    ann = await register(shop)

    promoted = await shop.bus.handle(
        EnsureAdmin(email="ann@example.com", password="a new password")
    )

    assert (promoted.id, promoted.role) == (ann.id, "admin")
    await shop.bus.handle(IssueTokens(email="ann@example.com", password="a new password"))


async def test_customers_are_listed_newest_first_with_a_total(shop: FakeShop) -> None:
    ann = await register(shop, "ann@example.com")
    bob = await register(shop, "bob@example.com")
    cat = await register(shop, "cat@example.com")

    page = await shop.bus.ask(ListCustomers(page=Page(limit=2)))

    assert [c.id for c in page.items] == [cat.id, bob.id]
    assert page.total == 3
    rest = await shop.bus.ask(ListCustomers(page=Page(limit=2, offset=2)))
    assert [c.id for c in rest.items] == [ann.id]


async def test_getting_an_unknown_customer_is_not_found(shop: FakeShop) -> None:
    with pytest.raises(CustomerNotFound):
        await shop.bus.ask(GetCustomer(customer_id=uuid.uuid4()))
