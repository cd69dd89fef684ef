"""Where the Celery broker keeps its messages in Redis: the key prefix (per database, so test
sessions and deployments sharing a Redis never take each other's tasks) and each queue's lists.
Here, below both, so the workers configure it and the operator's health page reads it."""
from __future__ import annotations

from sila.platform.db import dsn_to_config
from sila.platform.settings import get_settings


def broker_key_prefix() -> str:
    """What kombu puts before every broker key (`global_keyprefix`, sila.workers.celery_app)."""
    return f"sila:{dsn_to_config(get_settings().database_url)['database']}:"


def queue_keys(queue: str) -> list[str]:
    """The Redis lists holding `queue`'s waiting messages: kombu keeps one per priority step,
    each under the broker's key prefix. The sum of their lengths is the queue's depth."""
    # loaded when used: kombu's Redis transport, only when a queue's depth is asked for
    from kombu.transport.redis import PRIORITY_STEPS, Channel

    prefix = broker_key_prefix()
    return [prefix + (f"{queue}{Channel.sep}{step}" if step else queue) for step in PRIORITY_STEPS]
