"""Celery tasks of the operator console. Registered by listing this module in the Celery
app's `include` (sila.workers.celery_app)."""
from __future__ import annotations

from sila.platform.operator import export
from sila.workers import runtime
from sila.workers.celery_app import app

# Below the broker's visibility timeout, so Redis never hands a running build to a second
# worker; the build itself also refuses to start on an export another worker is running.
EXPORT_TIME_LIMIT = 840


@app.task(name="sila.operator.build_export", acks_late=True, time_limit=EXPORT_TIME_LIMIT,
          soft_time_limit=EXPORT_TIME_LIMIT - 20)
def build_export(export_id: str) -> None:
    runtime.run(export.build_export(export_id))
