"""`python -m bench run --only import`: the bulk import of beneficiaries and of past requests (issue 18).

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

Then the same for a file of N past requests (the tenant's policy published first): half of them
of people the beneficiaries file brought in, half of new people whose rows carry a name and mobile
(a file is opened for each), outcomes served / declined with a reason / accepted, Hijri and
Gregorian days, 2% wrong check digits and 1% repeating an earlier request; a tenth-size file first,
and the big file again (every request already imported: each row refused with its reference).
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
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


PAST_HEADERS = ["رقم الهوية", "اسم مقدم الطلب", "الجوال", "تاريخ الطلب", "نوع الدعم", "النتيجة", "سبب الرفض",
                "تاريخ الصرف", "المبلغ"]
KINDS = ["سلة غذائية", "إيجار", "فاتورة كهرباء", "علاج", "أجهزة منزلية", "رسوم دراسية"]
OUTCOMES = ["تم الصرف"] * 12 + ["مرفوض"] * 5 + ["مقبول"] * 3  # 60% served, 25% declined, 15% accepted


def make_past_file(n: int, seed: int, known_offset: int, new_offset: int) -> bytes:
    """N past requests: even rows by people of the beneficiaries file (IDs from `known_offset`),
    odd rows by new people (from `new_offset`) with a name and mobile."""
    from hijridate import Gregorian

    from sila.platform.identity import valid_test_id

    rng = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(PAST_HEADERS)
    earlier: list[list[str]] = []
    for i in range(n):
        if rng.random() < 0.01 and earlier:
            w.writerow(rng.choice(earlier))  # the same request twice in the file
            continue
        known = i % 2 == 0
        number = valid_test_id(f"{1 + i % 2}{(known_offset if known else new_offset) + i:08d}")
        if rng.random() < 0.02:
            number = number[:-1] + str((int(number[-1]) + 1) % 10)  # wrong check digit
        name = "" if known else f"{rng.choice(FIRST)} {rng.choice(FIRST)} {rng.choice(LAST)}"
        mobile = "" if known else f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
        submitted = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randint(0, 3200))
        if rng.random() < 0.5:  # half the rows in Hijri, as many charities keep them
            h = Gregorian.fromdate(submitted).to_hijri()
            day = f"{h.year}/{h.month:02d}/{h.day:02d}"
        else:
            day = submitted.isoformat()
        outcome = rng.choice(OUTCOMES)
        served = outcome == "تم الصرف"
        row = [number, name, mobile, day, rng.choice(KINDS), outcome, "خارج نطاق الدعم" if outcome == "مرفوض" else "",
               (submitted + dt.timedelta(days=rng.randint(1, 60))).isoformat() if served else "",
               str(rng.randint(1, 40) * 100) if served else ""]
        earlier.append(row)
        w.writerow(row)
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

    def __enter__(self) -> Sampler:
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


async def one_import(tenant_id: Any, content: bytes, name: str, kind: str = "beneficiaries") -> dict[str, Any]:
    from sila.platform.db import tenant_scope
    from sila.tenants.beneficiaries import imports, queries

    class Actor:
        id, name, email, support_grant = None, "bench", "bench@bench", None

    iid = await imports.upload(tenant_id, name, content, actor=Actor(), address="", kind=kind)
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
            "rejected": done.rejected, "files_created": done.files_created, "seconds": seconds, "rows_per_second": rows / seconds,
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
        await publish(tenant.id)
        past_small = await one_import(tenant.id, make_past_file(n // 10, 3, 30_000_000, 60_000_000), "past-small.csv",
                                      "past_requests")
        past_big = make_past_file(n, 4, 30_000_000, 70_000_000)
        past = await one_import(tenant.id, past_big, "past-requests.csv", "past_requests")
        past_again = await one_import(tenant.id, past_big, "past-requests.csv", "past_requests")
        return {"rows": n, "baseline_copy": base, "small": first_small, "import": first, "rerun": again,
                "past_small": past_small, "past": past, "past_rerun": past_again}
    finally:
        await db.close_pool()


async def publish(tenant_id: Any) -> None:
    """The tenant's policy, published as an admin would (past requests are pinned to it)."""
    from sila.tenants.policy import services
    from sila.tenants.policy.seeds import seed_organisations

    org = next(o for o in seed_organisations() if o.slug == "mafatih")
    for section in services.SECTIONS:
        await services.save_section(tenant_id, section, org.draft)
    await services.save_approval(tenant_id, org.approval)
    await services.publish(tenant_id, actor_name="bench")


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
    if "past" not in x:
        return
    ps, p, pr = x["past_small"], x["past"], x["past_rerun"]
    log(f"  past requests, {x['rows']:,} rows ({p['file_bytes'] / 1e6:.1f} MB CSV): {p['seconds']:.1f} s = "
        f"{p['rows_per_second']:,.0f} rows/s ({p['imported']:,} requests imported, {p['files_created']:,} files opened "
        f"for new applicants, {p['rejected']:,} rejected){'' if p['ok'] else ' — FAILED'} (target < 120 s); "
        f"beneficiaries above: {i['seconds']:.1f} s")
    log(f"    the same file again (every request already imported): {pr['seconds']:.1f} s = "
        f"{pr['rows_per_second']:,.0f} rows/s, {pr['imported']} imported, {pr['rejected']:,} rejected")
    log(f"    peak RSS above start: {ps['rows']:,} rows {mb(ps['rss_peak'] - ps['rss_start'])}, "
        f"{p['rows']:,} rows {mb(p['rss_peak'] - p['rss_start'])} (process {mb(p['rss_start'])} -> peak "
        f"{mb(p['rss_peak'])} -> {mb(p['rss_end'])})")
