"""The one translation of failures into RFC 9457 `application/problem+json` answers.

Every exception that leaves a route (or the router: unknown paths, wrong
methods) comes through `EXCEPTION_HANDLERS`, so clients see one error shape
whatever failed. Domain errors map to statuses by kind (not found, conflict,
invalid value); Litestar's own validation errors become 400s listing the
offending fields; anything unexpected becomes a bare 500 whose details go
only to the server log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shop.domain.ordering.errors import PaymentDeclined, PaymentUnavailable
from shop.domain.shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidParameter,
    InvalidValue,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)
from shop.infrastructure.outages import is_outage

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_PREFIX: Final = "/problems/"

VALIDATION_KIND: Final = "validation"
INTERNAL_ERROR_DETAIL: Final = "The server failed to answer this request; it has been logged."

_DOMAIN_STATUSES: Final[tuple[tuple[type[DomainError], HTTPStatus], ...]] = (
    (NotFound, HTTPStatus.NOT_FOUND),
    (Conflict, HTTPStatus.CONFLICT),
    (InvalidParameter, HTTPStatus.BAD_REQUEST),
    (InvalidValue, HTTPStatus.UNPROCESSABLE_ENTITY),
    (Unauthenticated, HTTPStatus.UNAUTHORIZED),
    (Forbidden, HTTPStatus.FORBIDDEN),
    (RateLimited, HTTPStatus.TOO_MANY_REQUESTS),
    (PaymentDeclined, HTTPStatus.PAYMENT_REQUIRED),
    (PaymentUnavailable, HTTPStatus.BAD_GATEWAY),
    (ServiceUnavailable, HTTPStatus.SERVICE_UNAVAILABLE),
    (DomainError, HTTPStatus.UNPROCESSABLE_ENTITY),
)
"""Most specific first: the first kind an error is an instance of decides its status."""

_BACKTICKED_FIELD = re.compile(r"field `([^`]+)`")

log = structlog.get_logger("shop.http")


class FieldError(msgspec.Struct, kw_only=True):
    field: str
    """The offending input: a body field (`price`), a query parameter (`limit`) or `body`."""
    message: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem: `type` is a URI reference that names the kind of failure."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None
    """Present on validation failures: each field that was refused and why."""
    checks: dict[str, str] | None = None
    """Present on readiness failures: the state of each dependency."""


class DependenciesUnavailable(Exception):
    """The readiness probe's refusal: `checks` holds every dependency's state, failed or not."""

    def __init__(self, checks: Mapping[str, str]) -> None:
        self.checks = dict(checks)
        self.failed = {name: state for name, state in self.checks.items() if state != "ok"}
        super().__init__(", ".join(f"{name}: {state}" for name, state in self.failed.items()))


def problem_type(name: str) -> str:
    """`"Method Not Allowed"` -> `"/problems/method-not-allowed"`: stable, derived from a title."""
    return PROBLEM_TYPE_PREFIX + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    *,
    title: str | None = None,
    kind: str | None = None,
    errors: list[FieldError] | None = None,
    checks: dict[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Problem]:
    """A problem answer; `title` defaults to the status's phrase, `kind` (the type) to the title."""
    title = title or HTTPStatus(status).phrase
    body = Problem(
        type=problem_type(kind or title),
        title=title,
        status=status,
        detail=detail,
        instance=_path_of(request),
        errors=errors,
        checks=checks,
    )
    return Response(
        content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _path_of(request: Request[Any, Any, Any]) -> str:
    """The path the client asked for (mounted apps rewrite `scope["path"]`, not `raw_path`)."""
    raw_path = request.scope.get("raw_path")
    if raw_path:
        return raw_path.partition(b"?")[0].decode("latin-1")
    return request.scope["path"]


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    status = next(status for kind, status in _DOMAIN_STATUSES if isinstance(exc, kind))
    errors = None
    if isinstance(exc, InvalidValue):
        errors = [FieldError(field=exc.field, message=exc.detail)]
    return problem_response(
        request, status, exc.detail, title=exc.title, errors=errors, headers=_domain_headers(exc)
    )


def _domain_headers(exc: DomainError) -> dict[str, str] | None:
    """What RFC 9110 asks to go with a 401 (the scheme to use) and a 429 (when to retry)."""
    if isinstance(exc, Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after)}
    return None


def _validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Problem]:
    errors = _field_errors(exc.extra)
    return problem_response(
        request,
        HTTPStatus.BAD_REQUEST,
        "The request does not match the API's schema: see `errors`.",
        title="Validation failed",
        kind=VALIDATION_KIND,
        errors=errors or [FieldError(field="body", message=exc.detail)],
    )


def _field_errors(extra: Any) -> list[FieldError]:
    """Litestar reports `[{"key", "message", "source"}]`; a whole-body failure has key `data`."""
    if not isinstance(extra, list):
        return []
    return [_field_error(item) for item in extra if isinstance(item, dict)]


def _field_error(item: Mapping[str, Any]) -> FieldError:
    key = str(item.get("key") or "body")
    message = str(item.get("message") or "is not valid")
    if key != "data":
        return FieldError(field=key, message=message)
    if message == "'data'":  # what Litestar says when a required body is empty
        return FieldError(field="body", message="a JSON body is required")
    named = _BACKTICKED_FIELD.search(message)  # unknown or missing field
    return FieldError(field=named.group(1) if named else "body", message=message)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    if exc.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return _internal_error(request, exc)
    headers = exc.headers or None  # keeps `Allow` on 405, `WWW-Authenticate` on 401
    if _is_unreadable_body(exc):
        return problem_response(
            request, exc.status_code, "The request body is not valid JSON.",
            title="Validation failed",
            kind=VALIDATION_KIND,
            errors=[FieldError(field="body", message=exc.detail)],
            headers=headers,
        )
    return problem_response(request, exc.status_code, _client_detail(exc), headers=headers)


def _is_unreadable_body(exc: HTTPException) -> bool:
    """Malformed JSON reaches us as a 400 caused by the decoder's SerializationException."""
    return exc.status_code == HTTPStatus.BAD_REQUEST and isinstance(
        exc.__cause__, SerializationException
    )


def _client_detail(exc: HTTPException) -> str:
    """Litestar's default detail is just the phrase; say something a client can act on."""
    phrase = HTTPStatus(exc.status_code).phrase
    if exc.detail and exc.detail != phrase:
        return exc.detail
    if exc.status_code == HTTPStatus.NOT_FOUND:
        return "No resource lives at this path."
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        return "This path does not answer this method; see the Allow header."
    return HTTPStatus(exc.status_code).description


def _not_ready(request: Request[Any, Any, Any], exc: DependenciesUnavailable) -> Response[Problem]:
    """503 naming what failed, so an operator reading the probe knows where to look."""
    log.warning("not ready", failed=exc.failed)
    return problem_response(
        request, HTTPStatus.SERVICE_UNAVAILABLE, f"Not ready: {exc}.", checks=exc.checks
    )


def _overloaded(request: Request[Any, Any, Any], exc: PoolTimeout) -> Response[Problem]:
    """Every database connection is busy: a moment of overload, not a bug; retry soon."""
    log.warning("database connection pool exhausted", path=request.url.path)
    return problem_response(
        request, HTTPStatus.SERVICE_UNAVAILABLE,
        "The shop is too busy to answer right now; retry shortly.",
        headers={"Retry-After": "1"},
    )


UNAVAILABLE_DETAIL: Final = "A service the shop depends on is unavailable; retry shortly."


def _unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """The database or Redis went away (or refuses connections): an outage, not a bug.

    Answered at once with a 503 and `Retry-After`, so clients back off instead of
    waiting; what failed goes to the log (its type only: driver messages may
    carry SQL or addresses).
    """
    if not is_outage(exc):
        return _internal_error(request, exc)
    log.warning("dependency unavailable", path=_path_of(request), error_type=type(exc).__name__)
    return problem_response(request, HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE_DETAIL,
                            headers={"Retry-After": "1"})


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """Log everything server-side; tell the client only that it failed."""
    log.error(
        "unhandled error",
        method=request.method,
        path=_path_of(request),
        error_type=type(exc).__name__,
        exc_info=exc,
    )
    return problem_response(request, HTTPStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR_DETAIL)


EXCEPTION_HANDLERS: Final[ExceptionHandlersMap] = {
    DomainError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    DependenciesUnavailable: _not_ready,
    PoolTimeout: _overloaded,
    DBAPIError: _unavailable,
    RedisConnectionError: _unavailable,
    RedisTimeout: _unavailable,
    OSError: _unavailable,  # ConnectionRefusedError, TimeoutError: a dependency went away
    Exception: _internal_error,
}
"""Registered on the app: Litestar picks the closest class in the exception's MRO."""


MALFORMED_REQUEST: Final = "The request breaks the API's schema; `errors` names each field."


def error_responses(descriptions: Mapping[int, str] | None = None) -> dict[int, ResponseSpec]:
    """OpenAPI entries for a route's failures, plus the 400 and 500 any route can answer.

    Listing 400 also replaces the `{status_code, detail, extra}` shape Litestar
    documents on its own for routes with parameters, which is not what we send.
    """
    documented = {
        HTTPStatus.BAD_REQUEST: MALFORMED_REQUEST,
        **(descriptions or {}),
        HTTPStatus.INTERNAL_SERVER_ERROR: INTERNAL_ERROR_DETAIL,
    }
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=description,
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status, description in documented.items()
    }
