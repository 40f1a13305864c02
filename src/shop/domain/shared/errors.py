"""Domain errors: the ways a business rule can refuse a request.

Each kind maps to one HTTP status in the interfaces layer, so the rules never
need to know about HTTP and every adapter reports the same failure the same way.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a business rule raises on purpose."""

    title = "Domain rule violated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The addressed resource does not exist (or is no longer visible)."""

    title = "Not found"


class Conflict(DomainError):
    """The request is well formed but clashes with the current state."""

    title = "Conflict"


class InvalidValue(DomainError):
    """A value breaks an invariant; `field` names the input it came from."""

    title = "Invalid value"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


class UnknownReference(InvalidValue):
    """A request refers to another resource that does not exist."""

    title = "Unknown reference"


class ConcurrentModification(Conflict):
    """Someone else changed the same aggregate between our read and our write."""

    title = "Concurrent modification"


class Unauthenticated(DomainError):
    """The caller did not prove who they are (bad credentials or token)."""

    title = "Unauthenticated"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    title = "Forbidden"


class RateLimited(DomainError):
    """Too many attempts; `retry_after` says in how many seconds to try again."""

    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class InvalidParameter(InvalidValue):
    """A request parameter that parses but breaks a rule (a reversed date window).

    Answered like a malformed parameter (400), not like a refused body value (422).
    """

    title = "Invalid parameter"


class ServiceUnavailable(DomainError):
    """A feature this request needs is switched off or cannot run right now."""

    title = "Service unavailable"
