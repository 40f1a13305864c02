"""Log lines keep their order; the access log's go out in batches, never later than a moment."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
import structlog

from shop.infrastructure.observability.log_output import HOLD_SECONDS, MAX_HELD_LINES, LogOutput
from shop.infrastructure.observability.logging import (
    ACCESS_LOGGER,
    add_timestamp,
    configure_logging,
)
from shop.settings import Settings


def test_held_lines_are_written_together_within_the_hold_interval(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = LogOutput()

    async def hold_and_wait() -> str:
        output.hold("one")
        output.hold("two")
        written_at_once = capsys.readouterr().out
        await asyncio.sleep(HOLD_SECONDS * 3)
        return written_at_once

    assert asyncio.run(hold_and_wait()) == ""
    assert capsys.readouterr().out == "one\ntwo\n"


def test_a_line_written_at_once_comes_after_the_lines_held_before_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = LogOutput()

    async def hold_then_warn() -> None:
        output.hold("request 1")
        output.write("warning")
        output.hold("request 2")

    asyncio.run(hold_then_warn())

    assert capsys.readouterr().out == "request 1\nwarning\n"
    output.flush()
    assert capsys.readouterr().out == "request 2\n"


def test_a_full_batch_is_written_without_waiting(capsys: pytest.CaptureFixture[str]) -> None:
    output = LogOutput()

    async def hold_a_batch() -> None:
        for number in range(MAX_HELD_LINES):
            output.hold(str(number))

    asyncio.run(hold_a_batch())

    assert capsys.readouterr().out.splitlines() == [str(n) for n in range(MAX_HELD_LINES)]


def test_a_line_held_outside_any_event_loop_is_written_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = LogOutput()

    worker = threading.Thread(target=output.hold, args=("from a thread",))
    worker.start()
    worker.join()

    assert capsys.readouterr().out == "from a thread\n"


def test_only_the_access_log_is_held_and_its_lines_are_whole_json_objects(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(log_level="INFO"))

    async def log_a_request_and_a_warning() -> str:
        structlog.get_logger(ACCESS_LOGGER).info("request", status=200, route="/health/live")
        held = capsys.readouterr().out
        structlog.get_logger("shop.bus").warning("handler failed")
        return held

    assert asyncio.run(log_a_request_and_a_warning()) == ""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["logger"], line["event"]) for line in lines] == [
        (ACCESS_LOGGER, "request"), ("shop.bus", "handler failed")]


def test_timestamps_are_utc_iso_8601_to_the_microsecond(monkeypatch: pytest.MonkeyPatch) -> None:
    stamps = []
    for now in (1796667088.386654, 1796667088.000001, 1796667088.9999996, 1796667089.5):
        monkeypatch.setattr("time.time", lambda now=now: now)
        stamps.append(add_timestamp(None, "info", {})["timestamp"])

    assert stamps == ["2026-12-07T18:11:28.386654Z", "2026-12-07T18:11:28.000001Z",
                      "2026-12-07T18:11:29.000000Z", "2026-12-07T18:11:29.500000Z"]


def test_a_line_logged_while_lines_are_being_written_does_not_hang_the_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stream that logs as it writes (a warning raised inside a write) re-enters the output."""
    output = LogOutput()
    written: list[str] = []

    class LoggingStream:
        def write(self, text: str) -> None:
            written.append(text)
            if len(written) == 1:
                output.write("logged while writing")

        def flush(self) -> None:
            pass

    monkeypatch.setattr("sys.stdout", LoggingStream())
    worker = threading.Thread(target=output.write, args=("first",), daemon=True)
    worker.start()
    worker.join(timeout=5)

    assert not worker.is_alive()
    assert written == ["first\n", "logged while writing\n"]
