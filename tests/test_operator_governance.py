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
    now = dt.datetime.now(dt.timezone.utc)
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
