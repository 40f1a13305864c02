"""Screenshots of the dashboard for docs/: a year of sales, live orders arriving, two widths.

    .venv/bin/python -m tests.e2e.dashboard_screenshots [--out docs]

Starts a real `shop serve` on a fresh SQLite file, writes a year of orders
into it (bench/sales_history.py) and rebuilds the projections, signs in
through the form in headless Chromium (tests/e2e/browser.py), places a few
orders through the API so the ticker moves, and saves
`dashboard-desktop.png` (1280 wide) and `dashboard-phone.png` (390 wide).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy.ext.asyncio import create_async_engine

from shop.infrastructure.db.engine import async_url
from shop.settings import ENV_PREFIX, Settings
from tests.e2e.browser import DESKTOP, PHONE, chromium_context
from tests.e2e.servers import SHOP, ServerProcess, running_servers, settings_env
from tests.e2e.shop_client import ADMIN_EMAIL, ADMIN_PASSWORD, CUSTOMER_PASSWORD, with_accounts

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from sales_history import load_sales_history  # bench/ is not a package


def prepare(settings: Settings) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)},
           **settings_env(settings)}
    subprocess.run([str(SHOP), "migrate"], env=env, check=True)

    async def load() -> None:
        engine = create_async_engine(async_url(settings.effective_database_url))
        try:
            await load_sales_history(engine, orders_count=6000, days=365, products_count=60)
        finally:
            await engine.dispose()

    asyncio.run(load())
    subprocess.run([str(SHOP), "analytics", "rebuild"], env=env, check=True)


def live_orders(server: ServerProcess, count: int) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30, trust_env=False) as api:
        email = f"screens-{int(time.time())}@example.com"
        api.post("/api/v1/auth/register", json={"email": email, "password": CUSTOMER_PASSWORD,
                                                "full_name": "Screen Shopper"})
        token = api.post("/api/v1/auth/token", json={
            "email": email, "password": CUSTOMER_PASSWORD}).json()["access_token"]
        products = api.get("/api/v1/products", params={"limit": 50}).json()["items"]
        placed = 0
        for index, product in enumerate(products):
            if placed == count:
                break
            answer = api.post("/api/v1/orders", headers={"Authorization": f"Bearer {token}"},
                              json={"items": [{"product_id": product["id"],
                                               "quantity": 1 + index % 2}],
                                    "payment": {"method": "card", "token": "tok_visa"}})
            if answer.status_code == 201:  # a product the history sold out answers 409
                placed += 1
                time.sleep(0.4)


def shoot(page: Page, server: ServerProcess, path: Path, orders: int) -> None:
    page.goto(f"{server.base_url}/dashboard")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#sign-in-button")
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.locator("#live")).to_have_class("live on", timeout=15_000)
    live_orders(server, orders)
    expect(page.locator("#ticker li[data-order-id]")).to_have_count(orders, timeout=15_000)
    page.wait_for_timeout(3000)  # the refreshes after the last order, and the highlight fading
    page.screenshot(path=str(path), full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    out = parser.parse_args().out.resolve()
    with tempfile.TemporaryDirectory(prefix="shop-screens-") as tmp:
        root = Path(tmp)
        settings = with_accounts(Settings(data_dir=root / "data", log_level="WARNING"))
        prepare(settings)
        with running_servers(1, settings, root / "logs") as servers, \
                chromium_context(root / "profile") as browser:
            for name, size, orders in (("desktop", DESKTOP, 4), ("phone", PHONE, 3)):
                page = browser.new_page()
                page.set_viewport_size(size)
                shoot(page, servers[0], out / f"dashboard-{name}.png", orders)
                page.close()
                print(f"wrote {out / f'dashboard-{name}.png'}")


if __name__ == "__main__":
    main()
