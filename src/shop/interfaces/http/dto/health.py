"""Health answers: what load balancers and orchestrators poll."""

from __future__ import annotations

from typing import Literal

import msgspec


class LiveResponse(msgspec.Struct, kw_only=True):
    status: Literal["ok"] = "ok"


class ReadyResponse(msgspec.Struct, kw_only=True):
    """`checks` names each dependency the process needs (database, redis) and its state."""

    status: Literal["ok"] = "ok"
    checks: dict[str, str]
