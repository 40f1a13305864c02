"""Debian's Chromium driven by Playwright: the browser of the dashboard tests and screenshots.

`scripts/test` installs the `chromium` package when it is missing (as root).
Without it the browser tests fail under CI and skip, loudly, elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ViewportSize, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    reason = (f"BROWSER TESTS NOT RUN: {CHROMIUM} is missing; install Debian's chromium "
              "(`apt-get install -y chromium`, which ./scripts/test does as root)")
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def chromium_context(profile_dir: Path) -> Iterator[BrowserContext]:
    """A fresh profile (the `--user-data-dir`) in headless Chromium, closed on exit."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir), executable_path=str(chromium_or_skip()), headless=True,
            args=CHROMIUM_FLAGS, viewport=DESKTOP)
        try:
            yield context
        finally:
            context.close()
