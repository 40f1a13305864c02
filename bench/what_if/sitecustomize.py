"""Loads `driver_sql` into every Python process started with this folder on PYTHONPATH.

Only when `BENCH_DRIVER_SQL=1` (not a `SHOP_` name: the harness keeps those from
the servers), so that `shop serve` and its granian workers (spawned processes)
all run the experiment. The path must be absolute: the servers start elsewhere.

    PYTHONPATH=$PWD/bench/what_if BENCH_DRIVER_SQL=1 \\
        .venv/bin/python bench/order_placement.py --scenario hot
"""

import os

if os.environ.get("BENCH_DRIVER_SQL") == "1":
    import driver_sql

    driver_sql.install()
