"""Account security over HTTP on both profiles: logout, password change and reset, disabling."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from shop.interfaces.http.app import create_app
from shop.settings import Settings
from tests.e2e.helpers import assert_problem, error_fields, serving
from tests.e2e.shop_client import (
    CUSTOMER_PASSWORD,
    Account,
    ShopClient,
    bearer,
    cheap_runtime,
    with_accounts,
)

NEW_PASSWORD = "a-brand-new-password"
AUTH = "/api/v1/auth"
EMAIL_WAIT_SECONDS = 20.0


@pytest.fixture(params=["sqlite", pytest.param("postgres_redis",
                                                marks=[pytest.mark.postgres, pytest.mark.redis])])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    chosen: Settings = request.getfixturevalue(f"{request.param}_settings")
    return with_accounts(chosen).with_overrides(data_dir=tmp_path, login_max_failures_per_account=3)


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[ShopClient]:
    async with serving(create_app(runtime=cheap_runtime(settings))) as client:
        yield ShopClient(client)


async def sign_in(shop: ShopClient, account: Account, password: str = CUSTOMER_PASSWORD
                  ) -> httpx.Response:
    return await shop.client.post(f"{AUTH}/token",
                                  json={"email": account.email, "password": password})


async def refresh(shop: ShopClient, refresh_token: str) -> httpx.Response:
    return await shop.client.post(f"{AUTH}/refresh", json={"refresh_token": refresh_token})


def reset_emails(settings: Settings) -> list[EmailMessage]:
    """The password-reset emails among the `.eml` files (welcome emails are there too)."""
    folder = settings.data_dir / "mail"
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(folder.glob("*.eml"))]
    return [m for m in messages
            if isinstance(m, EmailMessage) and m["Subject"] == "Reset your shop password"]


async def sent_reset_emails(settings: Settings, count: int) -> list[EmailMessage]:
    """The reset emails once `count` were written: they are sent after the 202 answer."""
    deadline = asyncio.get_running_loop().time() + EMAIL_WAIT_SECONDS
    while len(found := reset_emails(settings)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{len(found)} of {count} emails"
        await asyncio.sleep(0.05)
    return found


def token_in(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    found = re.search(r"Your reset token: (\S+)", text)
    assert found, text
    return found.group(1)


# ------------------------------------------------------------------ logout


async def test_logout_revokes_the_login_and_answers_204(shop: ShopClient) -> None:
    ann = await shop.customer("ann")
    pair = (await sign_in(shop, ann)).json()

    response = await shop.client.post(f"{AUTH}/logout", headers=ann.headers,
                                      json={"refresh_token": pair["refresh_token"]})

    assert response.status_code == 204
    assert_problem(await refresh(shop, pair["refresh_token"]), 401)


async def test_logout_needs_an_access_token(shop: ShopClient) -> None:
    assert_problem(await shop.client.post(f"{AUTH}/logout", json={"refresh_token": "x"}), 401)


# ------------------------------------------------------------------ password change


async def test_changing_the_password_revokes_every_refresh_token(shop: ShopClient) -> None:
    ann = await shop.customer("ann")
    pair = (await sign_in(shop, ann)).json()

    response = await shop.client.post("/api/v1/customers/me/password", headers=ann.headers,
                                      json={"current_password": CUSTOMER_PASSWORD,
                                            "new_password": NEW_PASSWORD})

    assert response.status_code == 204, response.text
    assert_problem(await refresh(shop, pair["refresh_token"]), 401)
    assert_problem(await sign_in(shop, ann), 401)
    assert (await sign_in(shop, ann, NEW_PASSWORD)).status_code == 200


async def test_a_wrong_current_password_answers_401(shop: ShopClient) -> None:
    ann = await shop.customer("ann")
    response = await shop.client.post("/api/v1/customers/me/password", headers=ann.headers,
                                      json={"current_password": "wrong-password",
                                            "new_password": NEW_PASSWORD})
    assert_problem(response, 401)
    assert (await sign_in(shop, ann)).status_code == 200


async def test_a_too_short_new_password_is_a_validation_error(shop: ShopClient) -> None:
    ann = await shop.customer("ann")
    response = await shop.client.post("/api/v1/customers/me/password", headers=ann.headers,
                                      json={"current_password": CUSTOMER_PASSWORD,
                                            "new_password": "short"})
    assert "new_password" in error_fields(assert_problem(response, 400))


# ------------------------------------------------------------------ password reset


async def test_a_reset_answers_202_for_known_and_unknown_emails_alike(
    shop: ShopClient, settings: Settings,
) -> None:
    ann = await shop.customer("ann")
    known = await shop.client.post(f"{AUTH}/password-reset", json={"email": ann.email})
    unknown = await shop.client.post(f"{AUTH}/password-reset",
                                     json={"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    [message] = await sent_reset_emails(settings, 1)
    assert message["To"] == ann.email


async def test_the_emailed_token_sets_a_new_password_once_and_ends_every_login(
    shop: ShopClient, settings: Settings,
) -> None:
    ann = await shop.customer("ann")
    pair = (await sign_in(shop, ann)).json()
    await shop.client.post(f"{AUTH}/password-reset", json={"email": ann.email})
    token = token_in((await sent_reset_emails(settings, 1))[0])
    confirm = {"token": token, "new_password": NEW_PASSWORD}

    first = await shop.client.post(f"{AUTH}/password-reset/confirm", json=confirm)
    again = await shop.client.post(f"{AUTH}/password-reset/confirm", json=confirm)

    assert first.status_code == 204, first.text
    assert "token" in error_fields(assert_problem(again, 422))
    assert_problem(await refresh(shop, pair["refresh_token"]), 401)
    assert (await sign_in(shop, ann, NEW_PASSWORD)).status_code == 200


async def test_reset_requests_are_throttled_like_sign_in(shop: ShopClient) -> None:
    ann = await shop.customer("ann")
    answers = [(await shop.client.post(f"{AUTH}/password-reset", json={"email": ann.email}))
               for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [202, 202, 202]
    assert_problem(answers[3], 429)
    assert int(answers[3].headers["Retry-After"]) > 0


# ------------------------------------------------------------------ disabled accounts


async def test_a_disabled_customer_cannot_sign_in_and_its_tokens_stop_working(
    shop: ShopClient,
) -> None:
    admin, ann = await shop.admin(), await shop.customer("ann")
    pair = (await sign_in(shop, ann)).json()

    response = await shop.client.patch(f"/api/v1/customers/{ann.id}", headers=admin.headers,
                                       json={"disabled": True})

    assert response.status_code == 200, response.text
    assert response.json()["disabled"] is True
    assert_problem(await sign_in(shop, ann), 401)
    assert_problem(await refresh(shop, pair["refresh_token"]), 401)
    assert_problem(await shop.client.get("/api/v1/customers/me",
                                         headers=bearer(pair["access_token"])), 401)


async def test_an_enabled_customer_signs_in_again(shop: ShopClient) -> None:
    admin, ann = await shop.admin(), await shop.customer("ann")
    for disabled in (True, False):
        response = await shop.client.patch(f"/api/v1/customers/{ann.id}",
                                           headers=admin.headers, json={"disabled": disabled})
        assert response.status_code == 200, response.text
    assert (await sign_in(shop, ann)).status_code == 200
    assert (await shop.client.get("/api/v1/customers/me", headers=ann.headers)).status_code == 200


async def test_only_admins_disable_customers(shop: ShopClient) -> None:
    ann, bob = await shop.customer("ann"), await shop.customer("bob")
    response = await shop.client.patch(f"/api/v1/customers/{bob.id}", headers=ann.headers,
                                       json={"disabled": True})
    assert_problem(response, 403)


async def test_an_admin_cannot_disable_themselves(shop: ShopClient) -> None:
    admin = await shop.admin()
    response = await shop.client.patch(f"/api/v1/customers/{admin.id}", headers=admin.headers,
                                       json={"disabled": True})
    assert_problem(response, 409)


async def test_disabling_an_unknown_customer_is_404(shop: ShopClient) -> None:
    admin = await shop.admin()
    response = await shop.client.patch("/api/v1/customers/00000000-0000-4000-8000-000000000000",
                                       headers=admin.headers, json={"disabled": True})
    assert_problem(response, 404)
