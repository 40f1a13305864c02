"""Structured logs: one JSON object per line on stdout (or a readable console form).

structlog loggers and plain `logging` loggers (`shop.bus`, `shop.runtime`,
SQLAlchemy, the servers) end up in the same shape, so a log pipeline parses
one format. The request id (`bind_request_id`) and any context bound with
`structlog.contextvars` are added to both.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar, Token
from typing import Any, Final

import msgspec
import structlog
from structlog.typing import EventDict, Processor

from shop.infrastructure.observability.log_output import LOG_OUTPUT
from shop.infrastructure.observability.tracing import add_trace_ids
from shop.settings import Settings

_HANDLER_NAME = "shop-structlog"
ACCESS_LOGGER: Final = "shop.http.access"
HELD_LOGGERS: Final = frozenset({ACCESS_LOGGER})
"""Loggers that write a line per request: their lines go out in batches."""

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
    renderer = _renderer(settings.log_format)
    rendering = [*_exception_processors(settings.log_format), renderer]
    structlog.configure(
        processors=[*shared, structlog.processors.StackInfoRenderer(), *rendering],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stdout_logger,
        # Not cached: a module-level logger must follow a later reconfiguration. Hot paths
        # (the access log) bind their logger once instead.
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(level, shared, rendering)
    ACCESS_LOG.configure(enabled=level <= logging.INFO, processors=[*shared, renderer])


def _level_of(name: str) -> int:
    levels = logging.getLevelNamesMapping()
    try:
        return levels[name.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown log level {name!r}; use one of {sorted(levels)}") from None


def _shared_processors() -> list[Processor]:
    """What every line carries, whichever API wrote it."""
    return [
        merge_bound_context,
        add_request_id,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        add_timestamp,
    ]


_BOUND_CONTEXT_VARIABLES: Final[dict[str, Any] | None] = getattr(
    structlog.contextvars, "_CONTEXT_VARS", None)
"""structlog's registry of the variables `bind_contextvars` created, one per key ever bound."""


def merge_bound_context(logger: Any, method: str, event_dict: EventDict) -> EventDict:
    """structlog's `merge_contextvars`, skipped while nothing was ever bound with it.

    That processor copies and walks the task's whole context (every library's
    context variables) on every line, ~1 us in a request, to find its own
    variables; while structlog has created none there is nothing to find. Should
    a later structlog keep its registry elsewhere, every line merges, as before.
    """
    if _BOUND_CONTEXT_VARIABLES is None or _BOUND_CONTEXT_VARIABLES:
        return structlog.contextvars.merge_contextvars(logger, method, event_dict)
    return event_dict


_second_and_prefix: tuple[int, str] = (-1, "")
"""The last whole second stamped and its `YYYY-MM-DDTHH:MM:SS` text, swapped as one value."""


def add_timestamp(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """`timestamp`: ISO 8601 in UTC to the microsecond, `2026-12-07T18:11:28.386654Z`.

    What structlog's `TimeStamper(fmt="iso", utc=True)` writes (but that it always
    shows the six digits), for about a quarter of its cost (0.76 against 2.8 us):
    the date and time of day are formatted once a second, not once a line. With
    the access log on, that stamper was a third of every request's log line
    (bench/README.md, 2026-12-07 18:20).
    """
    global _second_and_prefix
    second, microsecond = divmod(round(time.time() * 1_000_000), 1_000_000)
    stamped, prefix = _second_and_prefix
    if second != stamped:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second_and_prefix = (second, prefix)
    event_dict["timestamp"] = f"{prefix}.{microsecond:06d}Z"
    return event_dict


class _StdoutLogger:
    """Writes each rendered line to the *current* `sys.stdout`, through `LOG_OUTPUT`.

    structlog's PrintLogger binds the stream when the logger is created, so a
    cached logger keeps writing to a stream that was swapped out (pytest's
    capture, a server redirecting stdout). `name` lets `add_logger_name` set
    `logger` on structlog lines just as on stdlib ones. The access log's lines
    are held and written in batches (`log_output.py`); every other line at once.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.msg = LOG_OUTPUT.hold if name in HELD_LOGGERS else LOG_OUTPUT.write
        self.log = self.debug = self.info = self.warn = self.warning = self.msg
        self.fatal = self.failure = self.err = self.error = self.critical = self.msg
        self.exception = self.msg


def _stdout_logger(*args: Any) -> _StdoutLogger:
    """The logger factory: `structlog.get_logger("shop.http")` passes its name here."""
    return _StdoutLogger(str(args[0]) if args else "shop")


def _renderer(log_format: str) -> Processor:
    if log_format == "console":
        return structlog.dev.ConsoleRenderer()
    return render_json


_JSON: Final = msgspec.json.Encoder(enc_hook=repr)


def render_json(_logger: Any, _method: str, event_dict: EventDict) -> str:
    """The line as one JSON object; what msgspec cannot encode is written as its `repr`.

    msgspec, called directly rather than through structlog's `JSONRenderer` and
    `json.dumps`: the access log renders one line per request.
    """
    return _JSON.encode(event_dict).decode()


def _exception_processors(log_format: str) -> list[Processor]:
    """JSON lines carry the traceback as a string; the console renderer prints it itself."""
    if log_format == "console":
        return []
    return [structlog.processors.format_exc_info]


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
    handler = _LogOutputHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)


class _LogOutputHandler(logging.Handler):
    """Standard-library records into the same output as structlog's, so the two keep order."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            LOG_OUTPUT.write(self.format(record))
        except Exception:  # what StreamHandler does: report, never raise into the caller
            self.handleError(record)


class AccessLog:
    """The line each HTTP request writes: the configured processors, called directly.

    Every line of the shop goes through the same processors and output; this
    one skips only structlog's bound-logger layer (copying the bound context,
    merging the keywords, checking the level per call) and the exception and
    stack processors, which a request's line never needs. Written per request,
    that layer was about half of the line's cost (bench/README.md, 2026-12-07 21:05).
    """

    def __init__(self) -> None:
        self._logger = _StdoutLogger(ACCESS_LOGGER)
        self._processors: tuple[Processor, ...] = ()

    def configure(self, *, enabled: bool, processors: list[Processor]) -> None:
        """Called by `configure_logging`; until then, and when not `enabled`, nothing is written."""
        self._processors = tuple(processors) if enabled else ()

    def write(self, fields: EventDict) -> None:
        """Log `fields` (`event` among them) at INFO from the `shop.http.access` logger."""
        if not self._processors:
            return
        line: Any = fields
        for processor in self._processors:
            line = processor(self._logger, "info", line)
        self._logger.msg(line)


ACCESS_LOG: Final = AccessLog()
"""The process's access log, configured with the rest of its logging."""
