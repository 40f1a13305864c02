"""Who the NotificationService writes to, read from the customers table."""

from __future__ import annotations

from shop.application.customers.commands import EnsureAdmin, SetCustomerDisabled
from shop.settings import Settings
from tests.e2e.shop_client import cheap_runtime


async def test_a_disabled_admin_gets_no_more_shop_alerts(sqlite_settings: Settings) -> None:
    runtime = cheap_runtime(sqlite_settings.with_overrides(migrate_on_start=True))
    await runtime.start()
    try:
        kept = await runtime.bus.handle(EnsureAdmin(email="kept@example.com",
                                                    password="kept-password-1"))
        gone = await runtime.bus.handle(EnsureAdmin(email="gone@example.com",
                                                    password="gone-password-1"))
        await runtime.bus.handle(SetCustomerDisabled(customer_id=gone.id, disabled=True,
                                                     by=kept.id))
        admins = await runtime.container.recipients().admins()
    finally:
        await runtime.stop()
    assert [admin.email for admin in admins] == ["kept@example.com"]
