"""`python -m bench run --only import`: the bulk import of beneficiaries (issue 18).

A fresh database of its own (`sila_bench_import`), one tenant, and a generated CSV of N rows
(50,000; 5,000 with --quick) as a charity would upload it: Arabic headers, Hijri and Gregorian
dates, 2% of rows with a wrong check digit and 1% repeating an earlier ID. Timed in this process,
the resident memory sampled every 0.25 s:

- baseline: the same file read with the csv module and written with one plain COPY into an
  unlogged table of text columns (no checks, no encryption, no row-level security): the floor;
- import: `imports.run`, what the Celery task runs (every row checked, IDs encrypted and hashed,
  batched inserts under RLS, rejected rows kept, progress committed per batch);
- the same file again (every row already in Sila: the idempotent path);
- a file a tenth the size first, so the peak memory of both sizes can be compared (flat memory
  means the big file's peak is not ten times the small one's).
"""
from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import random
import time
from typing import Any

from bench.common import sila_env, use_env

DATABASE = "sila_bench_import"
HEADERS = ["رقم الهوية", "الاسم الرباعي", "رقم الجوال", "المدينة", "الفئة", "عدد أفراد الأسرة", "تاريخ التسجيل"]
FIRST = ["محمد", "أحمد", "فاطمة", "نورة", "عبدالله", "سارة", "خالد", "منى", "سلمان", "هند"]
LAST = ["الغامدي", "العتيبي", "القحطاني", "الزهراني", "الشمري", "الدوسري", "الحربي", "المطيري"]
CITIES = ["الرياض", "جدة", "مكة المكرمة", "الدمام", "أبها", "تبوك"]
CATEGORIES = ["أسرة محتاجة", "أرملة", "مسنّ", "طالب", ""]
MOBILE_PREFIXES = ["050", "053", "054", "055", "056", "058", "059"]


def make_file(n: int, seed: int, offset: int) -> bytes:
    from sila.platform.identity import valid_test_id

    rng = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADERS)
    numbers: list[str] = []
    for i in range(n):
        number = valid_test_id(f"{1 + i % 2}{offset + i:08d}")
        roll = rng.random()
        if roll < 0.02:
            number = number[:-1] + str((int(number[-1]) + 1) % 10)  # wrong check digit
        elif roll < 0.03 and numbers:
            number = rng.choice(numbers)  # the same person twice in the file
        numbers.append(number)
        day = f"14{rng.randint(30, 45)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}" if rng.random() < 0.5 \
            else f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        w.writerow([number, f"{rng.choice(FIRST)} {rng.choice(FIRST)} {rng.choice(LAST)}",
                    f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}", rng.choice(CITIES), rng.choice(CATEGORIES),
                    str(rng.randint(1, 12)), day])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Sampler:
    def __init__(self) -> None:
        import threading

        self.values: list[int] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.is_set():
            self.values.append(rss())
            self.done.wait(0.25)

    def __enter__(self) -> "Sampler":
        self.values.append(rss())
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.values.append(rss())


async def baseline(conn: Any, content: bytes) -> dict[str, Any]:
    with Sampler() as s:
        started = time.monotonic()
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
        await conn.execute("drop table if exists bench_import_copy")
        await conn.execute("create unlogged table bench_import_copy (" + ", ".join(f"c{i} text" for i in range(7)) + ")")
        await conn.copy_records_to_table("bench_import_copy", records=rows)
        seconds = time.monotonic() - started
    return {"rows": len(rows), "seconds": seconds, "rows_per_second": len(rows) / seconds,
            "rss_start": s.values[0], "rss_peak": max(s.values)}


async def one_import(tenant_id: Any, content: bytes, name: str) -> dict[str, Any]:
    from sila.platform.db import tenant_scope
    from sila.tenants.beneficiaries import imports, queries

    class Actor:
        id, name, email, support_grant = None, "bench", "bench@bench", None

    iid = await imports.upload(tenant_id, name, content, actor=Actor(), address="")
    record = await queries.get_import_in_tenant(tenant_id, iid)
    async with tenant_scope(tenant_id) as tx:  # started as the page does, minus the broker hand-off
        await tx.connection.execute("update beneficiary_import set status = 'queued', mapping = $2::jsonb where id = $1",
                                    iid, json.dumps(record.mapping))
    with Sampler() as s:
        started = time.monotonic()
        ok = await imports.run(iid, tenant_id)
        seconds = time.monotonic() - started
    done = await queries.get_import_in_tenant(tenant_id, iid)
    rows = done.imported + done.existing + done.rejected
    return {"ok": ok and done.status == "done", "rows": rows, "imported": done.imported, "existing": done.existing,
            "rejected": done.rejected, "seconds": seconds, "rows_per_second": rows / seconds,
            "file_bytes": len(content), "rss_start": s.values[0], "rss_peak": max(s.values), "rss_end": s.values[-1]}


async def bench(n: int) -> dict[str, Any]:
    from bench import datagen
    from sila.platform import db, directory
    from sila.platform.migrate import migrate
    from sila.platform.settings import get_settings

    await datagen.recreate(DATABASE)
    use_env(sila_env(DATABASE))
    await migrate(get_settings(), quiet=True)
    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    try:
        tenant = await directory.create_tenant(slug="imp0", kind="association", name_ar="جمعية الاستيراد",
                                               name_en="Bench import", status="active")
        small, big = make_file(n // 10, 1, 10_000_000), make_file(n, 2, 30_000_000)
        owner = await datagen.owner(DATABASE)
        try:
            base = await baseline(owner, big)
        finally:
            await owner.close()
        first_small = await one_import(tenant.id, small, "small.csv")
        first = await one_import(tenant.id, big, "beneficiaries.csv")
        again = await one_import(tenant.id, big, "beneficiaries.csv")
        return {"rows": n, "baseline_copy": base, "small": first_small, "import": first, "rerun": again}
    finally:
        await db.close_pool()


def run(quick: bool) -> dict[str, Any]:
    return asyncio.run(bench(5_000 if quick else 50_000))


def report(x: dict[str, Any], log: Any, mb: Any) -> None:
    b, s, i, r = x["baseline_copy"], x["small"], x["import"], x["rerun"]
    log(f"  import of {x['rows']:,} rows ({i['file_bytes'] / 1e6:.1f} MB CSV): {i['seconds']:.1f} s = "
        f"{i['rows_per_second']:,.0f} rows/s ({i['imported']:,} imported, {i['existing']:,} already there, "
        f"{i['rejected']:,} rejected){'' if i['ok'] else ' — FAILED'} (target < 120 s)")
    log(f"    baseline, plain COPY of the same rows (no checks, no encryption, no RLS): {b['seconds']:.1f} s = "
        f"{b['rows_per_second']:,.0f} rows/s; import / baseline time {i['seconds'] / b['seconds']:.1f}x")
    log(f"    the same file again (every row already in Sila): {r['seconds']:.1f} s = {r['rows_per_second']:,.0f} rows/s, "
        f"{r['imported']} imported, {r['existing']:,} already there, {r['rejected']:,} rejected")
    log(f"    peak RSS above start: {s['rows']:,} rows {mb(s['rss_peak'] - s['rss_start'])}, "
        f"{i['rows']:,} rows {mb(i['rss_peak'] - i['rss_start'])} (process {mb(i['rss_start'])} -> peak "
        f"{mb(i['rss_peak'])} -> {mb(i['rss_end'])}); flat: not growing with the rows beyond the file itself")
