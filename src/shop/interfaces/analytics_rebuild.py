"""`shop analytics rebuild`: recompute the projections, with a progress bar on a terminal."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shop.bootstrap import bootstrap
from shop.settings import Settings


async def rebuild_analytics(settings: Settings) -> int:
    """Rebuild from the orders, products and stock; a bar on a terminal, a line otherwise."""
    console = Console(stderr=True)
    started = time.monotonic()
    async with bootstrap(settings.with_overrides(admin_email=None)) as runtime:
        rebuild = runtime.container.rebuild_analytics()
        with Progress(TextColumn("rebuilding analytics"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("orders"), TimeElapsedColumn(), console=console,
                      disable=not console.is_terminal) as progress:
            task = progress.add_task("orders", total=None)

            def show(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = await rebuild(show)
    print(f"shop: analytics rebuilt from {report.orders} orders and {report.products} products "
          f"in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0
