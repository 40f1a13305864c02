"""The access log writes, for a request, the line structlog would write: same keys, same context."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog

from shop.infrastructure.observability.logging import (
    ACCESS_LOG,
    ACCESS_LOGGER,
    bind_request_id,
    configure_logging,
    reset_request_id,
)
from shop.settings import Settings

FIELDS = {"request_id": "req-1", "method": "GET", "route": "/api/v1/products/{product_id}",
          "path": "/api/v1/products/42", "status": 200, "duration_ms": 1.234,
          "principal_id": None, "event": "request"}


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr("time.time", lambda: 1796667088.386654)
    yield
    structlog.contextvars.clear_contextvars()
    configure_logging(Settings())


def written(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Outside an event loop a held line is written at once."""
    return capsys.readouterr().out.splitlines()


def test_the_access_line_is_the_line_structlog_writes_for_the_same_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(log_level="INFO"))
    fields = dict(FIELDS)
    event = fields.pop("event")

    ACCESS_LOG.write(dict(FIELDS))
    structlog.get_logger(ACCESS_LOGGER).info(event, **fields)

    ours, structlogs = written(capsys)
    assert ours == structlogs
    assert json.loads(ours) == {**FIELDS, "level": "info", "logger": ACCESS_LOGGER,
                                "timestamp": "2026-12-07T18:11:28.386654Z"}


def test_context_bound_with_structlog_contextvars_is_on_the_access_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(log_level="INFO"))
    structlog.contextvars.bind_contextvars(tenant="store-7")

    ACCESS_LOG.write(dict(FIELDS))
    structlog.contextvars.unbind_contextvars("tenant")
    ACCESS_LOG.write(dict(FIELDS))

    bound, unbound = (json.loads(line) for line in written(capsys))
    assert bound["tenant"] == "store-7"
    assert "tenant" not in unbound


def test_the_access_line_keeps_its_own_request_id_over_the_bound_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(log_level="INFO"))
    token = bind_request_id("bound-id")
    try:
        ACCESS_LOG.write(dict(FIELDS))
        ACCESS_LOG.write({key: value for key, value in FIELDS.items() if key != "request_id"})
    finally:
        reset_request_id(token)

    own, inherited = (json.loads(line) for line in written(capsys))
    assert own["request_id"] == "req-1"
    assert inherited["request_id"] == "bound-id"


def test_above_info_the_access_log_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_level="WARNING"))

    ACCESS_LOG.write(dict(FIELDS))

    assert written(capsys) == []


def test_in_console_format_the_access_line_is_written_for_people(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(log_level="INFO", log_format="console"))

    ACCESS_LOG.write(dict(FIELDS))

    (line,) = written(capsys)
    assert not line.startswith("{")
    assert "request" in line and "/api/v1/products/42" in line and "status" in line
