"""Password-reset emails sent after the request has been answered.

`POST /api/v1/auth/password-reset` must answer alike whether or not the email
has an account. Handing the email to an SMTP server inline (with its retries
and backoff) would make the answer for a real account seconds slower than for
an unknown one: a timing oracle for who has an account. The request therefore
only starts the delivery; the runtime waits for deliveries in flight when it
stops, and one that fails is logged (the customer can simply ask again).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime

from shop.application.customers.ports import PasswordResetNotifier

log = logging.getLogger("shop.notifications")


class DetachedPasswordResetNotifier:
    """A PasswordResetNotifier that returns at once and delivers in a task of its own."""

    def __init__(self, deliver: PasswordResetNotifier) -> None:
        self._deliver = deliver
        self._in_flight: set[asyncio.Task[None]] = set()

    async def send_reset(self, customer_id: uuid.UUID, email: str, token: str,
                         expires_at: datetime) -> None:
        task = asyncio.create_task(self._send(customer_id, email, token, expires_at),
                                   name="shop-password-reset-email")
        self._in_flight.add(task)  # a reference, so the task is not collected mid-send
        task.add_done_callback(self._in_flight.discard)

    async def _send(self, customer_id: uuid.UUID, email: str, token: str,
                    expires_at: datetime) -> None:
        try:
            await self._deliver.send_reset(customer_id, email, token, expires_at)
        except Exception:
            log.exception("the password reset email could not be sent",
                          extra={"customer_id": str(customer_id)})

    async def drain(self) -> None:
        """Wait for every delivery started so far (the runtime's stop bounds the wait)."""
        while self._in_flight:
            await asyncio.wait(set(self._in_flight))
