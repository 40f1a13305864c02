"""Real `shop worker` processes for the consumer fault tests: started, awaited, killed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shop.settings import ENV_PREFIX
from tests.e2e.servers import SHOP

READY_LINE = b"shop: worker running"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as error:
            return f"(no log: {error})"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            if READY_LINE in self.log_path.read_bytes():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement of what it holds."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()


def start_worker(name: str, env: Mapping[str, str], log_dir: Path) -> WorkerProcess:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    full_env = {**{k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)},
                "NO_PROXY": "*", **env}
    with log_path.open("wb") as log:
        process = subprocess.Popen([str(SHOP), "worker"], env=full_env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    return WorkerProcess(name=name, process=process, log_path=log_path)
