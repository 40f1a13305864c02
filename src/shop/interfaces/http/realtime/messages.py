"""The websocket wire format: what clients send, what the server sends, and the channel frame.

Every message is one JSON object in a text frame with a `type`. Server
messages are msgspec Structs tagged by `type`, so a change's message is
encoded once per change and the same bytes go to every subscriber.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Final, TypeVar

import msgspec


class StockChangedMessage(msgspec.Struct, tag="stock_changed", tag_field="type", frozen=True):
    product_id: uuid.UUID
    stock: int
    at: datetime


class OrderStatusChangedMessage(
    msgspec.Struct, tag="order_status_changed", tag_field="type", frozen=True
):
    order_id: uuid.UUID
    status: str
    at: datetime


class SubscribedMessage(msgspec.Struct, tag="subscribed", tag_field="type", frozen=True):
    product_ids: list[uuid.UUID]


class UnsubscribedMessage(msgspec.Struct, tag="unsubscribed", tag_field="type", frozen=True):
    product_ids: list[uuid.UUID]


class ErrorMessage(msgspec.Struct, tag="error", tag_field="type", frozen=True):
    detail: str


class PingMessage(msgspec.Struct, tag="ping", tag_field="type", frozen=True):
    pass


ServerMessage = (
    StockChangedMessage | OrderStatusChangedMessage | SubscribedMessage | UnsubscribedMessage
    | ErrorMessage | PingMessage
)


class Subscribe(msgspec.Struct, tag="subscribe", tag_field="type", forbid_unknown_fields=True):
    product_ids: list[uuid.UUID]


class Unsubscribe(msgspec.Struct, tag="unsubscribe", tag_field="type",
                  forbid_unknown_fields=True):
    product_ids: list[uuid.UUID]


class Pong(msgspec.Struct, tag="pong", tag_field="type", forbid_unknown_fields=True):
    pass


InventoryRequest = Subscribe | Unsubscribe | Pong
"""What a client may send on `/ws/inventory`."""

MAX_CLIENT_MESSAGE_BYTES: Final = 16 * 1024
"""A subscribe of 100 ids is about 4 KiB; anything far larger is refused unread."""

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_inventory_decoder: msgspec.json.Decoder[InventoryRequest] = msgspec.json.Decoder(
    InventoryRequest)
_orders_decoder = msgspec.json.Decoder(Pong)


class MalformedMessage(ValueError):
    """A client message that is not valid JSON or not one of the feed's message types."""


def encode(message: ServerMessage) -> str:
    return _encoder.encode(message).decode()


def decode_inventory_request(data: str | bytes) -> InventoryRequest:
    return _decode(_inventory_decoder, data, '"subscribe", "unsubscribe" or "pong"')


def decode_orders_request(data: str | bytes) -> Pong:
    return _decode(_orders_decoder, data, '"pong" (this feed only pushes)')


def _decode(decoder: msgspec.json.Decoder[T], data: str | bytes, expected: str) -> T:
    if len(data) > MAX_CLIENT_MESSAGE_BYTES:
        raise MalformedMessage(f"message longer than {MAX_CLIENT_MESSAGE_BYTES} bytes")
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as error:
        raise MalformedMessage(f"{error}; expected a JSON object with type {expected}") from None
    except msgspec.DecodeError as error:
        raise MalformedMessage(f"not a JSON object: {error}") from None


def utc(at: datetime) -> datetime:
    """Timestamps go out in UTC; a naive one (SQLite) is taken to be UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# --- channel frames ---------------------------------------------------------------------------
#
# What travels on a channel (Redis pub/sub or memory) is the client message's JSON
# prefixed with the Unix time the change was published after commit, so every
# process can measure commit-to-send latency without decoding the JSON.

_SEPARATOR: Final = b"|"


def encode_frame(message: bytes, published_at: float) -> bytes:
    return b"%.6f%b%b" % (published_at, _SEPARATOR, message)


def decode_frame(frame: bytes) -> tuple[float, str]:
    """(publish time, the client message); NaN as the time if the frame carries none."""
    stamp, separator, message = frame.partition(_SEPARATOR)
    if separator:
        try:
            return float(stamp), message.decode()
        except ValueError:
            pass
    return math.nan, frame.decode()


def encode_stock_changed(product_id: uuid.UUID, stock: int, at: datetime) -> bytes:
    return _encoder.encode(StockChangedMessage(product_id=product_id, stock=stock, at=utc(at)))


def encode_order_status_changed(order_id: uuid.UUID, status: str, at: datetime) -> bytes:
    return _encoder.encode(OrderStatusChangedMessage(order_id=order_id, status=status,
                                                     at=utc(at)))
