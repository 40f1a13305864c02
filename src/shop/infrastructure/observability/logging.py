"""Structured logs: one JSON object per line on stdout (or a readable console form).

structlog loggers and plain `logging` loggers (`shop.bus`, `shop.runtime`,
SQLAlchemy, the servers) end up in the same shape, so a log pipeline parses
one format. The request id (`bind_request_id`) and any context bound with
`structlog.contextvars` are added to both.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar, Token
from typing import Any

import msgspec
import structlog
from structlog.typing import EventDict, Processor

from shop.infrastructure.observability.tracing import add_trace_ids
from shop.settings import Settings

_HANDLER_NAME = "shop-structlog"

_REQUEST_ID: ContextVar[str | None] = ContextVar("shop_request_id", default=None)


def bind_request_id(request_id: str) -> Token[str | None]:
    """Every line logged until `reset_request_id` carries this `request_id`.

    One context variable, set and reset once per request: structlog's
    `bind_contextvars`/`reset_contextvars` cost several times more, on the
    path of every request.
    """
    return _REQUEST_ID.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _REQUEST_ID.reset(token)


def add_request_id(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """The processor behind `bind_request_id` (a line's own `request_id` wins)."""
    request_id = _REQUEST_ID.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def configure_logging(settings: Settings) -> None:
    """Send structlog and stdlib logging to stdout at `settings.log_level`.

    Safe to call again (each app built in a test run calls it): the handler it
    installed before is replaced, handlers installed by others are left alone.
    """
    level = _level_of(settings.log_level)
    shared = _shared_processors()
    if settings.otel_exporter.strip().lower() != "none":
        shared.append(add_trace_ids)
    rendering = [*_exception_processors(settings.log_format), _renderer(settings.log_format)]
    structlog.configure(
        processors=[*shared, structlog.processors.StackInfoRenderer(), *rendering],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stdout_logger,
        # Not cached: a module-level logger must follow a later reconfiguration. Hot paths
        # (the access log) bind their logger once instead.
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(level, shared, rendering)


def _level_of(name: str) -> int:
    levels = logging.getLevelNamesMapping()
    try:
        return levels[name.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown log level {name!r}; use one of {sorted(levels)}") from None


def _shared_processors() -> list[Processor]:
    """What every line carries, whichever API wrote it."""
    return [
        structlog.contextvars.merge_contextvars,
        add_request_id,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


class _StdoutLogger:
    """Writes each rendered line to the *current* `sys.stdout`, flushed, in one write.

    structlog's PrintLogger binds the stream when the logger is created, so a
    cached logger keeps writing to a stream that was swapped out (pytest's
    capture, a server redirecting stdout). `name` lets `add_logger_name` set
    `logger` on structlog lines just as on stdlib ones.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def msg(self, message: str) -> None:
        stream = sys.stdout
        stream.write(message + "\n")
        stream.flush()

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def _stdout_logger(*args: Any) -> _StdoutLogger:
    """The logger factory: `structlog.get_logger("shop.http")` passes its name here."""
    return _StdoutLogger(str(args[0]) if args else "shop")


def _renderer(log_format: str) -> Processor:
    if log_format == "console":
        return structlog.dev.ConsoleRenderer()
    return structlog.processors.JSONRenderer(serializer=_encode_json)


def _exception_processors(log_format: str) -> list[Processor]:
    """JSON lines carry the traceback as a string; the console renderer prints it itself."""
    if log_format == "console":
        return []
    return [structlog.processors.format_exc_info]


def _encode_json(event: dict[str, Any], **_: Any) -> str:
    """msgspec instead of `json.dumps`: the access log writes one line per request."""
    return msgspec.json.encode(event, enc_hook=repr).decode()


def _drop_formatter_leftovers(_: Any, __: str, event: EventDict) -> EventDict:
    """Drop `message`/`asctime`, which another handler's formatter may have set on the record.

    `logging` forbids them as `extra` keys, so here they are never the caller's data,
    and `event` already holds the message.
    """
    event.pop("message", None)
    event.pop("asctime", None)
    return event


def _route_stdlib_logging(level: int, shared: list[Processor], rendering: list[Processor]) -> None:
    """Render stdlib records with the same processors, through one stdout handler on root."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_formatter_leftovers],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *rendering,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)

