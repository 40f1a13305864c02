"""Real `shop serve` processes for end-to-end tests: started, awaited, logged and killed.

What the in-process test client cannot show needs real servers: several
processes sharing PostgreSQL and Redis, real sockets, the production ASGI
server (granian). `running_servers(n, settings, log_dir)` starts `n` of them on
free ports of 127.0.0.1, waits until each answers `GET /health/ready` with 200,
and on exit stops each process group (SIGTERM, then SIGKILL). Every server
writes its output to its own log file under `log_dir`; a server that fails to
come up raises with the tail of its log, and on exit the tails are printed, so
pytest shows them under "Captured stdout teardown" of a failing test.

Synchronous on purpose: fixtures of any scope can use it without an event loop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from shop.settings import ENV_PREFIX, Settings

HOST = "127.0.0.1"
SHOP = Path(sys.executable).parent / "shop"
"""The `shop` executable of the venv the tests run in."""

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
LOG_TAIL_LINES = 80


@dataclass
class ServerProcess:
    """One running `shop serve`."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the whole process group (granian's workers too), SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT_SECONDS)


class ServerFailed(RuntimeError):
    """A server exited or never became ready; the message carries its log."""


def settings_env(settings: Settings) -> dict[str, str]:
    """`SHOP_*` variables that make `Settings.from_env()` equal `settings` (non-defaults only)."""
    defaults = Settings()
    env: dict[str, str] = {}
    for field in dataclasses.fields(Settings):
        value = getattr(settings, field.name)
        if value == getattr(defaults, field.name) or value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        env[ENV_PREFIX + field.name.upper()] = text
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(name: str, env: Mapping[str, str], log_dir: Path, *,
                 workers: int = 1) -> ServerProcess:
    """Spawn one `shop serve` in its own process group (so stopping it stops its workers)."""
    port = free_port()
    log_path = log_dir / f"{name}.log"
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)},
        "NO_PROXY": "*",
        **env,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(SHOP), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return ServerProcess(name=name, port=port, process=process, log_path=log_path)


def wait_ready(server: ServerProcess, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    with httpx.Client(base_url=server.base_url, timeout=5.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise ServerFailed(f"{server.name} exited with {server.process.returncode}:\n"
                                   f"{server.log_tail()}")
            try:
                response = client.get("/health/ready")
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text}"
            except httpx.HTTPError as error:
                last = f"{type(error).__name__}: {error}"
            time.sleep(0.1)
    raise ServerFailed(f"{server.name} not ready after {timeout:.0f} s ({last}):\n"
                       f"{server.log_tail()}")


@contextlib.contextmanager
def running_servers(count: int, settings: Settings, log_dir: Path, *,
                    extra_env: Mapping[str, str] | None = None,
                    workers: int = 1) -> Iterator[list[ServerProcess]]:
    """`count` ready servers of `workers` processes each, configured by `settings` (passed
    as `SHOP_*` variables).

    The first server is started alone and awaited before the others start: with
    `migrate_on_start`, concurrent migrations of a fresh database would race.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**settings_env(settings), **(extra_env or {})}
    servers: list[ServerProcess] = []
    try:
        servers.append(start_server("server-0", env, log_dir, workers=workers))
        wait_ready(servers[0])
        servers.extend(start_server(f"server-{i}", env, log_dir, workers=workers)
                       for i in range(1, count))
        for server in servers[1:]:
            wait_ready(server)
        yield servers
    finally:
        for server in servers:
            server.stop()
        for server in servers:
            print(f"----- {server.name} ({server.base_url}) log tail: {server.log_path}")
            print(server.log_tail())
