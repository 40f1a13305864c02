"""`shop serve` refuses what it cannot run correctly, before it starts anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.servers import free_port


def serve(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("SHOP_")}
    env.update(SHOP_DATA_DIR=str(tmp_path), SHOP_LOG_LEVEL="WARNING", **settings)
    return subprocess.run(
        [sys.executable, "-m", "shop.interfaces.cli", "serve", "--port", str(free_port()), *args],
        env=env, capture_output=True, text=True, timeout=60, check=False)


def test_several_workers_without_redis_are_refused_before_the_database_is_touched(
    tmp_path: Path,
) -> None:
    done = serve(tmp_path, "--workers", "2")

    assert done.returncode == 2
    assert "--workers 2 needs SHOP_REDIS_URL" in done.stderr
    assert "serving on" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # not migrated: no SQLite file was made


def test_zero_workers_are_refused(tmp_path: Path) -> None:
    done = serve(tmp_path, "--workers", "0")

    assert done.returncode == 2
    assert "--workers must be at least 1, not 0" in done.stderr


def test_a_malformed_setting_is_named_without_a_traceback(tmp_path: Path) -> None:
    done = serve(tmp_path, SHOP_DATABASE_POOL_SIZE="ten")

    assert done.returncode == 2
    assert done.stderr.strip() == "shop: SHOP_DATABASE_POOL_SIZE must be an integer, not 'ten'"
    assert list(tmp_path.iterdir()) == []


def test_a_pool_of_no_connections_is_refused(tmp_path: Path) -> None:
    done = serve(tmp_path, SHOP_DATABASE_POOL_SIZE="0")

    assert done.returncode == 2
    assert done.stderr.strip() == "shop: SHOP_DATABASE_POOL_SIZE must be at least 1, not 0"
