"""The embedded PostgreSQL and Redis start, serve real clients, stop without leftovers,
and keep their data across restarts."""
from __future__ import annotations

import asyncio
from pathlib import Path

import psutil
import redis

from sila.platform.embedded import EmbeddedPostgres, EmbeddedRedis
from support.db import owner_connection


async def _query(url: str, *statements: str) -> list:
    conn = await owner_connection(url)
    try:
        for sql in statements[:-1]:
            await conn.execute(sql)
        return await conn.fetch(statements[-1])
    finally:
        await conn.close()


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _server_pids(pid: int | None) -> list[int]:
    assert pid
    proc = psutil.Process(pid)
    return [pid, *(child.pid for child in proc.children(recursive=True))]


def test_servers_work_stop_cleanly_and_persist(tmp_path: Path) -> None:
    pg, rd = EmbeddedPostgres(tmp_path), EmbeddedRedis(tmp_path)
    url = pg.start()
    redis_url = rd.start()
    assert redis_url.startswith("unix://")
    pids = _server_pids(pg.pid) + _server_pids(rd.pid)
    assert len(pids) > 2  # postmaster children (checkpointer, walwriter…) are tracked too

    rows = asyncio.run(_query(
        url, "create table kept (v text)", "insert into kept values ('hello')", "select v from kept",
    ))
    assert [r["v"] for r in rows] == ["hello"]

    other = pg.create_database("sila test-db")
    assert pg.create_database("sila test-db") == other  # idempotent
    rows = asyncio.run(_query(other, "select current_database() as db, current_user as u"))
    assert (rows[0]["db"], rows[0]["u"]) == ("sila test-db", "postgres")

    client = redis.Redis.from_url(redis_url)
    assert client.ping()
    client.set("kept", "value")
    assert client.get("kept") == b"value"

    # Stop while a client is still connected, as a worker would be; stop is idempotent.
    for _ in range(2):
        pg.stop()
        rd.stop()
    client.close()
    assert _alive(pids) == []
    assert pg.url is None and rd.url is None

    with EmbeddedPostgres(tmp_path) as pg2, EmbeddedRedis(tmp_path) as rd2:
        assert pg2.pid not in pids
        rows = asyncio.run(_query(pg2.url, "select v from kept"))
        assert [r["v"] for r in rows] == ["hello"]
        rows = asyncio.run(_query(pg2.create_database("sila test-db"), "select 1 as one"))
        assert rows[0]["one"] == 1
        client = redis.Redis.from_url(rd2.url)
        assert client.get("kept") == b"value"
        client.close()
        pids = _server_pids(pg2.pid) + _server_pids(rd2.pid)
    assert _alive(pids) == []


def test_long_data_dir_gets_short_sockets(tmp_path: Path) -> None:
    data_dir = tmp_path / ("d" * 120)  # pgdata/.s.PGSQL.5432 would exceed ~107 bytes
    with EmbeddedPostgres(data_dir) as pg, EmbeddedRedis(data_dir) as rd:
        rows = asyncio.run(_query(pg.url, "select 1 as one"))
        assert rows[0]["one"] == 1
        assert redis.Redis.from_url(rd.url).ping()
        assert (data_dir / "postgres" / "PG_VERSION").exists()
        assert (data_dir / "redis").is_dir()
