"""`shop serve` and the other commands run on uvloop, which is installed with shop
wherever it builds, and fall back to asyncio's own loop where it is not."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest
import uvloop
from granian.constants import Loops

from shop.interfaces.cli import event_loop, run_command


async def running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_shop_serve_runs_the_app_on_uvloop_where_it_is_installed() -> None:
    assert event_loop() is Loops.uvloop


def test_without_uvloop_shop_serve_falls_back_to_asyncios_own_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *_: None)
    assert event_loop() is Loops.asyncio


def test_shop_worker_and_the_other_commands_run_on_uvloop_where_it_is_installed() -> None:
    loop = run_command(running_loop())
    assert isinstance(loop, uvloop.Loop)
    assert loop.is_closed()


def test_without_uvloop_the_commands_run_on_asyncios_own_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *_: None)
    loop = run_command(running_loop())
    assert isinstance(loop, asyncio.BaseEventLoop)
    assert not isinstance(loop, uvloop.Loop)
