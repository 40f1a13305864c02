"""The access log: one JSON line per request, with who asked, never their token."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest

from shop.infrastructure.observability.log_output import LOG_OUTPUT
from shop.interfaces.http.app import create_app
from shop.settings import Settings
from tests.e2e.helpers import serving
from tests.e2e.shop_client import ADMIN_EMAIL, ADMIN_PASSWORD, ShopClient, bearer, cheap_runtime


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def logged(settings: Settings) -> Settings:
    return settings.with_overrides(log_level="INFO", admin_email=ADMIN_EMAIL,
                                   admin_password=ADMIN_PASSWORD, jwt_secret="k" * 48)


async def test_an_authenticated_request_is_logged_with_its_principal_and_route_template(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async with serving(create_app(runtime=cheap_runtime(logged(sqlite_settings)))) as client:
        token = await ShopClient(client).token(ADMIN_EMAIL, ADMIN_PASSWORD)
        me = (await client.get("/api/v1/customers/me", headers=bearer(token))).json()
        capsys.readouterr()
        order_id = uuid.uuid4()
        await client.get(f"/api/v1/orders/{order_id}", headers={**bearer(token),
                                                                "X-Request-ID": "who-1"})
        await client.get("/health/live", headers={"X-Request-ID": "who-2"})
        LOG_OUTPUT.flush()  # access lines go out in batches
        output = capsys.readouterr().out

    lines = json_lines(output)
    (authenticated,) = [line for line in lines if line.get("request_id") == "who-1"]
    assert authenticated["event"] == "request"
    assert authenticated["principal_id"] == me["id"]
    assert authenticated["route"] == "/api/v1/orders/{order_id}"
    assert authenticated["status"] == 404
    assert authenticated["method"] == "GET"
    assert authenticated["duration_ms"] >= 0
    (anonymous,) = [line for line in lines if line.get("request_id") == "who-2"]
    assert anonymous["principal_id"] is None
    assert token not in output


async def test_shop_access_log_false_turns_the_request_lines_off(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = logged(sqlite_settings).with_overrides(access_log=False)
    async with serving(create_app(runtime=cheap_runtime(quiet))) as client:
        await client.get("/health/live", headers={"X-Request-ID": "quiet-1"})
        LOG_OUTPUT.flush()
        output = capsys.readouterr().out

    assert [line for line in json_lines(output) if line.get("request_id") == "quiet-1"] == []


async def test_the_last_requests_lines_are_written_when_the_app_stops(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Access lines wait for their batch; nothing else here writes a line that would flush it."""
    monkeypatch.setattr(logging.getLogger("httpx"), "disabled", True)
    async with serving(create_app(runtime=cheap_runtime(logged(sqlite_settings)))) as client:
        capsys.readouterr()
        await client.get("/health/live", headers={"X-Request-ID": "last-1"})
        held = capsys.readouterr().out
    output = capsys.readouterr().out

    assert [line for line in json_lines(held) if line.get("request_id") == "last-1"] == []
    (last,) = [line for line in json_lines(output) if line.get("request_id") == "last-1"]
    assert last["status"] == 200
