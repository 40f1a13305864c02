"""The ordering context's refusals."""

from __future__ import annotations

import uuid

from shop.domain.shared.errors import Conflict, DomainError, NotFound, UnknownReference


class OrderNotFound(NotFound):
    def __init__(self, order_id: uuid.UUID) -> None:
        super().__init__(f"order {order_id} does not exist")


class IllegalTransition(Conflict):
    def __init__(self, order_id: uuid.UUID, current: str, wanted: str) -> None:
        super().__init__(f"order {order_id} is {current} and cannot become {wanted}")


class UnknownProduct(UnknownReference):
    def __init__(self, field: str, product_id: uuid.UUID) -> None:
        super().__init__(field, f"product {product_id} does not exist or is no longer sold")


class IdempotencyKeyReused(Conflict):
    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request body")


class PaymentDeclined(DomainError):
    """The card processor refused the charge; the order is kept as Cancelled."""

    title = "Payment declined"


class PaymentUnavailable(DomainError):
    """The payment provider failed or could not be reached; nothing was charged."""

    title = "Payment provider unavailable"
