"""A large deployment, fast: COPY (asyncpg `copy_records_to_table`) as the database owner.

One template tenant is built through the real services (directory, accounts, policy publish),
so every row the others get is shaped like a real one; the other tenants copy its policy and
get beneficiaries, support requests and their history (audit trail, verification, decisions,
services delivered, the applicant's messages) by COPY, with correct `tenant` columns so that
row-level security applies to the app role exactly as in production.

Shape (full size): 1,000 tenants; one "big" tenant with 100,000 beneficiaries who each had a
service (the survey campaign's audience) and the pipeline's gateway; 999 ordinary tenants
sharing the other 100,000 beneficiaries and 900,000 requests. Every ordinary tenant has exactly
50 open requests waiting for verification: the staff queue page of 50.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.common import PASSWORD, db_url, sila_env, use_env

QUEUE_SIZE = 50  # open requests at `verify` per ordinary tenant
FIRST = ["محمد", "عبدالله", "فهد", "سارة", "نورة", "خالد", "ريم", "سلمان", "هيفاء", "تركي", "منيرة", "ماجد"]
FAMILY = ["القحطاني", "العتيبي", "الشهري", "الغامدي", "الدوسري", "الحربي", "المطيري", "الزهراني", "العنزي"]
CITIES = ["الرياض", "جدة", "مكة المكرمة", "المدينة المنورة", "الدمام", "أبها", "تبوك"]
SERVICES = ["سلة غذائية", "دعم إيجار", "كسوة", "فاتورة كهرباء", "أجهزة منزلية"]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class Size:
    tenants: int
    beneficiaries: int
    requests: int
    big: int  # beneficiaries (each with one served request) of the campaign tenant; 0 = none

    @classmethod
    def full(cls) -> Size:
        return cls(1000, 200_000, 1_000_000, 100_000)

    @classmethod
    def quick(cls) -> Size:
        return cls(100, 20_000, 100_000, 10_000)

    def ten(self) -> Size:
        """The 10-tenant twin: ten ordinary tenants shaped exactly like this size's ordinary ones."""
        n = self.tenants - (1 if self.big else 0)
        return Size(10, (self.beneficiaries - self.big) * 10 // n, (self.requests - self.big) * 10 // n, 0)


async def owner(database: str) -> asyncpg.Connection:
    from sila.platform.db import dsn_to_config

    return await asyncpg.connect(**dsn_to_config(db_url(database)))


async def recreate(database: str) -> None:
    conn = await owner("postgres")
    try:
        await conn.execute(f'drop database if exists "{database}" with (force)')
        await conn.execute(f'create database "{database}"')
    finally:
        await conn.close()


async def template_tenant(slug: str, name: str) -> tuple[Any, uuid.UUID, uuid.UUID]:
    """Tenant, admin and officer through the real services; policy published through them too."""
    from sila.platform import directory
    from sila.platform.accounts import services as accounts
    from sila.tenants.policy import services as policy
    from sila.tenants.policy.rules import ChannelConfig
    from sila.tenants.policy.seeds import seed_organisations

    tenant = await directory.create_tenant(slug=slug, kind="association", name_ar=name, name_en=f"Bench {slug}",
                                           status="active")
    admin = await accounts.add_member(tenant, email=f"admin@{slug}.bench", name="مدير", role="admin",
                                      password=PASSWORD)
    officer = await accounts.add_member(tenant, email=f"officer@{slug}.bench", name="موظف العلاقات",
                                        role="relations_officer", password=PASSWORD)
    org = next(o for o in seed_organisations() if o.slug == "mafatih")
    draft = org.draft
    # Every catalogue channel the seed knows, plus the website (the public request form).
    if not any(c.code == "website" for c in draft.channels):
        draft.channels = [*draft.channels, ChannelConfig("website")]
    for section in policy.SECTIONS:
        await policy.save_section(tenant.id, section, draft)
    await policy.save_approval(tenant.id, org.approval)
    await policy.publish(tenant.id, actor_name="bench")
    return tenant, admin, officer


def national_id(rng: random.Random) -> str:
    from sila.platform.identity import valid_test_id

    return valid_test_id(rng.choice("12") + "".join(rng.choice("0123456789") for _ in range(8)))


class Writer:
    """Buffers rows per table and COPYs them in chunks, so memory stays flat at any size."""

    CHUNK = 50_000

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.buffers: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        self.counts: dict[str, int] = {}

    async def add(self, table: str, columns: list[str], row: tuple[Any, ...]) -> None:
        cols, rows = self.buffers.setdefault(table, (columns, []))
        rows.append(row)
        if len(rows) >= self.CHUNK:  # all tables, in first-added order: parents before children
            await self.flush()

    async def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.buffers):
            cols, rows = self.buffers[name]
            if rows:
                await self.conn.copy_records_to_table(name, records=rows, columns=cols)
                self.counts[name] = self.counts.get(name, 0) + len(rows)
                rows.clear()


BEN_COLS = ["id", "tenant", "id_number_enc", "id_hash", "id_last4", "id_kind", "name", "mobile", "email",
            "preferred_channel", "preferred_language", "city", "category", "household_size", "registered_at",
            "created_at", "updated_at"]
REQ_COLS = ["id", "tenant", "reference", "beneficiary", "channel", "channel_label", "policy_version_number", "steps",
            "review_window_days", "stage", "satisfied", "need", "contact_name", "contact_mobile", "contact_channel",
            "contact_language", "submitted_at", "due_at", "assignee", "decision", "decided_at", "closed_at",
            "created_at", "updated_at"]
AUDIT_COLS = ["tenant", "actor_user", "actor_label", "action", "target_type", "target_id", "after", "created_at"]
VERIFY_COLS = ["tenant", "request", "outcome", "checklist", "verified_by", "verified_by_name", "verified_at"]
SERVICE_COLS = ["tenant", "request", "beneficiary", "service_type", "delivered_on", "amount", "delivered_by",
                "delivered_by_name", "recorded_at"]
OUTBOX_COLS = ["tenant", "channel", "kind", "recipient", "body_text", "status", "attempts", "sent_at", "created_at",
               "provider", "available_at"]
# No quiet hours (the pipeline sends at any hour of the run) and no staff reminders or digests:
# on first sight of this data the beat's scan would write one reminder per open request
# (50,000 at full size), which is real but is its own workload, measured apart (see run.py).
QUIET_SETTINGS = """insert into notification_settings (tenant, quiet_enabled, reminder_percents, reminder_days_before,
                      escalate_overdue, digest_enabled)
                    select id, false, '{}', '{}', false, false from tenant
                    on conflict (tenant) do update set quiet_enabled = false, reminder_percents = '{}',
                      reminder_days_before = '{}', escalate_overdue = false, digest_enabled = false"""
CHECKLIST = json.dumps({k: True for k in ("identity", "contact", "information", "documents")})


async def tenant_rows(w: Writer, rng: random.Random, tid: uuid.UUID, officer: uuid.UUID, version: dict[str, Any],
                      n_ben: int, n_req: int, *, big: bool) -> None:
    """Beneficiaries, requests and their history for one tenant."""
    from sila.platform import crypto

    bens, used = [], set()
    for _ in range(n_ben):
        number, bid = national_id(rng), uuid.uuid4()
        while number in used:  # one file per ID number per tenant
            number = national_id(rng)
        used.add(number)
        name = f"{rng.choice(FIRST)} {rng.choice(FIRST)} {rng.choice(FAMILY)}"
        mobile = f"+9665{rng.randrange(10**8):08d}"
        created = NOW - dt.timedelta(days=rng.randrange(730), seconds=rng.randrange(86400))
        bens.append((bid, name, mobile))
        await w.add("beneficiary", BEN_COLS, (
            bid, tid, crypto.encrypt(tid, "beneficiary.id_number", number), crypto.lookup_hash(tid, number),
            number[-4:], "citizen" if number[0] == "1" else "resident", name, mobile, "", "sms", "ar",
            rng.choice(CITIES), "family", rng.randrange(1, 9), created, created, created))
    steps = list(version["steps"])
    ref_offset = rng.randrange(10**8)
    for i in range(n_req):
        ben = bens[i % len(bens)] if big else rng.choice(bens)
        rid = uuid.uuid4()
        if big:  # the campaign's audience: one served request each, this year
            stage, age = "closed", rng.randrange(30, 300)
        elif i < QUEUE_SIZE:  # the queue page: open, some already overdue
            stage, age = "verify", rng.randrange(20)
        elif i < QUEUE_SIZE * 1.5:
            stage, age = rng.choice(["incomplete", "refer", "research", "committee", "register", "deliver"]), \
                rng.randrange(40)
        else:
            stage, age = ("closed" if rng.random() < 0.8 else "rejected"), rng.randrange(30, 730)
        submitted = NOW - dt.timedelta(days=age, seconds=rng.randrange(86400))
        due = submitted + dt.timedelta(days=version["window"])
        done = stage in ("closed", "rejected")
        decided = submitted + dt.timedelta(days=rng.randrange(1, 14)) if done else None
        ref = f"{submitted.year % 100:02d}-{(i * 7919 + ref_offset) % 10**8:08d}"  # unique in the tenant
        await w.add("support_request", REQ_COLS, (
            rid, tid, ref, ben[0], "website", "الموقع الإلكتروني", version["number"], steps, version["window"], stage,
            ["attest"], "دعم إيجار السكن لثلاثة أشهر", ben[1], ben[2], "sms", "ar", submitted, due,
            officer if rng.random() < 0.5 else None,
            ("accepted" if stage == "closed" else "rejected") if done else None, decided,
            decided if done else None, submitted, decided or submitted))
        history: list[tuple[str, dt.datetime, dict[str, str]]] = [
            ("request.submitted", submitted, {"reference": ref, "stage": "verify", "channel": "website"})]
        await w.add("outbox", OUTBOX_COLS, (tid, "sms", "request.received", ben[2], f"تم استلام طلبكم رقم {ref}",
                                            "sent", 1, submitted, submitted, "unifonic", submitted))
        if stage not in ("verify", "incomplete"):
            at = submitted + dt.timedelta(hours=rng.randrange(1, 72))
            await w.add("request_verification", VERIFY_COLS, (tid, rid, "verified", CHECKLIST, officer,
                                                               "موظف العلاقات", at))
            history.append(("request.verify", at, {"stage": "refer"}))
        if decided is not None:
            history.append(("request." + ("accept" if stage == "closed" else "reject"), decided, {"stage": stage}))
        if stage == "closed" and decided is not None:
            on = (decided + dt.timedelta(days=1)).date()
            await w.add("service_delivery", SERVICE_COLS, (tid, rid, ben[0], rng.choice(SERVICES), on,
                                                           None, officer, "موظف العلاقات", decided))
            history.append(("request.record_service", decided, {"stage": "closed"}))
        for action, at, after in history:
            await w.add("audit_entry", AUDIT_COLS, (tid, officer if action != "request.submitted" else None,
                                                    "bench", action, "support_request", str(rid),
                                                    json.dumps(after, ensure_ascii=False), at))


# The sent messages' monthly counter, as `deliver` would have kept it.
USAGE = """insert into message_usage (tenant, month, sent)
           select tenant, date_trunc('month', sent_at at time zone 'Asia/Riyadh')::date, count(*)
           from outbox where status = 'sent' group by 1, 2"""


async def generate(database: str, size: Size, seed: int = 7, log: Any = print) -> dict[str, Any]:
    """Drop and rebuild `database` at `size`. Returns what the scenarios need (slugs, ids)."""
    from sila.platform import db
    from sila.platform.auth import hash_password
    from sila.platform.migrate import migrate
    from sila.platform.settings import get_settings

    started = time.monotonic()
    rng = random.Random(seed)
    await recreate(database)
    use_env(sila_env(database))
    await migrate(get_settings(), quiet=True)
    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    try:
        template, t_admin, t_officer = await template_tenant("t0000", "جمعية البر 0")
    finally:
        await db.close_pool()
    conn = await owner(database)
    try:
        pv = dict(await conn.fetchrow("select * from policy_version where tenant = $1", template.id))
        draft = dict(await conn.fetchrow("select * from policy_draft where tenant = $1", template.id))
        steps = json.loads(pv["content"])
        version = {"number": pv["number"], "window": 14,
                   "steps": [s["code"] for s in steps.get("steps", []) if s.get("enabled", True)]}
        # The real steps and window as the request service would copy them.
        from sila.tenants.policy import services as policy
        from sila.tenants.requests.terms import terms_of

        terms = terms_of(policy._version(pv))
        version.update(steps=list(terms.steps), window=terms.review_window_days or 14)
        pw_hash = hash_password(PASSWORD)
        w = Writer(conn)
        tenants = [(template.id, "t0000", t_officer, False)]
        n_normal = size.tenants - (1 if size.big else 0)
        specs = [(f"t{i:04d}", False) for i in range(1, n_normal)] + ([("big", True)] if size.big else [])
        for slug, big in specs:
            tid, admin, officer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            await w.add("tenant", ["id", "slug", "kind", "name_ar", "name_en", "status", "message_quota",
                                   "approved_at"],
                        (tid, slug, "association", f"جمعية البر {slug}", f"Bench {slug}", "active",
                         10_000_000 if big else 2000, NOW))
            for uid, who, name in ((admin, "admin", "مدير"), (officer, "officer", "موظف العلاقات")):
                await w.add("staff_user", ["id", "email", "name", "password_hash"],
                            (uid, f"{who}@{slug}.bench", name, pw_hash))
            await w.add("membership", ["tenant", "user", "role"], (tid, admin, "admin"))
            await w.add("membership", ["tenant", "user", "role"], (tid, officer, "relations_officer"))
            await w.add("policy_version", ["tenant", "number", "content", "approval", "approved_on",
                                           "published_by_name", "published_at"],
                        (tid, pv["number"], pv["content"], pv["approval"], pv["approved_on"], "bench",
                         pv["published_at"]))
            await w.add("policy_draft", ["tenant", "content", "approval"], (tid, draft["content"], draft["approval"]))
            await w.add("tenant_profile", ["tenant", "regulator", "city"], (tid, "ncnp", "الرياض"))
            tenants.append((tid, slug, officer, big))
        await w.flush()
        n_ben, extra_ben = divmod(size.beneficiaries - size.big, n_normal)
        n_req, extra_req = divmod(size.requests - size.big, n_normal)
        for i, (tid, _slug, officer, big) in enumerate(tenants):
            # The remainders go to the first tenants, so the totals are exact.
            await tenant_rows(w, rng, tid, officer, version, size.big if big else n_ben + (i < extra_ben),
                              size.big if big else n_req + (i < extra_req), big=big)
            if i % 100 == 99:
                log(f"  {database}: {i + 1}/{len(tenants)} tenants, {time.monotonic() - started:.0f}s")
        await w.flush()
        await conn.execute(QUIET_SETTINGS)
        await conn.execute(USAGE)
        await conn.execute("analyze")
        counts = {t: await conn.fetchval(f'select count(*) from "{t}"') for t in (
            "tenant", "beneficiary", "support_request", "audit_entry", "request_verification", "service_delivery",
            "outbox")}
        size_db = await conn.fetchval("select pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await conn.close()
    took = time.monotonic() - started
    log(f"  {database}: {counts} ({size_db}) in {took:.0f}s")
    return {"database": database, "counts": counts, "seconds": took, "size": size_db}


def main(database: str, size: Size) -> dict[str, Any]:
    return asyncio.run(generate(database, size))


# The database says what it holds (a comment on it), so any checkout or worktree on this machine
# reuses it; a marker file in one checkout's artifacts/ once let a fresh worktree rebuild the
# shared 2.8 GB database for a run that meant to reuse it.
async def stamp(database: str, info: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Write `info` on `database` (when given); return what it says it holds, None if it does not exist."""
    conn = await owner("postgres")
    try:
        if not await conn.fetchval("select 1 from pg_database where datname = $1", database):
            return None
        if info is not None:
            literal = await conn.fetchval("select quote_literal($1)", json.dumps(info, default=str))
            await conn.execute(f'comment on database "{database}" is {literal}')
        text = await conn.fetchval("select shobj_description(oid, 'pg_database') from pg_database "
                                   "where datname = $1", database)
    finally:
        await conn.close()
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


async def upgrade(database: str) -> None:
    """The migrations written since the data was built (the scenarios read today's schema)."""
    from sila.platform.migrate import migrate
    from sila.platform.settings import get_settings

    use_env(sila_env(database))
    await migrate(get_settings(), quiet=True)
