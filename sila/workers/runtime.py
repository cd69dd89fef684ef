"""What a worker process needs around its tasks: one event loop with its own database pool,
and a heartbeat in Redis that `/healthz` reads."""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import redis

from sila.platform import db
from sila.platform.heartbeat import HEARTBEAT_PREFIX
from sila.platform.settings import get_settings
from sila.workers import sms

log = logging.getLogger(__name__)
T = TypeVar("T")

# Enough for relay.DELIVER_CONCURRENCY deliveries at once (connections open only when needed).
POOL_SIZE = 10
HEARTBEAT_EVERY = 10
HEARTBEAT_TTL = 90

_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None
_pool_ready = False


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on this process's event loop, created with its pool on first use.

    Keyed by PID: a prefork child inherits the parent's module state, but an event loop and
    asyncpg connections must never be shared across a fork.
    """
    global _loop, _loop_pid, _pool_ready
    if _loop_pid != os.getpid():
        _loop, _loop_pid, _pool_ready = asyncio.new_event_loop(), os.getpid(), False
        asyncio.set_event_loop(_loop)
        db.configure(get_settings().app_dsn)
        db.DB.pool = None  # anything inherited belongs to another process's loop; drop, don't close
    assert _loop is not None
    if not _pool_ready:
        try:
            _loop.run_until_complete(db.start_pool(POOL_SIZE))
        except BaseException:
            coro.close()
            raise
        _pool_ready = True
    return _loop.run_until_complete(coro)


def shutdown(**_: Any) -> None:
    """`worker_process_shutdown` handler: close what this process's loop holds open."""
    if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
        return

    try:
        _loop.run_until_complete(sms.close_session())
    except Exception as exc:  # noqa: BLE001 - on the way out: say so, don't fail the shutdown
        log.warning("closing the HTTP session at shutdown: %s", exc)


# --- heartbeat -------------------------------------------------------------------------------

_stop = threading.Event()
_thread: threading.Thread | None = None


def _beat(key: str) -> None:
    client = redis.Redis.from_url(get_settings().redis_url, socket_timeout=5, socket_connect_timeout=2)
    while True:
        try:
            client.set(key, str(time.time()), ex=HEARTBEAT_TTL)
        except redis.RedisError as exc:  # Redis away: health shows the worker as stale, that's all
            log.warning("heartbeat not written: %s", exc)
        if _stop.wait(HEARTBEAT_EVERY):
            break
    try:
        client.delete(key)
    except redis.RedisError:
        pass


def start_heartbeat(sender: Any, **_: Any) -> None:
    """`worker_ready` handler: `sender` is the worker's consumer."""
    global _thread
    _stop.clear()
    _thread = threading.Thread(target=_beat, args=(HEARTBEAT_PREFIX + sender.hostname,), name="sila-heartbeat",
                               daemon=True)
    _thread.start()


def stop_heartbeat(sender: Any = None, **_: Any) -> None:
    """`worker_shutdown` handler: the thread deletes the key on its way out."""
    _stop.set()
    if _thread is not None:
        _thread.join(timeout=5)
