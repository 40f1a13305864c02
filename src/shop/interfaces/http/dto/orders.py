"""Bodies of the order and inventory routes. Prices never come from the client."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from shop.application.inventory.commands import AdjustStock, SetStock
from shop.application.inventory.views import StockView
from shop.application.ordering.commands import PlaceOrder
from shop.application.ordering.views import OrderLineView, OrderView
from shop.domain.inventory.stock import MAX_STOCK
from shop.domain.ordering.order import MAX_LINES, MAX_QUANTITY, ItemRequest
from shop.interfaces.http.dto.common import money_text
from shop.interfaces.http.dto.customers import AddressBody

Quantity = Annotated[int, msgspec.Meta(ge=1, le=MAX_QUANTITY)]


class OrderItemBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    product_id: uuid.UUID
    quantity: Quantity


class PaymentBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    method: Literal["card"]
    token: Annotated[
        str,
        msgspec.Meta(min_length=1, max_length=200,
                     description="A card token; with the fake gateway `tok_visa` succeeds, "
                                 "`tok_chargeDeclined` is declined, `tok_processingError` fails."),
    ]


class PlaceOrderRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    items: Annotated[list[OrderItemBody], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    payment: PaymentBody
    shipping_address: AddressBody | None = None
    """Defaults to the customer's profile address."""

    def fingerprint(self) -> str:
        """What an Idempotency-Key is compared against: the request as parsed, hashed."""
        return hashlib.sha256(msgspec.json.encode(self)).hexdigest()

    def to_command(self, customer_id: uuid.UUID, idempotency_key: str | None) -> PlaceOrder:
        return PlaceOrder(
            customer_id=customer_id,
            items=tuple(ItemRequest(item.product_id, item.quantity) for item in self.items),
            payment_token=self.payment.token,
            shipping_address=self.shipping_address.to_input() if self.shipping_address else None,
            idempotency_key=idempotency_key,
            request_fingerprint=self.fingerprint(),
        )


class OrderLineResponse(msgspec.Struct, kw_only=True):
    product_id: uuid.UUID
    product_name: str
    unit_price: str
    quantity: int
    line_total: str

    @classmethod
    def from_view(cls, view: OrderLineView) -> OrderLineResponse:
        return cls(product_id=view.product_id, product_name=view.product_name,
                   unit_price=money_text(view.unit_price), quantity=view.quantity,
                   line_total=money_text(view.line_total))


class PaymentResponse(msgspec.Struct, kw_only=True):
    status: str
    """`pending`, `captured`, `declined`, `failed` or `refunded`."""
    reference: str | None


class OrderResponse(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    customer_id: uuid.UUID
    status: str
    lines: list[OrderLineResponse]
    total: str
    currency: str
    shipping_address: AddressBody | None
    payment: PaymentResponse
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: OrderView) -> OrderResponse:
        return cls(
            id=view.id, customer_id=view.customer_id, status=view.status,
            lines=[OrderLineResponse.from_view(line) for line in view.lines],
            total=money_text(view.total), currency=view.currency,
            shipping_address=AddressBody.from_view(view.shipping_address),
            payment=PaymentResponse(status=view.payment.status, reference=view.payment.reference),
            created_at=view.created_at, updated_at=view.updated_at,
        )


class AdjustmentRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    delta: Annotated[int, msgspec.Meta(ge=-MAX_STOCK, le=MAX_STOCK,
                                       description="A non-zero change of the stock level.")]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["recount"])]

    def to_command(self, product_id: uuid.UUID) -> AdjustStock:
        return AdjustStock(product_id=product_id, delta=self.delta, reason=self.reason)


class SetStockRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    stock: Annotated[int, msgspec.Meta(ge=0, le=MAX_STOCK)]

    def to_command(self, product_id: uuid.UUID) -> SetStock:
        return SetStock(product_id=product_id, stock=self.stock)


class StockResponse(msgspec.Struct, kw_only=True):
    product_id: uuid.UUID
    stock: int
    updated_at: datetime

    @classmethod
    def from_view(cls, view: StockView) -> StockResponse:
        return cls(product_id=view.product_id, stock=view.stock, updated_at=view.updated_at)
