"""schemathesis against a real `shop serve`: anonymous, customer and admin, on both profiles.

Every operation of the served OpenAPI document is called with generated
input (valid and invalid), as each role, and checked with schemathesis's
standard checks: no 5xx, only documented statuses, documented content types,
bodies that match their schemas. A stateful run follows the links
schemathesis infers between operations (create, then read, update, delete).

The run is bounded (EXAMPLES per operation and role) so the whole module
stays within a few minutes on CI's two cores; with CI=true the seed is fixed
(tests/conftest.py's Hypothesis profile), locally each run explores anew.
Routes added by any context are covered as they land: nothing here lists them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shop.settings import Settings
from tests.e2e.feeds import ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET
from tests.e2e.servers import running_servers
from tests.support import services

EXAMPLES = 6
STATEFUL_EXAMPLES = 4
STATEFUL_STEPS = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ROLES = ["anonymous", "customer", "admin"]
GENERATED = hypothesis_settings(
    max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Served:
    base_url: str
    headers: dict[str, dict[str, str]]
    """Request headers of each role."""


def _token(client: httpx.Client, email: str, password: str) -> str:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _roles(base_url: str) -> dict[str, dict[str, str]]:
    with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as client:
        email, password = f"fuzz-{uuid.uuid4().hex[:8]}@example.com", "customer-password-1"
        registered = client.post("/api/v1/auth/register", json={
            "email": email, "password": password, "full_name": "Fuzz"})
        assert registered.status_code == 201, registered.text
        return {
            "anonymous": {},
            "customer": {"Authorization": f"Bearer {_token(client, email, password)}"},
            "admin": {"Authorization": f"Bearer {_token(client, ADMIN_EMAIL, ADMIN_PASSWORD)}"},
        }


def _base(root: Path) -> Settings:
    # Logins are throttled per client (every call here comes from 127.0.0.1): keep the
    # generated sign-ins from locking the roles' own accounts out mid-run.
    return Settings(data_dir=root / "data", admin_email=ADMIN_EMAIL,
                    admin_password=ADMIN_PASSWORD, jwt_secret=JWT_SECRET, access_log=False,
                    log_level="WARNING", login_max_failures_per_client=1_000_000)


@pytest.fixture(scope="module", params=[
    "sqlite", pytest.param("postgres_redis", marks=[pytest.mark.postgres, pytest.mark.redis])])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Served]:
    root = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    settings = _base(root)
    database: str | None = None
    if request.param == "postgres_redis":
        server_url: str = request.getfixturevalue("postgres_server_url")
        template: str = request.getfixturevalue("postgres_template")
        redis_url: str = request.getfixturevalue("redis_url")
        database = f"shop_fuzz_{uuid.uuid4().hex[:8]}"
        services.run(services.pg_admin(server_url,
                                       f'CREATE DATABASE "{database}" TEMPLATE "{template}"'))
        prefix = f"shop-fuzz-{uuid.uuid4().hex[:8]}:"
        settings = settings.with_overrides(
            database_url=services.database_url(server_url, database), redis_url=redis_url,
            redis_prefix=prefix, events_stream=f"{prefix}events")
    try:
        with running_servers(1, settings, root / "logs") as (server,):
            yield Served(server.base_url, _roles(server.base_url))
    finally:
        if database is not None:
            services.run(services.pg_admin(
                server_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            services.run(services.delete_keys(redis_url, prefix))


@pytest.fixture(scope="module")
def api_schema(served: Served) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{served.base_url}/schema/openapi.json")


def check_operation(operation: APIOperation, served: Served) -> None:
    """EXAMPLES generated requests (valid and invalid ones), each sent as every role."""
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @GENERATED
    @given(case=cases)
    def answers_as_documented(case: schemathesis.Case) -> None:
        for role in ROLES:
            case.call_and_validate(headers=served.headers[role], checks=CHECKS, timeout=30)

    answers_as_documented()


def test_every_operation_answers_as_documented(api_schema: schemathesis.BaseSchema,
                                               served: Served) -> None:
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 30  # every route of the app, found in its own document
    for operation in operations:
        try:
            check_operation(operation, served)
        except Exception as failure:  # collect them all: one run shows every mismatch
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)


def test_create_read_update_delete_sequences_answer_as_documented(
    api_schema: schemathesis.BaseSchema, served: Served,
) -> None:
    workflow = api_schema.as_state_machine()
    admin = served.headers["admin"]

    class AsAdmin(workflow):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": admin, "timeout": 30}

        def validate_response(self, response: object, case: schemathesis.Case,
                              **kwargs: object) -> None:
            case.validate_response(response, checks=CHECKS)

    run_state_machine_as_test(AsAdmin, settings=hypothesis_settings(
        max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS, deadline=None,
        suppress_health_check=list(HealthCheck)))
