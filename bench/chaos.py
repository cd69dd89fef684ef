"""`python -m bench chaos [--quick]`: faults during message runs, counted at the gateway.

A deployment of its own, so nothing shared is touched: an embedded PostgreSQL in a temporary
directory (restartable), a redis-server of its own on a free port (append-only file, as in
docker-compose), one Celery worker (prefork, 2 children), the one beat, and the local HTTP SMS
gateway. For each fault, `runs` times: commit `messages` outbox rows in one transaction, wait
until about a third reached the gateway, inject the fault, bring the process back, and wait
(bounded) until the outbox has nothing left to send. Then count at the gateway by idempotency
key: each committed message must have arrived (none lost), and no key twice as a new message
(a *replay* — the same key again — is the one window no lock can close: a worker dying after
the gateway accepted and before the commit; the gateway recognises it by the key).

Faults: worker = SIGKILL the worker's whole process group, restart it 1 s later;
redis = SIGKILL redis-server, restart 2 s later; postgres = stop (fast shutdown), start 2 s
later; beat = SIGKILL the beat (which runs the relay and the sweeper), restart 1 s later.
The sweeper's threshold is lowered to 30 s (SILA_OUTBOX_STUCK_AFTER_SECONDS; production 300 s)
so a run ends in minutes; recovery times scale with it where the sweeper is what recovers.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.common import OUT, Proc, free_port, sila_env, use_env, wait_for

STUCK_AFTER = 30


class Redis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir / "redis"
        self.dir.mkdir()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        self.proc = Proc(f"chaos-redis-{self.port}", ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                                      "--dir", str(self.dir), "--appendonly", "yes", "--save", "",
                                                      "--protected-mode", "no"], os.environ.copy())
        wait_for(lambda: subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True,
                                        text=True).stdout.strip() == "PONG", 20, "redis-server")

    def crash(self) -> None:
        self.proc.kill(signal.SIGKILL)
        self.proc.proc.wait(10)
        self.proc.log.close()


class Deployment:
    def __init__(self, workdir: Path) -> None:
        from sila.platform.embedded import EmbeddedPostgres

        self.workdir = workdir
        self.pg = EmbeddedPostgres(workdir)
        self.pg.start()
        self.owner_url = self.pg.create_database("sila_chaos")
        self.redis = Redis(workdir)
        self.gw_port = free_port()
        self.gateway = Proc("chaos-gateway", [sys.executable, "-m", "bench.gateway", str(self.gw_port)],
                            os.environ.copy())
        self.gw = f"http://127.0.0.1:{self.gw_port}"
        wait_for(lambda: httpx.get(self.gw + "/_stats").status_code == 200, 10, "the gateway")
        self.env = sila_env(self.owner_url, redis=self.redis.url, pool=4, SILA_OUTBOX_STUCK_AFTER_SECONDS=str(STUCK_AFTER),
                            SILA_OUTBOX_BACKOFF_BASE="1", SILA_PROVIDER_TIMEOUT="5",
                            SILA_DATA_DIR=str(workdir / "data"))
        use_env(self.env)
        self.tenant = asyncio.run(self.seed())
        self.worker = self._celery("chaos-worker", ["worker", "--pool=prefork", "--concurrency=2", "-n",
                                                    "chaos@localhost", "--without-mingle", "--without-gossip"])
        self.beat = self._celery("chaos-beat", ["beat", "-s", str(workdir / "beat-schedule")])
        wait_for(self.worker_ready, 60, "the worker")

    def _celery(self, name: str, args: list[str]) -> Proc:
        return Proc(name, [sys.executable, "-m", "celery", "-A", "sila.workers.celery_app", *args,
                           "--loglevel=WARNING"], self.env)

    def worker_ready(self) -> bool:
        import redis

        return bool(redis.Redis.from_url(self.redis.url).exists("sila:heartbeat:chaos@localhost"))

    async def owner(self) -> asyncpg.Connection:
        from sila.platform.db import dsn_to_config

        return await asyncpg.connect(**dsn_to_config(self.owner_url))

    async def seed(self) -> Any:
        from types import SimpleNamespace

        from sila.platform import db, directory
        from sila.platform.migrate import migrate
        from sila.platform.settings import get_settings
        from sila.tenants.notifications.services import GatewayInput, save_provider

        await migrate(get_settings(), quiet=True)
        db.configure(get_settings().app_dsn)
        await db.start_pool(2)
        try:
            tenant = await directory.create_tenant(slug="chaos", kind="association", name_ar="جمعية الاختبار",
                                                   status="active")
            await save_provider(tenant.id, GatewayInput(channel="sms", provider="unifonic", enabled=True,
                                                        base_url=self.gw, account="", sender="SILA",
                                                        secret="app-sid-chaos", signing_secret=""),
                                SimpleNamespace(id=None, name="chaos", address="127.0.0.1"))
        finally:
            await db.close_pool()
        conn = await self.owner()
        try:
            await conn.execute("update tenant set message_quota = 100000000 where id = $1", tenant.id)
            await conn.execute("insert into notification_settings (tenant, quiet_enabled) values ($1, false)",
                               tenant.id)
        finally:
            await conn.close()
        return tenant

    async def commit(self, n: int, run: str) -> list[str]:
        """n messages committed in one transaction, as the owner (the rows are what counts)."""
        conn = await self.owner()
        try:
            async with conn.transaction():
                rows = await conn.fetch(
                    """insert into outbox (tenant, channel, kind, recipient, body_text)
                       select $1, 'sms', 'request.received', '+9665' || lpad(g::text, 8, '0'), $2 || g
                       from generate_series(1, $3) g returning id""", self.tenant.id, f"{run} #", n)
            return [str(r["id"]) for r in rows]
        finally:
            await conn.close()

    async def unsent(self, ids: list[str]) -> dict[str, int]:
        conn = await self.owner()
        try:
            rows = await conn.fetch("select status, count(*) from outbox where id = any($1::uuid[]) group by 1",
                                    ids)
            return {r["status"]: r["count"] for r in rows if r["status"] != "sent"}
        finally:
            await conn.close()

    def accepted(self) -> int:
        return httpx.get(self.gw + "/_stats", timeout=5).json()["accepted"]

    def inject(self, fault: str) -> float:
        """Break something, bring it back; returns when it was back (time.time())."""
        if fault == "worker":
            self.worker.kill(signal.SIGKILL)
            self.worker.proc.wait(10)
            time.sleep(1)
            self.worker.restart()
        elif fault == "beat":
            self.beat.kill(signal.SIGKILL)
            self.beat.proc.wait(10)
            time.sleep(1)
            self.beat.restart()
        elif fault == "redis":
            self.redis.crash()
            time.sleep(2)
            self.redis.start()
        elif fault == "postgres":
            before = self.pg.url
            self.pg.stop()
            time.sleep(2)
            assert self.pg.start() == before, "PostgreSQL came back at another address"
        return time.time()

    def supervise(self) -> int:
        """What a process supervisor (compose's restart policy) does: start what has exited."""
        restarted = 0
        for p in (self.worker, self.beat):
            if not p.alive():
                p.log.close()
                p.start()
                restarted += 1
        return restarted

    def stop(self) -> None:
        for p in (self.beat, self.worker, self.gateway):
            p.stop()
        self.redis.proc.stop()
        self.pg.stop()


def one_run(d: Deployment, fault: str, n: int, label: str) -> dict[str, Any]:
    httpx.post(d.gw + "/_reset")
    ids = asyncio.run(d.commit(n, label))
    t0 = time.time()
    wait_for(lambda: d.accepted() >= n // 3, 600, "a third of the messages")
    t_fault = time.time()
    t_back = d.inject(fault) if fault != "none" else t_fault
    deadline, restarts = time.monotonic() + max(300, n / 5), 0
    while time.monotonic() < deadline:
        restarts += d.supervise()
        try:
            if d.accepted() >= n and not asyncio.run(d.unsent(ids)):
                break
        except Exception:  # noqa: BLE001 - PostgreSQL may still be starting
            pass
        time.sleep(0.5)
    keys = httpx.get(d.gw + "/_keys", timeout=10).json()
    times = httpx.get(d.gw + "/_times", timeout=10).json()
    idset = set(ids)
    after = [t for t in times if t > t_back]
    unsent: dict[str, Any]
    try:
        unsent = asyncio.run(d.unsent(ids))
    except Exception as exc:  # noqa: BLE001
        unsent = {"unknown": str(exc)}
    return {"fault": fault, "committed": n, "delivered": sum(1 for i in ids if i in keys),
            "lost": sum(1 for i in ids if i not in keys), "replays": sum(keys[i] - 1 for i in ids if i in keys),
            "unknown_keys": sum(1 for k in keys if k not in idset), "unsent_rows": unsent,
            "recover_s": (after[0] - t_fault) if after else None, "drain_s": (times[-1] - t0) if times else None,
            "restarts": restarts}


def main(quick: bool, runs: int | None, messages: int | None, faults: list[str]) -> int:
    runs = runs or (2 if quick else 10)
    messages = messages or (600 if quick else 10_000)
    workdir = Path(tempfile.mkdtemp(prefix="sila-chaos-"))
    OUT.mkdir(parents=True, exist_ok=True)
    d = Deployment(workdir)
    results = []
    try:
        for fault in ["none", *faults]:  # a run without a fault first: the drain time to compare with
            for i in range(1 if fault == "none" else runs):
                r = one_run(d, fault, messages, f"{fault}-{i}")
                results.append(r)
                print(json.dumps(r), flush=True)
    finally:
        d.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    (OUT / f"chaos-{runs}x{messages}.json").write_text(json.dumps(results, indent=2))
    print(f"\nchaos: {runs} run(s) per fault, {messages} messages each, sweeper after {STUCK_AFTER}s")
    print(f"{'fault':<10} {'runs':>4} {'committed':>9} {'delivered':>9} {'lost':>5} {'extra':>5} {'replays':>7} "
          f"{'recover s (max)':>15} {'drain s (max)':>13} {'restarts':>8}")
    ok = True
    for fault in ["none", *faults]:
        rs = [r for r in results if r["fault"] == fault]
        rec = [r["recover_s"] for r in rs if r["recover_s"] is not None]
        lost = sum(r["lost"] for r in rs)
        extra = sum(r["unknown_keys"] for r in rs)  # keys never committed: a message from nowhere
        ok &= lost == 0 and extra == 0 and all(not r["unsent_rows"] for r in rs)
        print(f"{fault:<10} {len(rs):>4} {sum(r['committed'] for r in rs):>9} {sum(r['delivered'] for r in rs):>9} "
              f"{lost:>5} {extra:>5} {sum(r['replays'] for r in rs):>7} "
              f"{max(rec) if rec else float('nan'):>15.1f} {max(r['drain_s'] or 0 for r in rs):>13.1f} "
              f"{sum(r['restarts'] for r in rs):>8}")
    print("every committed message delivered exactly once" if ok else "MESSAGES LOST OR DUPLICATED")
    return 0 if ok else 1
