"""What the application needs to push changes to live clients, whatever carries them.

The adapter (Litestar Channels over Redis or memory, in `shop.interfaces.http.realtime`)
decides how a notice reaches websocket clients in this and every other process;
the application only states which change happened and when.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol


class RealtimeNotifier(Protocol):
    """Best effort, after commit: a notice that cannot be delivered is dropped, never retried.

    Live feeds show the current state as it changes; a client that misses a
    notice reads the resource again over HTTP. So the methods must not block
    the command that caused the change (an adapter queues and returns).
    """

    async def notify_stock_changed(
        self, product_id: uuid.UUID, stock: int, at: datetime
    ) -> None:
        """The stock of `product_id` now stands at `stock` (changed at `at`)."""
        ...

    async def notify_order_status_changed(
        self, order_id: uuid.UUID, customer_id: uuid.UUID, status: str, at: datetime
    ) -> None:
        """Order `order_id` of `customer_id` is now in `status` (changed at `at`)."""
        ...
