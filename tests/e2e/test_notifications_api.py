"""The NotificationService end to end: what the shop's own routes do sends these emails,
to a real SMTP server, and the two list routes show their records."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest

from shop.settings import Settings
from tests.e2e.helpers import assert_problem
from tests.e2e.shop_client import (
    ADMIN_EMAIL,
    Account,
    ShopClient,
    cheap_runtime,
    serving_in_loop,
    with_accounts,
)
from tests.support.smtp import SmtpServer, smtp_server

NOTIFICATIONS = "/api/v1/notifications"
MINE = "/api/v1/customers/me/notifications"
WAIT_SECONDS = 30.0


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def shop(sqlite_settings: Settings, smtp: SmtpServer) -> AsyncIterator[ShopClient]:
    settings = with_accounts(sqlite_settings).with_overrides(
        smtp_url=smtp.url, mail_from="shop@example.com", mail_retry_seconds=0.01,
        consumer_poll_seconds=0.05, low_stock_threshold=5)
    async with serving_in_loop(cheap_runtime(settings)) as http:
        yield ShopClient(http)


async def records(shop: ShopClient, account: Account, path: str = NOTIFICATIONS,
                  **params: Any) -> dict[str, Any]:
    response = await shop.client.get(path, params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def settled(shop: ShopClient, admin: Account, count: int, **params: Any) -> list[Any]:
    """The admin list once `count` records matching `params` are no longer pending."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        items = (await records(shop, admin, limit=100, **params))["items"]
        done = [item for item in items if item["status"] != "pending"]
        if len(done) >= count:
            return done
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} settled notifications for {params}: {items}")
        await asyncio.sleep(0.05)


async def test_registering_paying_shipping_and_cancelling_email_the_customer(
    shop: ShopClient, smtp: SmtpServer
) -> None:
    admin = await shop.admin()
    ada = await shop.customer("ada")
    runner = await shop.product(price="19.99", stock=50, name="Trail Runner")
    shipped = await shop.paid_order(ada, (runner, 2))
    cancelled = await shop.paid_order(ada, (runner, 1))
    assert (await shop.client.post(f"/api/v1/orders/{shipped['id']}/ship",
                                   headers=admin.headers)).status_code == 200
    assert (await shop.client.post(f"/api/v1/orders/{cancelled['id']}/cancel",
                                   headers=ada.headers)).status_code == 200

    mine = await settled(shop, admin, 5, customer_id=ada.id)
    kinds = sorted(item["kind"] for item in mine)
    assert kinds == ["order_cancelled", "order_confirmation", "order_confirmation",
                     "order_shipped", "welcome"]
    assert all(item["status"] == "sent" and item["attempts"] == 1 for item in mine)
    assert all(item["recipient"] == ada.email and item["error"] is None for item in mine)

    inbox = smtp.inbox.to(ada.email)
    assert len(inbox) == 5
    confirmation = next(m for m in inbox if shipped["id"][:8] in str(m["Subject"])
                        and "confirmed" in str(m["Subject"]))
    assert str(confirmation["Subject"]).endswith("39.98 USD")
    text = confirmation.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "2 x Trail Runner at 19.99 USD = 39.98 USD" in text
    cancellation = next(m for m in inbox if "cancelled" in str(m["Subject"]))
    assert "refunded" in str(cancellation["Subject"])

    metrics = (await shop.client.get("/metrics")).text
    assert 'shop_events_consumed_total{consumer="notifications"}' in metrics
    assert "shop_event_commit_to_handled_seconds_bucket" in metrics
    assert "shop_outbox_oldest_unpublished_age_seconds" in metrics


async def test_a_stock_fall_below_the_threshold_alerts_the_admin_once_per_crossing(
    shop: ShopClient, smtp: SmtpServer
) -> None:
    admin = await shop.admin()
    bob = await shop.customer("bob")
    product = await shop.product(stock=7, name="Glacier Boot")
    await shop.paid_order(bob, (product, 1))   # 7 -> 6: above
    await shop.paid_order(bob, (product, 2))   # 6 -> 4: crosses
    await shop.paid_order(bob, (product, 1))   # 4 -> 3: still below
    set_stock = await shop.client.put(f"/api/v1/inventory/{product['id']}", json={"stock": 20},
                                      headers=admin.headers)
    assert set_stock.status_code == 200
    await shop.paid_order(bob, (product, 16))  # 20 -> 4: crosses again

    alerts = await settled(shop, admin, 2, kind="low_stock")
    await settled(shop, admin, 4, kind="order_confirmation")  # every event was consumed
    alerts = (await records(shop, admin, kind="low_stock"))["items"]
    assert len(alerts) == 2
    assert {item["recipient"] for item in alerts} == {ADMIN_EMAIL}
    assert all("Glacier Boot" in item["subject"] for item in alerts)
    assert len([s for s in smtp.inbox.subjects() if s.startswith("Low stock")]) == 2


async def test_a_refused_address_is_recorded_failed_with_the_servers_reason(
    shop: ShopClient, smtp: SmtpServer
) -> None:
    admin = await shop.admin()
    smtp.inbox.refuse.add("nobody@example.com")
    response = await shop.client.post("/api/v1/auth/register", json={
        "email": "nobody@example.com", "password": "long-enough-1", "full_name": "Nobody"})
    assert response.status_code == 201

    [record] = await settled(shop, admin, 1, customer_id=response.json()["id"])
    assert record["status"] == "failed"
    assert record["attempts"] == 1
    assert "550" in record["error"] and "nobody@example.com" in record["error"]
    assert record["sent_at"] is None
    failed = await records(shop, admin, status="failed")
    assert [item["id"] for item in failed["items"]] == [record["id"]]


async def test_customers_see_their_own_records_and_only_admins_see_everyones(
    shop: ShopClient,
) -> None:
    admin = await shop.admin()
    ada = await shop.customer("ada")
    bob = await shop.customer("bob")
    await settled(shop, admin, 1, customer_id=ada.id)
    await settled(shop, admin, 1, customer_id=bob.id)

    page = await records(shop, ada, MINE)
    assert (page["total"], page["limit"], page["offset"]) == (1, 20, 0)
    [welcome] = page["items"]
    assert set(welcome) == {"id", "kind", "recipient", "customer_id", "subject", "status",
                            "attempts", "event_id", "created_at", "sent_at", "error"}
    assert (welcome["kind"], welcome["customer_id"]) == ("welcome", ada.id)

    assert_problem(await shop.client.get(NOTIFICATIONS, headers=ada.headers), 403)
    assert_problem(await shop.client.get(NOTIFICATIONS), 401)
    assert_problem(await shop.client.get(MINE), 401)
    assert_problem(await shop.client.get(NOTIFICATIONS, params={"kind": "spam"},
                                         headers=admin.headers), 400)
    assert_problem(await shop.client.get(NOTIFICATIONS, params={"limit": 0},
                                         headers=admin.headers), 400)
    paged = await records(shop, admin, limit=1, offset=1)
    assert (paged["limit"], paged["offset"], len(paged["items"])) == (1, 1, 1)


async def test_with_no_smtp_server_the_emails_are_eml_files_under_the_data_directory(
    sqlite_settings: Settings,
) -> None:
    settings = with_accounts(sqlite_settings).with_overrides(consumer_poll_seconds=0.05)
    async with serving_in_loop(cheap_runtime(settings)) as http:
        shop = ShopClient(http)
        ada = await shop.customer("ada")
        await settled(shop, await shop.admin(), 1, customer_id=ada.id)

    files = sorted((sqlite_settings.data_dir / "mail").glob("*.eml"))
    messages = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    welcome = [m for m in messages if m["To"] == ada.email]
    assert len(welcome) == 1
    assert str(welcome[0]["Subject"]) == "Welcome to the shop, Ada"


def test_the_notification_routes_are_documented(sqlite_settings: Settings) -> None:
    from shop.interfaces.http.app import create_app

    schema = create_app(sqlite_settings).openapi_schema.to_schema()
    assert NOTIFICATIONS in schema["paths"] and MINE in schema["paths"]
    parameters = {p["name"] for p in schema["paths"][NOTIFICATIONS]["get"]["parameters"]}
    assert {"customer_id", "kind", "status", "limit", "offset"} <= parameters
