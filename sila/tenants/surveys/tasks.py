"""Celery tasks of the surveys area. The worker imports this module because the Celery app
lists it by name (`include` in sila.workers.celery_app); the workers never import it."""
from __future__ import annotations

from sila.tenants.surveys import services as surveys
from sila.workers.celery_app import app
from sila.workers.runtime import run


@app.task(name="sila.surveys.scan")
def scan() -> int:
    """Surveys due after services, and their one reminder. Every invitation is keyed, so a
    repeated or late run sends nothing twice."""
    return run(surveys.scan_all())


@app.task(name="sila.surveys.campaigns")
def campaigns() -> int:
    """A batch of every running survey campaign (the progress bar moves with these)."""
    return run(surveys.run_campaigns())
