"""A survey campaign to every served beneficiary of the big tenant, through the beat's own tick
(`run_campaigns`: batches for CAMPAIGN_TICK_SECONDS of every 3 s period). Here the ticks run back
to back; `beat_projection_seconds` is the same number of ticks at the beat's 3 s cadence.

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


async def forget_earlier_campaigns(database: str, tenant_id: object) -> None:
    """An earlier run that stopped half-way left its campaign running, and this run's ticks would
    send its invitations too (a run once counted 200,000 for 100,000 people): start from none."""
    from bench.datagen import owner

    conn = await owner(database)
    try:
        async with conn.transaction():
            await conn.execute("delete from survey_invitation where tenant = $1 and campaign is not null", tenant_id)
            await conn.execute("delete from outbox where tenant = $1 and kind = 'survey.invitation'", tenant_id)
            await conn.execute("delete from survey_campaign where tenant = $1", tenant_id)
    finally:
        await conn.close()


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
        assert tenant is not None, "the bench data has no tenant 'big'"
        await forget_earlier_campaigns(database, tenant.id)
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
        while (await surveys.campaign_progress(tenant.id, cid)).status != "done":
            invited += await surveys.run_campaigns()
            batches += 1
            rss.append((invited, me.memory_info().rss))
        took = time.monotonic() - started
        rss.append((invited, me.memory_info().rss))
        async with tenant_scope(tenant.id) as tx:
            outbox = await tx.connection.fetchval("select count(*) from outbox where kind = 'survey.invitation'")
    finally:
        await db.close_pool()
    return {"total": progress.total, "invited": invited, "outbox_rows": outbox, "batches": batches,
            "batch_size": surveys.CAMPAIGN_BATCH, "ticks": batches, "count_seconds": counted, "seconds": took,
            "beat_projection_seconds": batches * 3.0, "rss": rss}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(sys.argv[1]))))
