"""Facts the customers context publishes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class CustomerRegistered(DomainEvent):
    customer_id: uuid.UUID
    email: str
    role: str

    @property
    def aggregate_id(self) -> uuid.UUID:
        return self.customer_id
