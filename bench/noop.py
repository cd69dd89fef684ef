"""The no-op Celery baseline: Sila's own Celery app and configuration (broker, acks_late, prefetch 1,
the same prefork pool) plus one task that only counts itself, so the bench knows when all ran.

    celery -A bench.noop worker --pool=prefork --concurrency=2
"""
from __future__ import annotations

import redis

from sila.platform.settings import get_settings
from sila.workers.celery_app import app

COUNTER = "sila:bench:noop"
_client: redis.Redis | None = None


@app.task(name="bench.noop")
def noop() -> None:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(get_settings().redis_url)
    _client.incr(COUNTER)


__all__ = ["app", "noop"]
