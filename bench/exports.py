"""`python -m bench.exports <database> <streamed|in_memory> <csv|xlsx>`: one export of the tenant
with the most beneficiaries (the beneficiary list, every row), in a fresh process, printing its
time, row count, bytes and resident memory (sampled every 0.1 s) as one JSON line.

`streamed` is what the route does (`reports.exports.rows` batches into `spreadsheet.csv_stream`
or `xlsx_file`, the bytes counted and dropped as a client would take them); `in_memory` is how
exports were made before: every row fetched into a list, then one CSV or XLSX built in memory."""
from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from typing import Any

from bench.common import sila_env, use_env


class Rss:
    def __init__(self) -> None:
        self.page, self.done = os.sysconf("SC_PAGE_SIZE"), threading.Event()
        self.samples: list[int] = []

    def sample(self) -> None:
        with open("/proc/self/statm") as f:
            self.samples.append(int(f.read().split()[1]) * self.page)

    def __enter__(self) -> Rss:
        self.sample()

        def loop() -> None:
            while not self.done.wait(0.1):
                self.sample()

        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.sample()


async def run(database: str, variant: str, fmt: str) -> dict[str, Any]:
    from sila.platform import db, spreadsheet
    from sila.platform.db import dsn_to_config, tenant_scope
    from sila.platform.settings import get_settings
    from sila.tenants.reports import exports
    from sila.tenants.reports.period import Period

    use_env(sila_env(database))
    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    try:
        import asyncpg

        owner = await asyncpg.connect(**dsn_to_config(get_settings().database_url))
        try:
            tid = await owner.fetchval("select tenant from beneficiary group by tenant order by count(*) desc limit 1")
            admin = await owner.fetchval("select \"user\" from membership where tenant = $1 limit 1", tid)
        finally:
            await owner.close()

        class Who:
            id, name, email, support_grant = admin, "bench", "bench@bench", None

        period = Period("gregorian", (2000, 1), (2000, 1))  # the beneficiary list takes no period
        started = time.monotonic()
        size = rows = 0
        with Rss() as rss:
            source = await exports.start(tid, "beneficiaries", period, reveal=False, user=Who, fmt=fmt, address="")
            if variant == "streamed":
                if fmt == "csv":
                    chunks = spreadsheet.csv_stream(source.headers, exports.rows(tid, source))
                else:
                    chunks = spreadsheet.file_chunks(await spreadsheet.xlsx_file(
                        "bench", source.headers, exports.rows(tid, source), rtl=True))
                async for chunk in chunks:
                    size += len(chunk)
                rows = -1
            else:
                async with tenant_scope(tid) as tx:
                    table = [source.cells(r) for r in await tx.connection.fetch(source.sql, *source.args)]
                rows = len(table)
                size = len(spreadsheet.render(fmt, "bench", source.headers, table, rtl=True))
        seconds = time.monotonic() - started
        if rows < 0:
            async with tenant_scope(tid) as tx:
                rows = await tx.connection.fetchval(f"select count(*) from ({source.sql}) q", *source.args)
        return {"variant": variant, "format": fmt, "rows": rows, "bytes": size,
                "seconds": seconds, "rss_start": rss.samples[0], "rss_peak": max(rss.samples),
                "rss_end": rss.samples[-1]}
    finally:
        await db.close_pool()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(sys.argv[1], sys.argv[2], sys.argv[3]))))
