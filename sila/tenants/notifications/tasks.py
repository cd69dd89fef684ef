"""Celery tasks of the notifications area. The worker imports this module because the Celery
app lists it by name (`include` in sila.workers.celery_app); the workers never import it."""
from __future__ import annotations

from sila.tenants.notifications import reminders
from sila.workers.celery_app import app
from sila.workers.runtime import run


@app.task(name="sila.schedule.scan")
def scan() -> int:
    """Review-window reminders, escalations and digests. Every message it writes is keyed, so a
    repeated or late run sends nothing twice."""
    return run(reminders.scan_all())
