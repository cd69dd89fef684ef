"""The Celery app: `celery -A sila.workers.celery_app worker` / `... beat`.

Configuration is read from the settings lazily (on first use of `app.conf`), so importing this
module neither needs valid settings nor connects to Redis. The broker only carries ids; the
outbox table is what must be sent (see `sila.workers.relay`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown, worker_ready, worker_shutdown

from sila.platform.broker import broker_key_prefix
from sila.platform.settings import get_settings
from sila.workers import runtime

# A killed worker's unacknowledged message comes back after this long. It must exceed every
# task's time limit (TASK_TIME_LIMIT; the operator export sets its own, 840 s), or Redis would
# hand a running task to a second worker. Messages lost for good are the sweeper's job (outbox_stuck_after_seconds), not this.
VISIBILITY_TIMEOUT = 900
TASK_TIME_LIMIT = 120
# A producer with Redis down (the web request's fast path) gives up after about this long.
CONNECT_TIMEOUT = 2

# Every module with tasks is listed here: the worker imports exactly these. By name only, so
# the workers' layer never imports the areas above it (the areas' tasks import this app).
TASK_MODULES = [
    "sila.workers.tasks",
    "sila.platform.operator.tasks",
    "sila.tenants.notifications.tasks",
    "sila.tenants.surveys.tasks",
    "sila.tenants.reports.tasks",
    "sila.tenants.beneficiaries.tasks",
]
app = Celery("sila", include=TASK_MODULES)


def _config() -> dict[str, Any]:
    settings = get_settings()
    schedule_dir = Path(settings.data_dir)
    schedule_dir.mkdir(parents=True, exist_ok=True)  # beat opens its file before any signal fires
    return {
        "broker_url": settings.celery_broker_url,
        "broker_transport_options": {
            # Tasks carry ids that mean something in one database only, so the broker's keys are
            # namespaced by it: deployments (or test sessions) sharing a Redis never take each
            # other's tasks, which would strand rows as `queued` until the sweeper.
            "global_keyprefix": broker_key_prefix(),
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "socket_connect_timeout": CONNECT_TIMEOUT,
            "socket_timeout": 5,
        },
        # Total time kombu spends (re)trying to connect before a publish raises.
        "broker_connection_timeout": CONNECT_TIMEOUT,
        # The worker itself waits for Redis as long as it takes: Redis down delays, never loses.
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # On losing Redis, let running deliveries finish and commit: their unacked message comes
        # back later and finds the row `sent`. Cancelling mid-send would open the duplicate window.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "task_time_limit": TASK_TIME_LIMIT,
        "enable_utc": True,
        "timezone": "UTC",
        "beat_schedule_filename": str(schedule_dir / "celerybeat-schedule"),
        "beat_schedule": {
            # `expires`: when workers fall behind, stale relay/sweep runs are dropped, not piled up.
            "outbox-relay": {"task": "sila.outbox.relay", "schedule": 1.0, "options": {"expires": 10}},
            "outbox-sweep": {"task": "sila.outbox.sweep", "schedule": 30.0, "options": {"expires": 60}},
            "schedule-scan": {"task": "sila.schedule.scan", "schedule": 60.0, "options": {"expires": 120}},
            "survey-scan": {"task": "sila.surveys.scan", "schedule": 60.0, "options": {"expires": 120}},
            "survey-campaigns": {"task": "sila.surveys.campaigns", "schedule": 3.0, "options": {"expires": 10}},
        },
    }


app.add_defaults(_config)
worker_ready.connect(runtime.start_heartbeat, weak=False)
worker_shutdown.connect(runtime.stop_heartbeat, weak=False)
worker_process_shutdown.connect(runtime.shutdown, weak=False)
