"""Account security on in-memory ports: logout, password change and reset, disabled accounts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shop.application.customers.commands import (
    ChangePassword,
    ConfirmPasswordReset,
    EnsureAdmin,
    IssueTokens,
    Logout,
    RefreshTokens,
    RegisterCustomer,
    RequestPasswordReset,
    SetCustomerDisabled,
)
from shop.application.customers.handlers import hash_token
from shop.application.customers.views import CustomerView, TokenPair
from shop.domain.customers.errors import CannotDisableSelf, CustomerNotFound
from shop.domain.customers.events import CustomerDisabled, CustomerEnabled, PasswordChanged
from shop.domain.shared.errors import InvalidValue, RateLimited, Unauthenticated

from .fakes import FakeShop, FixedClock, build_fake_shop

PASSWORD = "correct horse"
NEW_PASSWORD = "battery staple"
EMAIL = "ann@example.com"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def shop(clock: FixedClock) -> FakeShop:
    return build_fake_shop(clock=clock)


async def register(shop: FakeShop, email: str = EMAIL) -> CustomerView:
    return await shop.bus.handle(RegisterCustomer(email=email, password=PASSWORD,
                                                  full_name="Ann Smith"))


async def log_in(shop: FakeShop, password: str = PASSWORD, email: str = EMAIL) -> TokenPair:
    return await shop.bus.handle(IssueTokens(email=email, password=password))


async def refreshes(shop: FakeShop, pair: TokenPair) -> bool:
    try:
        await shop.bus.handle(RefreshTokens(refresh_token=pair.refresh_token))
    except Unauthenticated:
        return False
    return True


async def admin(shop: FakeShop) -> CustomerView:
    return await shop.bus.handle(EnsureAdmin(email="admin@example.com", password=PASSWORD))


# ------------------------------------------------------------------ logout


async def test_logging_out_ends_that_login_and_no_other(shop: FakeShop) -> None:
    ann = await register(shop)
    phone, laptop = await log_in(shop), await log_in(shop)

    await shop.bus.handle(Logout(customer_id=ann.id, refresh_token=phone.refresh_token))

    assert not await refreshes(shop, phone)
    assert await refreshes(shop, laptop)


async def test_logging_out_with_another_accounts_token_revokes_nothing(shop: FakeShop) -> None:
    await register(shop)
    bob = await register(shop, "bob@example.com")
    ann_login = await log_in(shop)

    await shop.bus.handle(Logout(customer_id=bob.id, refresh_token=ann_login.refresh_token))
    await shop.bus.handle(Logout(customer_id=bob.id, refresh_token="never-issued"))

    assert await refreshes(shop, ann_login)


# ------------------------------------------------------------------ password change


async def test_changing_the_password_ends_every_login_and_the_new_one_signs_in(
    shop: FakeShop,
) -> None:
    ann = await register(shop)
    logins = [await log_in(shop), await log_in(shop)]

    await shop.bus.handle(ChangePassword(customer_id=ann.id, current_password=PASSWORD,
                                         new_password=NEW_PASSWORD))

    assert [await refreshes(shop, pair) for pair in logins] == [False, False]
    with pytest.raises(Unauthenticated):
        await log_in(shop, PASSWORD)
    assert await log_in(shop, NEW_PASSWORD)
    assert any(isinstance(e, PasswordChanged) and not e.through_reset for e in shop.published)


async def test_a_wrong_current_password_is_refused_and_changes_nothing(shop: FakeShop) -> None:
    ann = await register(shop)
    login = await log_in(shop)

    with pytest.raises(Unauthenticated):
        await shop.bus.handle(ChangePassword(customer_id=ann.id, current_password="not it!!",
                                             new_password=NEW_PASSWORD))

    assert await refreshes(shop, login)
    assert await log_in(shop, PASSWORD)


async def test_wrong_current_passwords_are_throttled(shop: FakeShop) -> None:
    ann = await register(shop)
    wrong = ChangePassword(customer_id=ann.id, current_password="guess123",
                           new_password=NEW_PASSWORD)
    for _ in range(shop.login_throttle.max_failures):
        with pytest.raises(Unauthenticated):
            await shop.bus.handle(wrong)
    with pytest.raises(RateLimited):
        await shop.bus.handle(ChangePassword(customer_id=ann.id, current_password=PASSWORD,
                                             new_password=NEW_PASSWORD))


async def test_a_new_password_out_of_bounds_is_refused(shop: FakeShop) -> None:
    ann = await register(shop)
    with pytest.raises(InvalidValue) as refused:
        await shop.bus.handle(ChangePassword(customer_id=ann.id, current_password=PASSWORD,
                                             new_password="short"))
    assert refused.value.field == "password"


# ------------------------------------------------------------------ password reset


async def request_reset(shop: FakeShop, email: str = EMAIL) -> None:
    await shop.bus.handle(RequestPasswordReset(email=email, client_address="10.0.0.1"))


async def test_a_reset_of_an_unknown_email_sends_nothing_and_answers_the_same(
    shop: FakeShop,
) -> None:
    await register(shop)
    await request_reset(shop, "nobody@example.com")
    await request_reset(shop, "not an email")
    assert shop.reset_notifier.sent == []


async def test_a_reset_token_is_sent_once_stored_only_hashed_and_valid_30_minutes(
    shop: FakeShop, clock: FixedClock,
) -> None:
    ann = await register(shop)
    await request_reset(shop, "  ANN@example.com ")

    [sent] = shop.reset_notifier.sent
    assert (sent.customer_id, sent.email) == (ann.id, EMAIL)
    assert sent.expires_at == clock.now() + timedelta(minutes=30)
    [stored] = shop.store.tables.password_resets.values()
    assert stored.token_hash == hash_token(sent.token) != sent.token
    assert sent.token not in repr(shop.published)  # never in an event (nor the stream)


async def test_confirming_a_reset_sets_the_password_and_ends_every_login(shop: FakeShop) -> None:
    await register(shop)
    login = await log_in(shop)
    await request_reset(shop)
    [sent] = shop.reset_notifier.sent

    await shop.bus.handle(ConfirmPasswordReset(token=sent.token, new_password=NEW_PASSWORD))

    assert not await refreshes(shop, login)
    assert await log_in(shop, NEW_PASSWORD)
    assert any(isinstance(e, PasswordChanged) and e.through_reset for e in shop.published)


async def test_a_reset_token_works_only_once(shop: FakeShop) -> None:
    await register(shop)
    await request_reset(shop)
    [sent] = shop.reset_notifier.sent
    await shop.bus.handle(ConfirmPasswordReset(token=sent.token, new_password=NEW_PASSWORD))

    with pytest.raises(InvalidValue) as refused:
        await shop.bus.handle(ConfirmPasswordReset(token=sent.token, new_password="third-one!"))

    assert refused.value.field == "token"
    assert await log_in(shop, NEW_PASSWORD)


async def test_a_reset_token_expires_after_30_minutes(shop: FakeShop, clock: FixedClock) -> None:
    await register(shop)
    await request_reset(shop)
    [sent] = shop.reset_notifier.sent
    clock.advance(timedelta(minutes=30))

    with pytest.raises(InvalidValue):
        await shop.bus.handle(ConfirmPasswordReset(token=sent.token, new_password=NEW_PASSWORD))
    assert await log_in(shop, PASSWORD)


async def test_a_newer_reset_request_voids_the_older_token(shop: FakeShop) -> None:
    await register(shop)
    await request_reset(shop)
    await request_reset(shop)
    older, newer = shop.reset_notifier.sent

    with pytest.raises(InvalidValue):
        await shop.bus.handle(ConfirmPasswordReset(token=older.token, new_password=NEW_PASSWORD))
    await shop.bus.handle(ConfirmPasswordReset(token=newer.token, new_password=NEW_PASSWORD))


async def test_reset_requests_are_throttled_per_email(shop: FakeShop) -> None:
    await register(shop)
    for _ in range(shop.login_throttle.max_failures):
        await request_reset(shop)
    with pytest.raises(RateLimited):
        await request_reset(shop)
    assert len(shop.reset_notifier.sent) == shop.login_throttle.max_failures


# ------------------------------------------------------------------ disabled accounts


async def test_a_disabled_account_cannot_sign_in_or_refresh(shop: FakeShop) -> None:
    boss, ann = await admin(shop), await register(shop)
    login = await log_in(shop)

    view = await shop.bus.handle(SetCustomerDisabled(customer_id=ann.id, disabled=True,
                                                     by=boss.id))

    assert view.disabled
    assert not await refreshes(shop, login)
    with pytest.raises(Unauthenticated):
        await log_in(shop)
    assert not await shop.account_status.is_active(ann.id)
    assert ann.id in shop.account_status.forgotten
    assert [type(e) for e in shop.published][-1] is CustomerDisabled


async def test_a_disabled_account_gets_no_reset_token(shop: FakeShop) -> None:
    boss, ann = await admin(shop), await register(shop)
    await shop.bus.handle(SetCustomerDisabled(customer_id=ann.id, disabled=True, by=boss.id))
    await request_reset(shop)
    assert shop.reset_notifier.sent == []


async def test_an_enabled_account_signs_in_again(shop: FakeShop) -> None:
    boss, ann = await admin(shop), await register(shop)
    await shop.bus.handle(SetCustomerDisabled(customer_id=ann.id, disabled=True, by=boss.id))
    view = await shop.bus.handle(SetCustomerDisabled(customer_id=ann.id, disabled=False,
                                                     by=boss.id))
    assert not view.disabled
    assert await log_in(shop)
    assert [type(e) for e in shop.published][-1] is CustomerEnabled


async def test_disabling_twice_records_one_event(shop: FakeShop) -> None:
    boss, ann = await admin(shop), await register(shop)
    for _ in range(2):
        await shop.bus.handle(SetCustomerDisabled(customer_id=ann.id, disabled=True, by=boss.id))
    assert sum(isinstance(e, CustomerDisabled) for e in shop.published) == 1


async def test_an_admin_cannot_disable_their_own_account(shop: FakeShop) -> None:
    boss = await admin(shop)
    with pytest.raises(CannotDisableSelf):
        await shop.bus.handle(SetCustomerDisabled(customer_id=boss.id, disabled=True,
                                                  by=boss.id))


async def test_disabling_an_unknown_customer_is_not_found(shop: FakeShop) -> None:
    boss = await admin(shop)
    with pytest.raises(CustomerNotFound):
        await shop.bus.handle(SetCustomerDisabled(customer_id=uuid.uuid4(), disabled=True,
                                                  by=boss.id))
