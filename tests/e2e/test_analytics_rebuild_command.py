"""`shop analytics rebuild`: the projections recomputed from the orders, from the command line."""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from shop.infrastructure.db.schema import analytics_sales_daily, processed_events
from shop.settings import Settings
from tests.e2e.shop_client import ShopClient, cheap_runtime, order_body, serving_in_loop
from tests.support.analytics import deliver_outbox, projection_rows


async def _shop_with_orders(settings: Settings) -> dict[str, object]:
    """Two paid orders, delivered to the projections; then the projections are emptied."""
    runtime = cheap_runtime(settings)
    async with serving_in_loop(runtime) as client:
        shop = ShopClient(client)
        product = await shop.product(price="12.34", stock=20)
        customer = await shop.customer()
        for quantity in (1, 2):
            assert (await shop.place(customer, order_body((product, quantity)))).status_code == 201
        await deliver_outbox(runtime)
        live = await projection_rows(runtime.engine)
        async with runtime.engine.begin() as conn:
            await conn.execute(analytics_sales_daily.delete())
            await conn.execute(processed_events.delete())
    return live


async def _rows(settings: Settings) -> dict[str, object]:
    runtime = cheap_runtime(settings)
    try:
        async with runtime.engine.connect() as conn:
            assert await conn.scalar(sa.select(sa.func.count()).select_from(
                analytics_sales_daily)) == 1
        return await projection_rows(runtime.engine)
    finally:
        await runtime.stop()


def _shop_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "shop.interfaces.cli", *args]


def test_the_rebuild_command_restores_the_projections_and_says_how_many_orders(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, log_level="WARNING",
                        admin_email="admin@example.com", admin_password="admin-password-1",
                        jwt_secret="x" * 48)
    live = asyncio.run(_shop_with_orders(settings))
    env = {**os.environ, "SHOP_DATA_DIR": str(tmp_path), "SHOP_LOG_LEVEL": "WARNING"}

    done = subprocess.run(_shop_command("analytics", "rebuild"), env=env, capture_output=True,
                          text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    assert "analytics rebuilt from 2 orders and 1 products" in done.stderr
    assert "rebuilding analytics" not in done.stderr  # no bar when not on a terminal
    assert asyncio.run(_rows(settings)) == live


def test_on_a_terminal_the_rebuild_shows_a_progress_bar(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, log_level="WARNING",
                        admin_email="admin@example.com", admin_password="admin-password-1",
                        jwt_secret="x" * 48)
    asyncio.run(_shop_with_orders(settings))
    env = {**os.environ, "SHOP_DATA_DIR": str(tmp_path), "SHOP_LOG_LEVEL": "WARNING",
           "COLUMNS": "100", "TERM": "xterm"}
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(_shop_command("analytics", "rebuild"), env=env, stdin=follower,
                              stdout=follower, stderr=follower, timeout=120, check=False)
        os.close(follower)
        screen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(leader)
    text = screen.decode(errors="replace")
    assert done.returncode == 0, text
    assert "rebuilding analytics" in text
    assert "2/2" in text
