"""Strict JSON request bodies: a value is accepted only with its documented JSON type.

Litestar converts request bodies with msgspec in lax mode (`strict=False`),
which takes the string `"3"` or the float `1.0` for the integer 3 or 1. A
write route that names `StrictJSON[ItsRequest]` as its `dto` has its body
decoded by msgspec in strict mode instead; the app sets `return_dto=None`, so
responses are encoded as usual.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec
from litestar.dto import MsgspecDTO
from litestar.exceptions import SerializationException, ValidationException
from litestar.openapi.spec import Reference, Schema
from litestar.typing import FieldDefinition

from shop.interfaces.http.edge import refuse_unstorable_text

T = TypeVar("T", bound=msgspec.Struct)


class StrictJSON(MsgspecDTO[T], Generic[T]):
    """`@post(..., dto=StrictJSON[CreateThingRequest])`: decode that body strictly."""

    def decode_bytes(self, value: bytes) -> Any:
        return decode_body(value, self.model_type)

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Reference | Schema:
        """Document the request Struct itself, constraints included, not a DTO transfer model."""
        schema: Reference | Schema = schema_creator.for_field_definition(field_definition)
        return schema


def decode_body(raw: bytes, model: type[T]) -> T:
    """A request body as `model`, or the exception Litestar answers with a 400.

    Not UTF-8, not JSON, the wrong shape or type, or text no database can
    store: each is refused here, before any use case sees the value.
    """
    try:
        raw.decode("utf-8")  # first: msgspec may report a schema error before bad bytes
    except UnicodeDecodeError as error:
        raise SerializationException("the body is not valid UTF-8") from error
    try:
        decoded = msgspec.json.decode(raw, type=model, strict=True)
    except msgspec.ValidationError as error:
        raise ValidationException(
            "the body does not match its schema", extra=[_error_message(error)]
        ) from error
    except msgspec.DecodeError as error:
        raise SerializationException(str(error)) from error  # Litestar answers it with a 400
    refuse_unstorable_text(decoded)
    return decoded


def _error_message(error: msgspec.ValidationError) -> dict[str, str]:
    """msgspec's `Expected int, got str - at $.stock` in Litestar's shape (`data`: the body)."""
    message, _, location = str(error).partition(" - at `$")
    key = location.rstrip("`").lstrip(".") or "data"
    return {"key": key, "message": message, "source": "body"}
