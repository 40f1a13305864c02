"""`/health/live` and `/health/ready`: what load balancers and orchestrators poll."""

from __future__ import annotations

from litestar import Controller, get

from shop.interfaces.http.dependencies import Runtime
from shop.interfaces.http.dto.health import LiveResponse, ReadyResponse
from shop.interfaces.http.problems import DependenciesUnavailable, error_responses


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get(
        "/live",
        summary="Liveness",
        description="200 while the process runs; it checks nothing else, so a slow database "
        "never gets a healthy process restarted.",
        responses=error_responses(),
    )
    async def live(self) -> LiveResponse:
        return LiveResponse()

    @get(
        "/ready",
        summary="Readiness",
        description="200 when the database (and Redis, when configured) answer; otherwise 503 "
        "naming the dependency that failed.",
        responses=error_responses({503: "A dependency did not answer; `checks` says which."}),
    )
    async def ready(self, runtime: Runtime) -> ReadyResponse:
        checks = await runtime.readiness()
        if any(state != "ok" for state in checks.values()):
            raise DependenciesUnavailable(checks)
        return ReadyResponse(checks=checks)
