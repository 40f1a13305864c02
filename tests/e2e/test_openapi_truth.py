"""The OpenAPI document tells the truth about the statuses each operation can answer.

The expectations are worked out from the app itself, route by route: its
guards (401; 403 for admins only), its path ids (404), whether it takes a
body (413, 415; 400 like every operation) and that any answer may be a 500.
schemathesis (test_schemathesis.py) then checks at run time that nothing
answers a status its operation does not list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from shop.interfaces.http.app import create_app
from shop.interfaces.http.auth import admin_only, authenticated
from shop.settings import Settings

INT64 = 2**63
PROBLEM_REF = "#/components/schemas/Problem"
Json = dict[str, Any]


@pytest.fixture
def app(sqlite_settings: Settings) -> Litestar:
    return create_app(sqlite_settings)


@pytest.fixture
def document(app: Litestar) -> Iterator[Json]:
    with TestClient(app=app) as client:
        yield client.get("/schema/openapi.json").json()


def operations(app: Litestar) -> Iterator[tuple[str, str, set[int]]]:
    """(method, OpenAPI path, statuses its route and guards can answer) of every documented
    operation."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            guards = {g for layer in handler.ownership_layers for g in (layer.guards or [])}
            expected = {400, 500}
            if guards & {authenticated, admin_only}:
                expected.add(401)
            if admin_only in guards:
                expected.add(403)
            if ":uuid}" in route.path:
                expected.add(404)
            path = route.path.replace(":uuid}", "}")
            for method in handler.http_methods:
                statuses = expected | ({413, 415} if method in {"POST", "PUT", "PATCH"} else set())
                yield method.lower(), path, statuses


def test_every_operation_lists_every_status_its_route_and_guards_can_answer(
    app: Litestar, document: Json,
) -> None:
    missing = []
    found = list(operations(app))
    assert len(found) >= 30
    for method, path, statuses in found:
        documented = {int(status) for status in document["paths"][path][method]["responses"]}
        if not statuses <= documented:
            missing.append(f"{method.upper()} {path}: {sorted(statuses - documented)}")
    assert not missing, missing


def test_every_failure_is_documented_as_a_problem(document: Json) -> None:
    wrong = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                content = response.get("content", {})
                schema = content.get("application/problem+json", {}).get("schema")
                if schema != {"$ref": PROBLEM_REF}:
                    wrong.append(f"{method.upper()} {path} {status}: {content}")
    assert not wrong, wrong


def integer_schemas(node: Any, where: str, document: Json,
                    seen: set[str]) -> Iterator[tuple[str, Json]]:
    """Every integer schema reachable from `node` (following $refs once each)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            target = document
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            yield from integer_schemas(target, ref, document, seen)
        if node.get("type") == "integer" or "integer" in (node.get("type") or []):
            yield where, node
        for key, value in node.items():
            yield from integer_schemas(value, f"{where}.{key}", document, seen)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from integer_schemas(value, f"{where}[{index}]", document, seen)


def test_every_integer_a_client_sends_is_bounded_to_64_bits(document: Json) -> None:
    unbounded = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            inputs = {"parameters": operation.get("parameters", []),
                      "body": operation.get("requestBody", {})}
            for where, schema in integer_schemas(inputs, f"{method.upper()} {path}", document,
                                                 set()):
                low, high = schema.get("minimum"), schema.get("maximum")
                if low is None or high is None or not -INT64 <= low <= high < INT64 \
                        or int(high) != high:  # a float bound would round: not the truth
                    unbounded.append(f"{where}: {schema}")
    assert not unbounded, unbounded
