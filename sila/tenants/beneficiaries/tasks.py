"""Celery tasks of the beneficiaries area (listed by name in sila.workers.celery_app)."""
from __future__ import annotations

from sila.tenants.beneficiaries import imports
from sila.workers.celery_app import app
from sila.workers.runtime import run

# Below the broker's visibility timeout, so Redis never hands a running import to a second worker.
TIME_LIMIT = 840


@app.task(name="sila.beneficiaries.run_import", acks_late=True, time_limit=TIME_LIMIT,
          soft_time_limit=TIME_LIMIT - 20)
def run_import(import_id: str, tenant_id: str) -> bool:
    """Import one file; one that is finished or being imported elsewhere is left alone."""
    return run(imports.run(import_id, tenant_id))
