"""Every request body, fed any JSON: it becomes a valid command or a 4xx refusal, never a crash.

The request Structs are found by walking `shop.interfaces.http.dto`, so a body
added later is covered without touching this file. Documents are drawn both
from arbitrary JSON and from objects shaped like the body (its own field
names, with plausible and hostile values), so decoding gets past the first
refusal often enough to reach `to_command`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import uuid
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.exceptions import SerializationException, ValidationException

import shop.interfaces.http.dto as dto_package
from shop.application.messages import Command
from shop.domain.shared.errors import DomainError
from shop.interfaces.http.dto.strict import decode_body
from shop.interfaces.http.problems import _DOMAIN_STATUSES


def request_bodies() -> list[type[msgspec.Struct]]:
    found: dict[str, type[msgspec.Struct]] = {}
    for module_info in pkgutil.iter_modules(dto_package.__path__):
        module = importlib.import_module(f"{dto_package.__name__}.{module_info.name}")
        for _, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, msgspec.Struct) and hasattr(member, "to_command"):
                found[member.__qualname__] = member
    return sorted(found.values(), key=lambda cls: cls.__qualname__)


BODIES = request_bodies()

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(["1.00", "19.99", "-1", "USD", "tok_visa", "card", "US", "a@example.com",
                     "correct horse", "\x00", " ", str(uuid.uuid4())]),
)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                           max_leaves=12)


def shaped_like(body: type[msgspec.Struct]) -> st.SearchStrategy[dict[str, Any]]:
    fields = list(body.__struct_fields__)
    return st.dictionaries(st.sampled_from([*fields, "id", "role"]), json_values, max_size=6)


def arguments_for(method: Any) -> dict[str, Any]:
    """What a controller passes besides the body: ids of the caller or the path, a client."""
    values: dict[str, Any] = {}
    for name, parameter in inspect.signature(method).parameters.items():
        annotation = str(parameter.annotation)
        values[name] = uuid.uuid4() if "UUID" in annotation else "key-1" if "str" in annotation \
            else None
    return values


def assert_command_or_refusal(body: type[msgspec.Struct], document: Any) -> None:
    try:
        decoded = decode_body(json.dumps(document).encode(), body)
    except (ValidationException, SerializationException):
        return  # both are answered with a 400 problem
    try:
        command = decoded.to_command(**arguments_for(decoded.to_command))  # type: ignore[attr-defined]
    except DomainError as refusal:
        status = next(s for kind, s in _DOMAIN_STATUSES if isinstance(refusal, kind))
        assert 400 <= status < 500
        return
    assert isinstance(command, Command)


def test_every_request_body_is_found() -> None:
    names = {body.__name__ for body in BODIES}
    assert {"CreateProductRequest", "PlaceOrderRequest", "RegisterRequest",
            "CustomerStatusRequest"} <= names


PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("body", BODIES, ids=lambda body: body.__name__)
@PROPERTY
@given(data=st.data())
def test_any_json_becomes_a_command_or_a_4xx(body: type[msgspec.Struct], data: st.DataObject
                                             ) -> None:
    document = data.draw(json_values | shaped_like(body))
    assert_command_or_refusal(body, document)
