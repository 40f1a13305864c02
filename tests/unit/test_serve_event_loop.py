"""`shop serve` runs the app on uvloop, which is installed with shop wherever it builds."""

from __future__ import annotations

import importlib.util

import pytest
from granian.constants import Loops

from shop.interfaces.cli import event_loop


def test_shop_serve_runs_the_app_on_uvloop_where_it_is_installed() -> None:
    assert event_loop() is Loops.uvloop


def test_without_uvloop_shop_serve_falls_back_to_asyncios_own_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *_: None)
    assert event_loop() is Loops.asyncio
