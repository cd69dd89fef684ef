"""The bench's floor (bench/baseline.py) renders the staff queue page from the page's own SQL and
context builder: if the page changes, the floor must still render it, or `python -m bench run`
fails half an hour in (it did once: the page had gained `assigned`). Both modes, RLS on and off."""
from __future__ import annotations

import os

import pytest
from litestar.testing import AsyncTestClient

from support import data
from sila.tenants.requests import services
from sila.tenants.requests.services import QueueFilter


@pytest.mark.parametrize("mode", ["rls", "bypass"])
async def test_the_floor_renders_the_queue_page_the_page_would(app_db: object, mode: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, other = await data.create_tenant(), await data.create_tenant()
    for t in (tenant, other):
        await data.publish_seed_policy(t)
    officer = await data.create_staff(tenant, "relations_officer")
    theirs = await data.create_staff(other, "relations_officer")
    mine = [await data.recorded_request(tenant, officer) for _ in range(2)]
    not_mine = await data.recorded_request(other, theirs)
    page_rows = await services.queue(tenant.id, QueueFilter(stages=["verify"]), officer.id)
    assert {r.reference for r in page_rows} == {r["reference"] for r in mine}

    monkeypatch.setitem(os.environ, "BENCH_MODE", mode)
    import importlib

    from bench import baseline

    baseline = importlib.reload(baseline)  # MODE is read at import
    async with AsyncTestClient(app=baseline.create_app()) as client:
        r = await client.get("/portal/requests/?stage=verify", headers={"Host": f"{tenant.slug}.localhost", "Cookie": f"bench_uid={officer.id}"})
    assert r.status_code == 200, r.text[-2000:]
    assert r.text.count('<th scope="row">') == len(page_rows)
    for row in mine:
        assert row["reference"] in r.text
    assert not_mine["reference"] not in r.text
