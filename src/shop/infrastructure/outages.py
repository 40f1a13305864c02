"""What counts as an outage of the database or Redis, as opposed to a bug.

One answer for every caller: the HTTP error mapping turns an outage into a
503 (and anything else into a 500), the runtime's start-up waits for the
service to come back instead of dying on it.
"""

from __future__ import annotations

from typing import Final

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

OUTAGE_SQLSTATE_CLASSES: Final = ("08", "53", "57")
"""Connection exception, insufficient resources, operator intervention (shutting down,
starting up): the server is not there for us, whatever the statement was."""


def is_outage(error: BaseException) -> bool:
    """A lost or refused connection; an integrity or data error stays a bug."""
    if isinstance(error, RedisConnectionError | RedisTimeout | OSError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, OperationalError | InterfaceError):
        return True
    cause: BaseException | None = error
    while cause is not None:  # the driver's own exception is further down the chain
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(OUTAGE_SQLSTATE_CLASSES):
            return True
        if isinstance(cause, OSError):
            return True
        cause = cause.__cause__
    return False
