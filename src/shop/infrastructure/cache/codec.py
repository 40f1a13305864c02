"""How a product view is written into a cache entry and read back."""

from __future__ import annotations

import msgspec

from shop.application.catalog.views import ProductView

_encoder = msgspec.json.Encoder(decimal_format="string")
_decoder = msgspec.json.Decoder(ProductView)


def encode_view(view: ProductView) -> bytes:
    return _encoder.encode(view)


def decode_view(payload: bytes) -> ProductView:
    return _decoder.decode(payload)
