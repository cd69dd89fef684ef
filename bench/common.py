"""What every bench command shares: settings for the bench database, child processes, RSS sampling.

The bench never touches the test suite's or anyone's database: it owns `sila_bench` (and
`sila_bench10`, the 10-tenant twin) on the server named by SILA_BENCH_PG (default: the local
cluster, as its owner) and Redis db 12 (SILA_BENCH_REDIS).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil

from sila.platform.processes import APP_FACTORY, ChildProcess, wait_for_web, web_command

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "artifacts" / "bench"
PG = os.environ.get("SILA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("SILA_BENCH_REDIS", "redis://127.0.0.1:6379/12")
# Fixed, so the generator's ciphertexts and the app agree (bench data is not real data).
SECRET = hashlib.sha256(b"sila bench secret").hexdigest()
DATA_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"sila bench data key").digest()).decode()
PASSWORD = "Bench-Passw0rd-123"


def db_url(name: str, base: str = PG) -> str:
    return urlunsplit(urlsplit(base)._replace(path="/" + name))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sila_env(database: str, *, port: int = 0, redis: str = REDIS, pool: int = 10, **extra: str) -> dict[str, str]:
    """Environment of a Sila process (web, worker, beat) pointed at a bench database."""
    values = {
        # `test`, not production: the bench gateway is plain http, which production refuses.
        "SILA_ENV": "test",
        "SILA_DATABASE_URL": db_url(database) if "://" not in database else database,
        "SILA_REDIS_URL": redis,
        "SILA_SECRET_KEY": SECRET,
        "SILA_DATA_KEY": DATA_KEY,
        "SILA_BASE_DOMAIN": "localhost",
        "SILA_PUBLIC_URL": f"http://localhost:{port or 8000}",
        "SILA_EMAIL_PROVIDER": "inbox",
        "SILA_DB_POOL_SIZE": str(pool),
        "SILA_DATA_DIR": str(ROOT / ".sila" / "bench"),
        # The bench's gateway listens on 127.0.0.1, which sila.platform.outbound refuses otherwise.
        "SILA_OUTBOUND_ALLOW": "127.0.0.1",
        # All load comes from one address: the per-address limit on public forms would turn the
        # submission scenario into a 429 benchmark. Measured here: the work behind the limit.
        "SILA_PUBLIC_FORM_LIMIT": "100000000",
        **extra,
    }
    return {**os.environ, "PYTHONUNBUFFERED": "1", **values}


def use_env(env: dict[str, str]) -> None:
    """Make this process's settings those of `env` (the generator, in-process scenarios)."""
    from sila.platform.settings import get_settings

    os.environ.update({k: v for k, v in env.items() if k.startswith("SILA_")})
    get_settings.cache_clear()
    from sila.platform import crypto

    crypto._keys.cache_clear()


class Proc(ChildProcess):
    """A bench child, logging to artifacts/bench/<name>.log; restartable (the chaos runs)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        super().__init__(args, env, OUT / f"{name}.log", cwd=ROOT)

    def stop(self, timeout: float = 20.0) -> None:
        super().stop(timeout)

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self, n: int = 3000) -> str:
        return self.output()[-n:]


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - not up yet
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def web(name: str, env: dict[str, str], port: int, app: str = APP_FACTORY) -> Proc:
    """One uvicorn process (one core): the unit the numbers are per."""
    proc = Proc(name, web_command(port, "--no-access-log", "--log-level", "warning", app=app), env)
    wait_for_web(proc, port, 60, name)
    return proc


def tree_rss(pid: int) -> int:
    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for q in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += q.memory_info().rss
    return total


@dataclass
class RssSampler:
    """Peak resident memory of process trees, sampled every 0.25 s in a thread."""

    pids: dict[str, Any]  # name -> pid or callable returning pid
    peak: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> RssSampler:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.sample()

    def sample(self) -> None:
        for name, pid in self.pids.items():
            value = pid() if callable(pid) else pid
            if value:
                self.peak[name] = max(self.peak.get(name, 0), tree_rss(value))

    def __exit__(self, *exc: object) -> None:
        self.sample()
        self._stop.set()
        self.thread.join()


class CpuMeter:
    """CPU seconds (user + system) spent by named process trees and by every PostgreSQL and
    redis-server process between enter and exit, and the machine's idle share: where two cores
    went during a run. Trees are re-read at exit, so prefork children are counted."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids

    def _snapshot(self) -> dict[str, float]:
        out: dict[str, float] = {}
        seen: set[int] = set()
        for name, pid in self.pids.items():
            try:
                root = psutil.Process(pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for q in procs:
                with contextlib.suppress(psutil.NoSuchProcess):
                    t = q.cpu_times()
                    out[name] = out.get(name, 0.0) + t.user + t.system
                    seen.add(q.pid)
        for q in psutil.process_iter(["name"]):
            group = {"postgres": "postgresql", "redis-server": "redis"}.get(q.info["name"] or "")
            if group and q.pid not in seen:
                with contextlib.suppress(psutil.NoSuchProcess):
                    t = q.cpu_times()
                    out[group] = out.get(group, 0.0) + t.user + t.system
        return out

    def __enter__(self) -> CpuMeter:
        self.start, self.t0, self.idle0 = self._snapshot(), time.monotonic(), psutil.cpu_times().idle
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._snapshot()
        wall = time.monotonic() - self.t0
        # Processes that ended during the run (a PostgreSQL backend) are missed: a lower bound.
        self.seconds = {k: round(max(0.0, v - self.start.get(k, 0.0)), 2) for k, v in end.items()}
        self.result = {"wall": round(wall, 2), "cpu_seconds": self.seconds,
                       "idle_share": round((psutil.cpu_times().idle - self.idle0) / (wall * (psutil.cpu_count() or 1)), 3)}


def mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"
