"""Celery tasks of the reports area (listed by name in sila.workers.celery_app)."""
from __future__ import annotations

from sila.tenants.reports import evidence
from sila.workers.celery_app import app
from sila.workers.runtime import run

# Below the broker's visibility timeout, so Redis never hands a running build to a second worker.
TIME_LIMIT = 840


@app.task(name="sila.reports.build_evidence", acks_late=True, time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 20)
def build_evidence(pack_id: str, tenant_id: str) -> bool:
    """Build one evidence pack; a pack that is done or being built elsewhere is left alone."""
    return run(evidence.build(pack_id, tenant_id))
