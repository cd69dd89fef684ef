"""`python -m bench run [--quick]`: build the data, run every scenario, print the numbers.

Load comes from wrk (a separate process, C, light on the two cores) replaying prepared requests:
Host headers of many tenants, their staff's session cookies, prepared form bodies. The app is
one uvicorn process (one core) with its default pool; PostgreSQL and Redis are the local ones.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import shutil
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench import datagen
from bench.apikeys import make_keys
from bench.common import OUT, PASSWORD, ROOT, CpuMeter, Proc, RssSampler, free_port, mb, sila_env, use_env, wait_for, web

SEP, FS = b"\0", b"\1"
QUEUE_PATH = "/portal/requests/?stage=verify"
API_LIST_PATH = "/api/v1/requests?stage=verify&limit=50"  # the queue page's rows, as JSON
MAX_SESSIONS = 50  # tenants whose staff are signed in and share the load


def log(msg: str) -> None:
    print(msg, flush=True)


# --- HTTP helpers -------------------------------------------------------------------------------


def found(pattern: str, text: str) -> str:
    """The first group of `pattern` in a page the bench reads (a changed page fails here, by name)."""
    m = re.search(pattern, text)
    assert m is not None, (pattern, text[-500:])
    return m.group(1)


def login(port: int, slug: str) -> str:
    """Sign the tenant's relations officer in through the real form; return the Cookie header."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": f"{slug}.localhost"}) as c:
        page = c.get("/login")
        token = found(r'name="_csrf_token" value="([^"]+)"', page.text)
        r = c.post("/login", data={"_csrf_token": token, "email": f"officer@{slug}.bench", "password": PASSWORD,
                                   "next": "/portal"})
        assert r.status_code == 303, (slug, r.status_code, r.text[-500:])
        return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


def records(items: list[tuple[str, str, str, str, str, bytes]]) -> Path:
    """wrk's request file (see load.lua)."""
    fd, name = tempfile.mkstemp(prefix="bench-", suffix=".bin", dir=OUT)
    with os.fdopen(fd, "wb") as f:
        for method, host, cookie, path, ctype, body in items:
            f.write(FS.join([method.encode(), host.encode(), cookie.encode(), path.encode(), ctype.encode(), body]))
            f.write(SEP)
    return Path(name)


def wrk(port: int, reqs: Path, seconds: int, connections: int = 16) -> dict[str, Any]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", str(ROOT / "bench" / "load.lua"), f"http://127.0.0.1:{port}/", "--", str(reqs)],
                         capture_output=True, text=True, timeout=seconds + 60)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not line:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    result = json.loads(line[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def multipart(fields: dict[str, str]) -> tuple[str, bytes]:
    boundary = "bench" + secrets.token_hex(8)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return f"multipart/form-data; boundary={boundary}", ("".join(parts) + f"--{boundary}--\r\n").encode()


def submissions(port: int, slugs: list[str], n: int) -> list[tuple[str, str, str, str, str, bytes]]:
    """Prepared public request forms: each tenant's CSRF cookie and token, a fresh submit token each."""
    from sila.platform.identity import valid_test_id

    rng, out, forms = random.Random(3), [], {}
    for slug in slugs:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": f"{slug}.localhost"}) as c:
            page = c.get("/apply")
            assert page.status_code == 200, (slug, page.status_code)
            forms[slug] = ("; ".join(f"{k}={v}" for k, v in c.cookies.items()),
                           found(r'name="_csrf_token" value="([^"]*)"', page.text),
                           found(r'name="policy_version" value="([^"]*)"', page.text))
    for i in range(n):
        slug = slugs[i % len(slugs)]
        cookie, csrf, version = forms[slug]
        name = "سارة عبدالله القحطاني"
        ctype, body = multipart({
            "_csrf_token": csrf, "submit_token": secrets.token_urlsafe(32), "policy_version": version, "name": name,
            "id_number": valid_test_id(rng.choice("12") + "".join(rng.choice("0123456789") for _ in range(8))),
            "mobile": f"055{rng.randrange(10**7):07d}", "preferred_channel": "sms", "preferred_language": "ar",
            "city": "الرياض", "category": "family", "household_size": "4", "need": "دعم إيجار السكن لثلاثة أشهر",
            "attest": "yes", "signature": name, "consent": "yes"})
        out.append(("POST", f"{slug}.localhost", cookie, "/apply", ctype, body))
    return out


# --- scenarios ----------------------------------------------------------------------------------


def web_scenarios(database: str, slugs: list[str], seconds: int, *, submit: list[str], baseline: bool,
                  profile: bool) -> dict[str, Any]:
    """`submit`: tenants that receive the public submissions (never the queue page's tenants,
    whose queue must stay exactly 50 long, run after run)."""
    results: dict[str, Any] = {}
    port = free_port()
    # The per-key API limit would turn the API scenario into a 429 benchmark; its counter still runs.
    env = sila_env(database, port=port, SILA_API_RATE_LIMIT="100000000")
    server = web(f"web-{database}", env, port)
    try:
        cookies = {slug: login(port, slug) for slug in slugs}
        # The page under test really is 50 requests, sorted by due date, for every signed-in tenant.
        probe = httpx.get(f"http://127.0.0.1:{port}{QUEUE_PATH}",
                          headers={"Host": f"{slugs[0]}.localhost", "Cookie": cookies[slugs[0]]})
        rows = probe.text.count('<th scope="row">')
        assert probe.status_code == 200 and rows == datagen.QUEUE_SIZE, (probe.status_code, rows)
        policy = records([("GET", f"{s}.localhost", "", "/policy", "", b"") for s in slugs])
        queue = records([("GET", f"{s}.localhost", cookies[s], QUEUE_PATH, "", b"") for s in slugs])
        with RssSampler({"web": server.pid}) as rss:
            results["policy_page"] = wrk(port, policy, seconds)
            spy = py_spy(server.pid, seconds, f"queue-{database}") if profile else None
            results["queue_page"] = wrk(port, queue, seconds)
            if spy:
                results["queue_page"]["profile"] = spy.finish()
            # The same 50 rows through the JSON API (issue 18): each call authenticates its key,
            # counts it against the per-key limit and writes its audit entry.
            keys = make_keys(env, slugs)
            api_probe = httpx.get(f"http://127.0.0.1:{port}{API_LIST_PATH}",
                                  headers={"Host": f"{slugs[0]}.localhost", "Authorization": f"Bearer {keys[slugs[0]]}"})
            assert api_probe.status_code == 200 and len(api_probe.json()["items"]) == datagen.QUEUE_SIZE, (
                api_probe.status_code, api_probe.text[:300])
            api_list = records([("GET", f"{s}.localhost", f"Bearer {keys[s]}", API_LIST_PATH, "", b"") for s in slugs])
            results["api_list"] = wrk(port, api_list, seconds)
            if submit:
                reqs = records(submissions(port, submit, 4000))
                results["submission"] = wrk(port, reqs, seconds, connections=8)
        results["web_peak_rss"] = rss.peak["web"]
    finally:
        server.stop()
    if baseline:
        uid = {}
        from bench.datagen import owner

        async def officers() -> None:
            conn = await owner(database)
            try:
                for r in await conn.fetch("""select t.slug, m."user" from membership m join tenant t on t.id = m.tenant
                                             where m.role = 'relations_officer'"""):
                    uid[r["slug"]] = str(r["user"])
            finally:
                await conn.close()

        asyncio.run(officers())
        reqs = records([("GET", f"{s}.localhost", f"bench_uid={uid[s]}", QUEUE_PATH, "", b"") for s in slugs])
        for mode in ("rls", "bypass"):
            port = free_port()
            proc = web(f"baseline-{mode}", {**env, "BENCH_MODE": mode}, port, app="bench.baseline:create_app")
            try:
                probe = httpx.get(f"http://127.0.0.1:{port}{QUEUE_PATH}",
                                  headers={"Host": f"{slugs[0]}.localhost", "Cookie": f"bench_uid={uid[slugs[0]]}"})
                assert probe.status_code == 200 and probe.text.count('<th scope="row">') == datagen.QUEUE_SIZE, \
                    (mode, probe.status_code, probe.text[-2000:])
                with RssSampler({"web": proc.pid}) as rss:
                    results[f"baseline_{mode}"] = wrk(port, reqs, seconds)
                results[f"baseline_{mode}"]["peak_rss"] = rss.peak["web"]
            finally:
                proc.stop()
    return results


async def sql_rls(database: str, slugs: list[str], n: int) -> dict[str, float]:
    """The queue page's main query alone, n times each: app role under RLS vs the owner with an
    explicit tenant predicate. Isolates the policy's cost from everything else."""
    import asyncpg

    from bench import baseline
    from sila.platform.db import dsn_to_config
    from sila.platform.settings import get_settings

    use_env(sila_env(database))
    s = get_settings()
    owner = await asyncpg.connect(**dsn_to_config(s.database_url))
    app = await asyncpg.connect(**dsn_to_config(s.app_dsn))
    try:
        tids = {r["slug"]: r["id"] for r in await owner.fetch("select slug, id from tenant")}
        rls_sql = baseline.SQL_QUEUE.replace(" and b.tenant = $2", "").replace(" and r.tenant = $2", "")
        bypass_sql = rls_sql.replace("on b.id = r.beneficiary", "on b.id = r.beneficiary and b.tenant = $2").replace(
            "r.stage = any($1::text[])", "r.stage = any($1::text[]) and r.tenant = $2")
        out = {}
        # rls_off_set: the owner also sends the set_config round trip, so rls_on - rls_off_set is the
        # policy's own cost and rls_off_set - rls_off the round trip's.
        for label, conn, sql, rls, set_tenant in (("rls_on", app, rls_sql, True, True),
                                                  ("rls_off", owner, bypass_sql, False, False),
                                                  ("rls_off_set", owner, bypass_sql, False, True)):
            for _ in range(2):  # warm, then measure
                started = time.perf_counter()
                for i in range(n):
                    tid = tids[slugs[i % len(slugs)]]
                    async with conn.transaction():
                        if set_tenant:
                            await conn.execute("select set_config('sila.tenant_id', $1, true)", str(tid))
                        if rls:
                            rows = await conn.fetch(sql, ["verify"])
                        else:
                            rows = await conn.fetch(sql, ["verify"], tid)
                    assert len(rows) == datagen.QUEUE_SIZE
                out[label + "_ms"] = (time.perf_counter() - started) * 1000 / n
        return out
    finally:
        await owner.close()
        await app.close()


class PySpy:
    def __init__(self, pid: int, seconds: int, name: str, subprocesses: bool = False) -> None:
        self.path = OUT / f"profile-{name}.txt"
        args = [PY_SPY, "record", "--nonblocking", "--format", "raw", "-r", "50", "-d", str(seconds), "-p", str(pid),
                "-o", str(self.path)] + (["--subprocesses"] if subprocesses else [])
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def finish(self, top: int = 12) -> list[tuple[str, float]]:
        """The functions with the most samples anywhere on the stack (inclusive), as % of samples."""
        self.proc.wait(120)
        if not self.path.exists():
            return []
        counts: dict[str, int] = {}
        total = 0
        for line in self.path.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            total += int(n)
            for frame in set(stack.split(";")):
                counts[frame] = counts.get(frame, 0) + int(n)
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        return [(f, round(100 * c / total, 1)) for f, c in ranked if "(" in f][:top]


PY_SPY = str(Path(sys.executable).with_name("py-spy"))


def py_spy(pid: int, seconds: int, name: str, subprocesses: bool = False) -> PySpy | None:
    return PySpy(pid, seconds, name, subprocesses) if Path(PY_SPY).exists() else None


# --- workers --------------------------------------------------------------------------------------


def purge_broker(env: dict[str, str]) -> None:
    import redis

    client = redis.Redis.from_url(env["SILA_REDIS_URL"])
    for key in client.scan_iter(f"sila:{env['SILA_DATABASE_URL'].rsplit('/', 1)[-1]}:*", count=1000):
        client.delete(key)


def celery(name: str, env: dict[str, str], app: str = "sila.workers.celery_app", beat: bool = False) -> Proc:
    import redis

    if beat:
        sched = OUT / f"{name}-schedule"
        return Proc(name, [sys.executable, "-m", "celery", "-A", app, "beat", "-s", str(sched), "--loglevel=WARNING"],
                    env)
    node = f"{name}-{secrets.token_hex(2)}@localhost"
    proc = Proc(name, [sys.executable, "-m", "celery", "-A", app, "worker", "--pool=prefork", "--concurrency=2",
                       "-n", node, "--loglevel=WARNING", "--without-mingle", "--without-gossip"], env)
    client = redis.Redis.from_url(env["SILA_REDIS_URL"])

    def ready() -> bool:
        if not proc.alive():
            raise RuntimeError(f"{name} exited:\n{proc.tail()}")
        return bool(client.exists(f"sila:heartbeat:{node}"))

    wait_for(ready, 60, name)
    return proc


async def point_at_gateway(slug: str, url: str) -> uuid.UUID:
    """The tenant's SMS channel on the local gateway, through the real service (secret encrypted)."""
    from types import SimpleNamespace

    from sila.platform import db, directory
    from sila.platform.settings import get_settings
    from sila.tenants.notifications.services import GatewayInput, save_provider

    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    try:
        tenant = await directory.get_tenant_by_slug(slug)
        assert tenant is not None, slug
        await save_provider(tenant.id, GatewayInput(channel="sms", provider="unifonic", enabled=True, base_url=url,
                                                    account="", sender="SILA", secret="app-sid-bench-0001",
                                                    signing_secret=""),
                            SimpleNamespace(id=None, name="bench", address="127.0.0.1"))
        return tenant.id
    finally:
        await db.close_pool()


async def commit_messages(tenant_id: uuid.UUID, n: int, kind: str = "request.received") -> float:
    """n applicant messages committed to the outbox in one transaction (what the relay will find)."""
    from sila.platform import db
    from sila.platform.db import tenant_scope
    from sila.platform.settings import get_settings

    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    try:
        async with tenant_scope(tenant_id) as tx:
            await tx.connection.execute("delete from outbox where status <> 'sent'")
            await tx.connection.executemany(
                """insert into outbox (tenant, channel, kind, recipient, body_text) values ($1, 'sms', $2, $3, $4)""",
                [(tenant_id, kind, f"+9665{i:08d}", f"تم استلام طلبكم رقم 26-{i:08d}") for i in range(n)])
        return time.time()
    finally:
        await db.close_pool()


def gateway_pid(url: str) -> int:
    port = int(url.rsplit(":", 1)[1])
    return next(int(c.pid or 0) for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port
                and c.status == psutil.CONN_LISTEN)


def gateway_stats(url: str) -> dict[str, Any]:
    return httpx.get(url + "/_stats", timeout=5).json()


def pipeline(database: str, n: int, gateway_url: str, profile: bool,
             app: str = "sila.workers.celery_app") -> dict[str, Any]:
    env = sila_env(database)
    use_env(env)
    purge_broker(env)
    tid = asyncio.run(point_at_gateway("big", gateway_url))
    worker = celery("worker", env, app=app)
    beat = celery("beat", env, beat=True)
    try:
        httpx.post(gateway_url + "/_reset")
        with RssSampler({"worker": worker.pid, "beat": beat.pid}) as rss:
            t0 = asyncio.run(commit_messages(tid, n))
            # CPU is counted from the commit on: writing the rows is the senders' work, not the pipeline's.
            with CpuMeter({"worker": worker.pid, "beat": beat.pid, "gateway": gateway_pid(gateway_url)}) as cpu:
                spy = py_spy(worker_child(worker.pid), 15, "pipeline") if profile else None
                try:
                    wait_for(lambda: gateway_stats(gateway_url)["accepted"] >= n, max(300, n / 5), "the gateway")
                except TimeoutError:  # too slow to finish: report what arrived by the deadline
                    pass
                stats = gateway_stats(gateway_url)
        result = {"messages": stats["accepted"], "committed": n, "seconds": stats["last"] - t0,
                  "first_after": stats["first"] - t0, "replays": stats["replays"], "peak_rss": rss.peak,
                  "cpu": cpu.result}
        result["per_second"] = stats["accepted"] / result["seconds"]
        if spy:
            result["profile"] = spy.finish()
        return result
    finally:
        beat.stop()
        worker.stop()
        purge_broker(env)


def worker_child(pid: int) -> int:
    """A prefork child (where the tasks run): py-spy follows one process best."""
    import psutil

    children = psutil.Process(pid).children()
    return children[-1].pid if children else pid


async def beat_scan(database: str) -> dict[str, Any]:
    """One pass of the beat's minute scan over every active tenant (reminders, surveys due),
    timed: it must finish well within its 60 s period."""
    from sila.platform import db
    from sila.platform.settings import get_settings
    from sila.tenants.notifications import reminders
    from sila.tenants.surveys import services as surveys

    use_env(sila_env(database))
    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    try:
        started = time.monotonic()
        written = await reminders.scan_all()
        middle = time.monotonic()
        written += await surveys.scan_all()
        return {"reminders_seconds": middle - started, "surveys_seconds": time.monotonic() - middle,
                "messages_written": written}
    finally:
        await db.close_pool()


async def reports_dashboard(database: str, n: int) -> dict[str, Any]:
    """The indicators dashboard's queries (`sila.tenants.reports.queries.dashboard`) for the tenant
    with the most requests, over the last twelve Gregorian months, n times on one pooled connection
    under RLS (the page's render adds its templates on top)."""
    from sila.platform import db
    from sila.platform.settings import get_settings
    from sila.tenants.reports import queries
    from sila.tenants.reports.period import Period

    use_env(sila_env(database))
    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    try:
        import asyncpg

        from sila.platform.db import dsn_to_config

        owner = await asyncpg.connect(**dsn_to_config(get_settings().database_url))  # to find it across tenants
        try:
            tid, count = await owner.fetchrow(
                "select tenant, count(*) from support_request group by tenant order by 2 desc limit 1")
        finally:
            await owner.close()
        today = dt.date.today()
        start = (today.year - 1, today.month + 1) if today.month < 12 else (today.year, 1)
        period = Period("gregorian", start, (today.year, today.month))
        for _ in range(3):  # warm the caches
            await queries.dashboard(tid, period)
        times = []
        for _ in range(n):
            started = time.perf_counter()
            await queries.dashboard(tid, period)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        return {"requests": count, "runs": n, "p50_ms": times[len(times) // 2],
                "p95_ms": times[min(len(times) - 1, int(len(times) * 0.95))], "max_ms": times[-1]}
    finally:
        await db.close_pool()


async def evidence_pack(database: str) -> dict[str, Any]:
    """The governance evidence pack (`sila.tenants.reports.evidence.build`, what the Celery task
    runs) for the tenant with the most requests over the last twelve Gregorian months, in this
    process: seconds, bytes, and the process's resident memory sampled while it builds."""
    import threading

    from sila.platform import db
    from sila.platform.db import tenant_scope
    from sila.platform.settings import get_settings
    from sila.tenants.reports import evidence

    use_env(sila_env(database))
    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    try:
        import asyncpg

        from sila.platform.db import dsn_to_config

        owner = await asyncpg.connect(**dsn_to_config(get_settings().database_url))
        try:
            tid, count = await owner.fetchrow(
                "select tenant, count(*) from support_request group by tenant order by 2 desc limit 1")
        finally:
            await owner.close()
        today = dt.date.today()
        start = (today.year - 1, today.month + 1) if today.month < 12 else (today.year, 1)
        async with tenant_scope(tid) as tx:  # the row the page would write, without a broker hand-off
            pack_id = await tx.connection.fetchval(
                """insert into evidence_pack (tenant, calendar, from_year, from_month, to_year, to_month)
                   values ($1, 'gregorian', $2, $3, $4, $5) returning id""", tid, *start, today.year, today.month)
        page = os.sysconf("SC_PAGE_SIZE")
        rss: list[int] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                with open("/proc/self/statm") as f:
                    rss.append(int(f.read().split()[1]) * page)
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        ok = await evidence.build(pack_id, tid)
        seconds = time.monotonic() - started
        done.set()
        sampler.join()
        async with tenant_scope(tid) as tx:
            size = await tx.connection.fetchval("select size_bytes from evidence_pack where id = $1", pack_id)
        return {"requests": count, "ok": ok, "seconds": seconds, "zip_bytes": size, "rss_start": rss[0],
                "rss_peak": max(rss), "rss_end": rss[-1]}
    finally:
        await db.close_pool()


def export_memory(database: str) -> dict[str, Any]:
    """The beneficiary list of the tenant with the most beneficiaries as CSV and XLSX, streamed
    (as the route sends it) and in memory (as exports were built before), each in a fresh process."""
    out: dict[str, Any] = {}
    for fmt in ("csv", "xlsx"):
        for variant in ("in_memory", "streamed"):
            done = subprocess.run([sys.executable, "-m", "bench.exports", database, variant, fmt], capture_output=True,
                                  text=True, env=sila_env(database), cwd=ROOT, timeout=1800)
            if done.returncode:
                raise RuntimeError(done.stderr[-3000:])
            out[f"{fmt}_{variant}"] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def noop_celery(database: str, n: int) -> dict[str, Any]:
    import redis

    env = sila_env(database)
    use_env(env)
    purge_broker(env)
    worker = celery("noop", env, app="bench.noop")
    try:
        from bench.noop import COUNTER, noop

        client = redis.Redis.from_url(env["SILA_REDIS_URL"])
        client.delete(COUNTER)
        with RssSampler({"worker": worker.pid}) as rss, CpuMeter({"worker": worker.pid}) as cpu:
            t0 = time.time()
            with noop.app.producer_or_acquire() as producer:
                for _ in range(n):
                    noop.apply_async(producer=producer)
            wait_for(lambda: int(client.get(COUNTER) or 0) >= n, max(300, n / 20), "the no-op tasks", 0.05)
            took = time.time() - t0
        return {"tasks": n, "seconds": took, "per_second": n / took, "peak_rss": rss.peak, "cpu": cpu.result}
    finally:
        worker.stop()
        purge_broker(env)


def campaign(database: str) -> dict[str, Any]:
    env = sila_env(database)
    purge_broker(env)
    try:
        out = subprocess.run([sys.executable, "-m", "bench.campaign", database], capture_output=True, text=True,
                             env=env, cwd=ROOT, timeout=3600)
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        purge_broker(env)


# --- the run ------------------------------------------------------------------------------------


def ensure_data(database: str, size: datagen.Size, regenerate: bool) -> None:
    want = size.__dict__
    held = asyncio.run(datagen.stamp(database))
    if not regenerate and held is not None and held.get("size") == want:
        log(f"data: reusing {database} {want}")
        asyncio.run(datagen.upgrade(database))
        return
    log(f"data: generating {database} {want}")
    info = {**datagen.main(database, size), "size": want}
    asyncio.run(datagen.stamp(database, info))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"data-{database}.json").write_text(json.dumps(info, default=str))  # for the reader


def run(quick: bool, regenerate: bool, profile: bool, only: set[str] | None = None,
        messages: int | None = None) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    size = datagen.Size.quick() if quick else datagen.Size.full()
    big_db, ten_db = ("sila_bench_quick", "sila_bench10_quick") if quick else ("sila_bench", "sila_bench10")
    seconds = 6 if quick else 15
    messages = messages or (2000 if quick else 10_000)
    want = lambda name: only is None or name in only  # noqa: E731
    if want("web") and shutil.which("wrk") is None:
        raise SystemExit("bench: the web scenarios need wrk (apt-get install -y wrk), or use --only pipeline,campaign")
    if only is None or only - {"import"}:  # the import bench builds a database of its own
        ensure_data(big_db, size, regenerate)
        ensure_data(ten_db, size.ten(), regenerate)
    started = time.monotonic()
    results: dict[str, Any] = {"date": dt.date.today().isoformat(), "quick": quick, "size": size.__dict__,
                               "seconds_per_load_run": seconds}
    slugs_big = [f"t{i:04d}" for i in range(1, size.tenants - 1)]
    random.Random(1).shuffle(slugs_big)
    slugs_big, slugs_submit = slugs_big[:MAX_SESSIONS], slugs_big[MAX_SESSIONS:MAX_SESSIONS + 20]
    slugs_ten = [f"t{i:04d}" for i in range(1, 10)]  # t0000 is the template tenant in both
    slugs_ten.append("t0000")
    path = OUT / f"results-{'quick' if quick else 'full'}.json"

    earlier = json.loads(path.read_text()) if only is not None and path.exists() else {}

    def save() -> None:  # after every stage: a later failure keeps what was measured
        # --only keeps the other scenarios' last numbers in the file ("date" is the last run's).
        path.write_text(json.dumps({**earlier, **results}, indent=2, default=str))

    if want("web"):
        log(f"web: {len(slugs_big)} tenants of {size.tenants}, {seconds}s per scenario")
        results["web"] = web_scenarios(big_db, slugs_big, seconds, submit=slugs_submit, baseline=True, profile=profile)
        log("web: 10-tenant database")
        results["web10"] = web_scenarios(ten_db, slugs_ten, seconds, submit=[], baseline=False, profile=False)
        results["sql"] = asyncio.run(sql_rls(big_db, slugs_big, 300 if quick else 1000))
        # The same on the 10-tenant twin: the database's share of "10 vs 1,000 tenants", sequential
        # on one connection, so wrk and the app's CPU do not blur it.
        results["sql10"] = asyncio.run(sql_rls(ten_db, slugs_ten, 300 if quick else 1000))
        save()
    gw_port = free_port()
    gateway = Proc("gateway", [sys.executable, "-m", "bench.gateway", str(gw_port)], os.environ.copy())
    gw = f"http://127.0.0.1:{gw_port}"
    wait_for(lambda: httpx.get(gw + "/_stats").status_code == 200, 10, "the gateway")
    try:
        if want("pipeline"):
            log(f"pipeline: {messages} messages")
            results["pipeline"] = pipeline(big_db, messages, gw, profile)
            save()
            log("no-op celery")
            results["noop"] = noop_celery(big_db, messages)
            log("beat scan over every tenant")
            results["beat_scan"] = asyncio.run(beat_scan(big_db))
    finally:
        gateway.stop()
    if want("reports"):
        log("reports: the indicators dashboard's queries, largest tenant, twelve months")
        results["reports"] = asyncio.run(reports_dashboard(big_db, 20 if quick else 50))
        save()
    if want("evidence"):
        log("evidence: the governance evidence pack, largest tenant, twelve months")
        results["evidence"] = asyncio.run(evidence_pack(big_db))
        save()
    if want("exports"):
        log("exports: the largest beneficiary list, CSV and XLSX, streamed vs in memory")
        results["exports"] = export_memory(big_db)
        save()
    if want("import"):
        from bench import imports as import_bench

        log("import: beneficiaries from a CSV file, against a plain COPY of the same rows")
        results["import"] = import_bench.run(quick)
        save()
    if want("campaign"):
        log(f"campaign: {size.big} beneficiaries")
        results["campaign"] = campaign(big_db)
    results["wall_seconds"] = time.monotonic() - started
    save()
    for tmp in OUT.glob("bench-*.bin"):  # wrk's request files
        tmp.unlink()
    report(results)
    log(f"(raw numbers: {path.relative_to(ROOT)})")
    return results


def report(r: dict[str, Any]) -> None:
    def row(name: str, x: dict[str, Any] | None) -> None:
        if x:
            log(f"  {name:<38} {x['rps']:8.1f} req/s  p50 {x['p50_ms']:7.1f}  p95 {x['p95_ms']:7.1f}  "
                f"p99 {x['p99_ms']:7.1f} ms  non-2xx/3xx {x['bad_status']}")

    log(f"\nSila benchmarks {r['date']} ({'quick' if r['quick'] else 'full'}: {r['size']})")
    w, w10 = r.get("web", {}), r.get("web10", {})
    if w:
        row("public policy page", w["policy_page"])
        row("staff queue page (50, RLS on)", w["queue_page"])
        row("API list of the same 50 (key, audited)", w.get("api_list"))
        row("  raw baseline, app role (RLS on)", w.get("baseline_rls"))
        row("  raw baseline, owner (RLS off)", w.get("baseline_bypass"))
        row("public request submission", w.get("submission"))
        row("policy page, 10-tenant database", w10.get("policy_page"))
        row("queue page, 10-tenant database", w10.get("queue_page"))
        log(f"  peak RSS web process: {mb(w['web_peak_rss'])}")
    ratios = []
    if w.get("api_list"):
        ratios.append(("API list / queue page, throughput (target >= 1)", w["api_list"]["rps"] / w["queue_page"]["rps"]))
    if w.get("baseline_rls"):
        q, b = w["queue_page"], w["baseline_rls"]
        ratios.append(("queue page / raw baseline, throughput (target >= 0.5)", q["rps"] / b["rps"]))
        ratios.append(("queue page / raw baseline, p95 (target <= 2)", q["p95_ms"] / b["p95_ms"]))
        ratios.append(("RLS overhead, baseline app (target < 10%)",
                       w["baseline_bypass"]["rps"] / b["rps"] - 1))
    if r.get("sql"):
        q = r["sql"]
        log(f"  queue SQL alone: RLS on {q['rls_on_ms']:.2f} ms, RLS off {q['rls_off_ms']:.2f} ms"
            + (f", RLS off with the same set_config round trip {q['rls_off_set_ms']:.2f} ms" if "rls_off_set_ms" in q else ""))
        ratios.append(("RLS overhead, queue SQL alone (target < 10%)", q["rls_on_ms"] / q["rls_off_ms"] - 1))
        if "rls_off_set_ms" in q:
            ratios.append(("  of which the policy itself (same round trips)", q["rls_on_ms"] / q["rls_off_set_ms"] - 1))
    if r.get("sql") and r.get("sql10"):
        log(f"  queue SQL alone, 10-tenant database: RLS on {r['sql10']['rls_on_ms']:.2f} ms")
        ratios.append((f"queue SQL alone, {r['size']['tenants']} vs 10 tenants, time (target within 10%)",
                       r["sql"]["rls_on_ms"] / r["sql10"]["rls_on_ms"]))
    if w10:
        ratios.append((f"queue page, {r['size']['tenants']} vs 10 tenants, throughput (target within 10%)",
                       w["queue_page"]["rps"] / w10["queue_page"]["rps"]))
        ratios.append((f"policy page, {r['size']['tenants']} vs 10 tenants, throughput",
                       w["policy_page"]["rps"] / w10["policy_page"]["rps"]))
    if r.get("pipeline"):
        p, n = r["pipeline"], r["noop"]
        log(f"  pipeline: {p['messages']} messages outbox -> SMS gateway in {p['seconds']:.1f}s = "
            f"{p['per_second']:.1f} msg/s (first after {p['first_after']:.1f}s, wire replays {p['replays']}); "
            f"peak RSS worker {mb(p['peak_rss'].get('worker', 0))}, beat {mb(p['peak_rss'].get('beat', 0))}")
        log(f"  no-op Celery: {n['tasks']} tasks in {n['seconds']:.1f}s = {n['per_second']:.1f} tasks/s; "
            f"peak RSS worker {mb(n['peak_rss']['worker'])}")
        for label, x, count in (("pipeline", p, p["messages"]), ("no-op", n, n["tasks"])):
            if c := x.get("cpu"):
                per = ", ".join(f"{k} {v / count * 1000:.2f}" for k, v in sorted(c["cpu_seconds"].items()))
                log(f"    CPU ms per message, {label}: {per}; machine idle {c['idle_share']:.0%}")
        ratios.append(("pipeline / no-op Celery (target >= 0.5)", p["per_second"] / n["per_second"]))
        if s := r.get("beat_scan"):
            log(f"  beat minute scan over {r['size']['tenants']} tenants: reminders {s['reminders_seconds']:.1f}s + "
                f"surveys {s['surveys_seconds']:.1f}s, {s['messages_written']} messages written")
    if r.get("campaign"):
        c = r["campaign"]
        rss = [x[1] for x in c["rss"]]
        log(f"  campaign: {c['invited']} of {c['total']} invited ({c['outbox_rows']} outbox rows) in "
            f"{c['seconds']:.1f}s in {c['ticks']} beat ticks run back to back (batches of {c['batch_size']}); on the "
            f"beat's 3 s cadence: {c['beat_projection_seconds']:.0f} s; RSS {mb(rss[0])} -> peak {mb(max(rss))} -> "
            f"{mb(rss[-1])} (target < 60 s, flat)")
    if r.get("reports"):
        x = r["reports"]
        log(f"  indicators dashboard queries, largest tenant ({x['requests']} requests, 12 months): "
            f"p50 {x['p50_ms']:.0f} ms, p95 {x['p95_ms']:.0f} ms over {x['runs']} runs (page target p95 < 300 ms)")
    if r.get("evidence"):
        x = r["evidence"]
        log(f"  evidence pack, largest tenant ({x['requests']} requests, 12 months): {x['seconds']:.1f} s, "
            f"ZIP {x['zip_bytes'] / 1e6:.1f} MB, RSS {mb(x['rss_start'])} -> peak {mb(x['rss_peak'])} -> "
            f"{mb(x['rss_end'])} (target < 60 s, flat){'' if x['ok'] else ' — FAILED'}")
    for _key, x in sorted((r.get("exports") or {}).items()):
        log(f"  export {x['format']} {x['variant']:<9} {x['rows']} rows, {x['bytes'] / 1e6:.1f} MB in {x['seconds']:.1f} s, "
            f"RSS {mb(x['rss_start'])} -> peak {mb(x['rss_peak'])} (+{mb(x['rss_peak'] - x['rss_start'])})")
    if r.get("import"):
        from bench import imports as import_bench

        import_bench.report(r["import"], log, mb)
    log("  ratios:")
    for name, value in ratios:
        log(f"    {name:<66} {value:6.2f}")
