"""Reset emails leave after the answer: the request never waits on the mail server."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import pytest

from shop.infrastructure.notifications.detached_delivery import DetachedPasswordResetNotifier

EXPIRES = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class SlowMailServer:
    """A notifier that delivers only when the test lets it (a slow or retrying SMTP server)."""

    def __init__(self, fail: bool = False) -> None:
        self.release = asyncio.Event()
        self.sent: list[str] = []
        self._fail = fail

    async def send_reset(self, customer_id: uuid.UUID, email: str, token: str,
                         expires_at: datetime) -> None:
        await self.release.wait()
        if self._fail:
            raise ConnectionRefusedError("mail server gone")
        self.sent.append(email)


async def test_a_reset_request_returns_before_its_email_is_delivered() -> None:
    server = SlowMailServer()
    notifier = DetachedPasswordResetNotifier(server)
    await asyncio.wait_for(notifier.send_reset(uuid.uuid4(), "ann@example.com", "t", EXPIRES),
                           timeout=5)
    assert server.sent == []
    server.release.set()
    await asyncio.wait_for(notifier.drain(), timeout=5)
    assert server.sent == ["ann@example.com"]


async def test_a_failed_delivery_is_logged_without_its_token_and_does_not_reach_the_caller(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = SlowMailServer(fail=True)
    notifier = DetachedPasswordResetNotifier(server)
    await notifier.send_reset(uuid.uuid4(), "ann@example.com", "secret-token", EXPIRES)
    server.release.set()
    with caplog.at_level(logging.ERROR, logger="shop.notifications"):
        await asyncio.wait_for(notifier.drain(), timeout=5)
    assert server.sent == []
    [record] = caplog.records
    assert "could not be sent" in record.getMessage()
    assert "secret-token" not in caplog.text


async def test_draining_with_nothing_in_flight_returns_at_once() -> None:
    await asyncio.wait_for(DetachedPasswordResetNotifier(SlowMailServer()).drain(), timeout=1)
