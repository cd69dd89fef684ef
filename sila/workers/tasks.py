"""Celery tasks: thin, synchronous shells around the async work in `sila.workers.relay`.

Tasks take ids (strings), never rows: each run re-reads the database, which is the truth.
Names are explicit so that messages already in Redis survive a module being moved.
"""
from __future__ import annotations

from sila.workers import relay as outbox_relay
from sila.workers.celery_app import app
from sila.workers.runtime import run


@app.task(name="sila.outbox.deliver")
def deliver(outbox_id: str, tenant_id: str) -> str:
    return run(outbox_relay.deliver(outbox_id, tenant_id))


# A batch whose database was away is tried again soon, instead of waiting as `queued` for the
# sweeper; after this many tries the sweeper still finds what is left.
BATCH_RETRIES = 8


@app.task(name="sila.outbox.deliver_batch", bind=True, max_retries=BATCH_RETRIES)
def deliver_batch(self, items: list[list[str]]) -> int:
    failed = run(outbox_relay.deliver_many(items))
    if failed:
        raise self.retry(args=[failed], countdown=min(60, 2 ** self.request.retries))
    return len(items)


@app.task(name="sila.outbox.relay")
def relay() -> int:
    return run(outbox_relay.relay())


@app.task(name="sila.outbox.sweep")
def sweep() -> int:
    return run(outbox_relay.sweep())
