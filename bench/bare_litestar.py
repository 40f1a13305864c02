"""The reference of `catalog_read.py`: a bare Litestar app with one JSON route, on granian.

`python bench/bare_litestar.py --port N` serves `GET /health/live` answering
`{"status":"ok"}` (what the shop's own liveness route answers) with the same
granian set-up as `shop serve` (one ASGI worker, websockets on, no access
log), and nothing else: no middleware, no dependencies, no exception handlers,
no plugins. The shop's `/health/live` divided by this one, measured in the
same run, is what the shop's middleware, metrics and logging cost.
"""

from __future__ import annotations

import argparse

from litestar import Litestar, get


@get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> Litestar:
    return Litestar(route_handlers=[live])


def main() -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    Server("bare_litestar:create_app", factory=True, address=args.host, port=args.port,
           workers=args.workers, interface=Interfaces.ASGI, log_access=False,
           websockets=True).serve()


if __name__ == "__main__":
    main()
