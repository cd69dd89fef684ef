"""Issue 17: the operator's numbers across tenants, numbers only: active tenants with a published,
approved policy, and the median % of requests decided within the review window. Counted as
differences (other tests' tenants share the database): one more tenant, one more published, one
more measured, and the median moving as hand-computed."""
from __future__ import annotations

import datetime as dt

from sila.platform.operator import services
from support.data import SERVICE_STEPS
from support.servers import run_async


def test_the_median_of_a_few_percentages():
    assert services.median([]) is None
    assert services.median([50.0]) == 50.0
    assert services.median([100.0, 0.0, 50.0]) == 50.0
    assert services.median([0.0, 100.0, 50.0, 75.0]) == 62.5


async def _charity_with_decisions(make_tenant, make_staff, publish_policy, within: int, late: int):
    from support.people import move, recorded, served

    tenant = await make_tenant(name_ar="جمعية للتشغيل")
    await publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, window=None)
    officer = await make_staff(tenant, "relations_officer")
    now = dt.datetime.now(dt.UTC)
    for i in range(within + late):
        rid = await recorded(tenant, officer, "interview", "family")
        await served(tenant, officer, rid)
        due = now - dt.timedelta(days=5)
        await move(tenant, rid, submitted_at=now - dt.timedelta(days=20), due_at=due,
                   decided_at=due - dt.timedelta(days=1) if i < within else due + dt.timedelta(days=1))
    return tenant


def test_operator_numbers_count_published_policies_and_the_median_within_window(
        server, operator_client, make_tenant, make_staff):
    before = run_async(services.governance_numbers())
    run_async(make_tenant(name_ar="جمعية بلا سياسة"))  # active, nothing published, nothing decided
    middle = run_async(services.governance_numbers())
    assert (middle.tenants, middle.published, middle.measured) == (before.tenants + 1, before.published,
                                                                   before.measured)
    from support.data import publish_seed_policy

    run_async(_charity_with_decisions(make_tenant, make_staff, publish_seed_policy, within=3, late=1))  # 75%
    after = run_async(services.governance_numbers())
    assert (after.tenants, after.published, after.measured) == (before.tenants + 2, before.published + 1,
                                                                before.measured + 1)
    page = operator_client.get("/operator/usage")
    assert page.status_code == 200 and "سياسة منشورة ومعتمدة" in page.text
    shown = f"{after.published} / {after.tenants}".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert shown in page.text
    assert "سارة" not in page.text  # numbers only: no beneficiary on the operator's page


async def _counted_one_tenant_at_a_time() -> tuple[int, int, list[float]]:
    """The numbers as the console counted them before the view: each tenant in its own scope."""
    from sila.platform import directory
    from sila.platform.db import tenant_scope

    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=services.GOVERNANCE_DAYS)
    tenants = [t for t in await directory.list_tenants() if t.status == "active"]
    published, percents = 0, []
    for t in tenants:
        async with tenant_scope(t.id) as tx:
            row = await tx.connection.fetchrow(
                """select exists (select 1 from policy_version where approval is not null) as published,
                          count(r.due_at) as with_window, count(*) filter (where r.decided_at <= r.due_at) as within
                   from support_request r where r.decided_at >= $1""", since)
        published += bool(row["published"])
        if row["with_window"]:
            percents.append(100 * row["within"] / row["with_window"])
    return len(tenants), published, percents


def test_the_one_query_gives_the_numbers_counted_tenant_by_tenant(server, make_tenant, make_staff):
    from support.data import publish_seed_policy

    for within, late in ((1, 2), (2, 0), (0, 1)):  # 33.3%, 100%, 0%: the median is not the mean
        run_async(_charity_with_decisions(make_tenant, make_staff, publish_seed_policy, within=within, late=late))
    tenants, published, percents = run_async(_counted_one_tenant_at_a_time())
    numbers = run_async(services.governance_numbers())
    assert (numbers.tenants, numbers.published, numbers.measured) == (tenants, published, len(percents))
    assert numbers.median_within == round(services.median(percents), 1)
    assert len(percents) >= 3


def test_the_view_gives_the_app_role_nothing_outside_platform_scope(server, make_tenant):
    """The view crosses tenants only in platform_scope(); in a tenant's scope it is empty, and the
    requests table itself stays tenant-bound for the app role in platform scope."""
    from sila.platform.db import platform_scope, tenant_scope

    tenant = run_async(make_tenant(name_ar="جمعية للعرض"))

    async def probe() -> tuple[int, int, int]:
        async with tenant_scope(tenant.id) as tx:
            in_tenant = await tx.connection.fetchval("select count(*) from governance_by_tenant")
        async with platform_scope("test") as tx:
            across = await tx.connection.fetchval("select count(*) from governance_by_tenant")
            requests = await tx.connection.fetchval("select count(*) from support_request")
        return in_tenant, across, requests

    in_tenant, across, requests = run_async(probe())
    assert in_tenant == 0 and across >= 1 and requests == 0
