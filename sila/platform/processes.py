"""Child processes started by the test suite and the benchmarks (uvicorn, Celery, Redis, gateways):
each in its own session, so a signal reaches everything it started, its output appended to a log
file; and the one way of starting the web app and waiting until it answers. `sila dev` keeps its own
`cli.Child` (no log file, and its children die with it)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

APP_FACTORY = "sila.platform.app:create_app"


class ChildProcess:
    def __init__(self, args: list[str], env: dict[str, str], log_path: Path, *, cwd: Path | None = None) -> None:
        self.args, self.env, self.log_path, self.cwd = args, env, log_path, cwd
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.start()

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 -- the suite's and the bench's own commands, argv a list
            self.args, env=self.env, cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """`sig` to the whole session (a Celery worker's pool, uvicorn's workers)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds."""
        if self.alive():
            self.kill(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def web_command(port: int, *options: str, app: str = APP_FACTORY) -> list[str]:
    """The uvicorn command line serving `app` on 127.0.0.1:`port`."""
    return [sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port", str(port), *options]


def wait_for_web(proc: ChildProcess, port: int, timeout: float, what: str = "the web server") -> None:
    """Until /healthz answers (200, or 503 while a dependency is down); RuntimeError with the
    process's last output when it exits or does not answer in time."""
    deadline = time.monotonic() + timeout
    while True:
        if not proc.alive():
            raise RuntimeError(f"{what} exited:\n{proc.output()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code in (200, 503):
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer on port {port} within {timeout:g}s:\n{proc.output()[-3000:]}")
        time.sleep(0.1)
