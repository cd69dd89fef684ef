"""A survey campaign to every served beneficiary of the big tenant, through the real services,
as fast as they go (the beat runs one batch of each running campaign every 3 s; here batches run
back to back, so the time measured is the services' own cost, not the beat's cadence).

`python -m bench.campaign DATABASE` prints one JSON line: total, seconds to enqueue, RSS over time.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import time
from types import SimpleNamespace

import psutil

from bench.common import sila_env, use_env


async def run(database: str) -> dict[str, object]:
    from sila.platform import db, directory
    from sila.platform.db import tenant_scope
    from sila.platform.settings import get_settings
    from sila.tenants.surveys import services as surveys

    use_env(sila_env(database))
    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    me = psutil.Process(os.getpid())
    try:
        tenant = await directory.get_tenant_by_slug("big")
        async with tenant_scope(tenant.id) as tx:
            await tx.connection.execute("insert into survey_settings (tenant) values ($1) on conflict do nothing",
                                        tenant.id)
            survey = await surveys.ensure_default_in_scope(tenant.id)
        actor = SimpleNamespace(id=None, name="bench", address="127.0.0.1", roles=frozenset({"admin"}))
        today = dt.date.today()
        started = time.monotonic()
        cid = await surveys.start_campaign(tenant.id, survey, "bench", "", today - dt.timedelta(days=400), today, actor)
        counted = time.monotonic() - started
        progress = await surveys.campaign_progress(tenant.id, cid)
        invited, batches, rss = 0, 0, [(0, me.memory_info().rss)]
        while True:
            n = await surveys.campaign_step(tenant, cid)
            invited += n
            batches += 1
            if batches % 40 == 0:
                rss.append((invited, me.memory_info().rss))
            if n == 0 and (await surveys.campaign_progress(tenant.id, cid))["status"] == "done":
                break
        took = time.monotonic() - started
        rss.append((invited, me.memory_info().rss))
        async with tenant_scope(tenant.id) as tx:
            outbox = await tx.connection.fetchval("select count(*) from outbox where kind = 'survey.invitation'")
    finally:
        await db.close_pool()
    return {"total": progress["total"], "invited": invited, "outbox_rows": outbox, "batches": batches,
            "batch_size": surveys.CAMPAIGN_BATCH, "count_seconds": counted, "seconds": took,
            "beat_projection_seconds": batches * 3.0, "rss": rss}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(sys.argv[1]))))
