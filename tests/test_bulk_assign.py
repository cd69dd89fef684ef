"""Bulk assignment from the queue, and staff told what was given to them (issue 15): the ticked
requests go to one member in one transaction (all or none), each audited; the assignee gets one
email naming them all; a researcher is emailed when a request is referred to them; nobody is
told of what they did themselves."""
from __future__ import annotations

from support.clients import sign_in
from support.data import (audit_rows, create_staff, create_tenant, outbox_rows, publish_seed_policy,
                          recorded_request, valid_id)

from sila.platform.db import tenant_scope
from sila.tenants.requests import services as rs


async def assignees(tenant, ids) -> list:
    async with tenant_scope(tenant.id) as tx:
        return [await tx.connection.fetchval("select assignee from support_request where id = $1", i) for i in ids]


async def test_bulk_assignment_from_the_queue(server):
    tenant = await create_tenant()
    await publish_seed_policy(tenant, "mafatih")
    officer = await create_staff(tenant, "relations_officer", name="نورة")
    colleague = await create_staff(tenant, "relations_officer", name="ريم")
    researcher = await create_staff(tenant, "social_researcher")
    a, b, c = [await recorded_request(tenant, officer) for _ in range(3)]
    client = sign_in(server, officer)
    queue = client.get("/portal/requests")
    assert queue.status_code == 200 and f'id="pick-{a["id"]}"' in queue.text and 'id="requests"' in queue.text

    # Nothing ticked, or hostile input: refused beside the bar, nothing changes.
    refused = client.post("/portal/requests/bulk-assign", {"assignee": str(colleague.id)})
    assert refused.status_code == 400 and 'id="requests-error"' in refused.text
    assert client.post("/portal/requests/bulk-assign", {"requests": [str(a["id"])], "assignee": "\x00"}).status_code == 400
    assert client.post("/portal/requests/bulk-assign", {"requests": [str(a["id"])], "assignee": valid_id()}).status_code == 400
    assert await assignees(tenant, [a["id"], b["id"]]) == [officer.id, officer.id]  # the recorder holds it

    done = client.post("/portal/requests/bulk-assign?stage=verify",
                       {"requests": [str(a["id"]), str(b["id"]), str(a["id"])], "assignee": str(colleague.id)})
    assert done.status_code == 303 and done.headers["location"] == "/portal/requests?stage=verify&assigned=2"
    assert "٢" in client.get(done.headers["location"]).text
    assert await assignees(tenant, [a["id"], b["id"], c["id"]]) == [colleague.id, colleague.id, officer.id]
    assert len([e for e in await audit_rows(tenant.id, "request.assigned")]) == 2
    mails = await outbox_rows(tenant.id, "staff.assigned")
    assert len(mails) == 1 and mails[0]["recipient"] == colleague.email
    assert a["reference"] in mails[0]["body_text"] and b["reference"] in mails[0]["body_text"]

    # Taking a request oneself tells nobody; unassigning tells nobody.
    assert client.post("/portal/requests/bulk-assign", {"requests": [str(b["id"])], "assignee": str(officer.id)}).status_code == 303
    assert client.post("/portal/requests/bulk-assign", {"requests": [str(a["id"])], "assignee": ""}).status_code == 400
    assert client.post("/portal/requests/bulk-assign", {"requests": [str(a["id"])], "assignee": "none"}).status_code == 303
    assert len(await outbox_rows(tenant.id, "staff.assigned")) == 1
    assert await assignees(tenant, [a["id"], b["id"]]) == [None, officer.id]

    # A researcher sees no bar and the server refuses them.
    res = sign_in(server, researcher)
    assert 'id="requests"' not in res.get("/portal/requests").text
    assert res.post("/portal/requests/bulk-assign", {"requests": [str(b["id"])], "assignee": "none"}).status_code == 403
    assert await assignees(tenant, [b["id"]]) == [officer.id]


async def test_another_tenants_id_assigns_nothing(server):
    tenant, other = await create_tenant(), await create_tenant()
    for t in (tenant, other):
        await publish_seed_policy(t, "mafatih")
    officer, theirs = await create_staff(tenant, "relations_officer"), await create_staff(other, "relations_officer")
    colleague = await create_staff(tenant, "relations_officer")
    mine, foreign = await recorded_request(tenant, officer), await recorded_request(other, theirs)
    client = sign_in(server, officer)
    response = client.post("/portal/requests/bulk-assign",
                           {"requests": [str(mine["id"]), str(foreign["id"])], "assignee": str(colleague.id)})
    assert response.status_code == 404  # and all or nothing: mine is not moved either
    assert await assignees(tenant, [mine["id"]]) == [officer.id]
    assert await assignees(other, [foreign["id"]]) == [theirs.id]
    # Nor a member of another tenant as the assignee.
    assert client.post("/portal/requests/bulk-assign",
                       {"requests": [str(mine["id"])], "assignee": str(theirs.id)}).status_code == 400


async def test_a_referral_tells_the_researcher(app_db):
    tenant = await create_tenant()
    await publish_seed_policy(tenant, "mafatih")
    officer = await create_staff(tenant, "relations_officer")
    researcher = await create_staff(tenant, "social_researcher")
    req = await recorded_request(tenant, officer)
    actor = rs.Actor(officer.id, "نورة الموظفة", frozenset({"relations_officer"}))
    await rs.act(tenant, req["id"], "verify", actor, {f"check_{k}": "on" for k in rs.CHECKLIST})
    await rs.act(tenant, req["id"], "refer", actor, {"researcher": str(researcher.id), "question": "هل السكن بالإيجار؟"})
    mails = await outbox_rows(tenant.id, "staff.referred")
    assert [m["recipient"] for m in mails] == [researcher.email]
    assert req["reference"] in mails[0]["body_text"] and "researcher=me" in mails[0]["body_text"]


async def test_a_leaving_member_hands_over_their_open_requests(server):
    """Removing or deactivating a member who holds open requests asks who takes them: another
    relations officer (emailed once, each move audited) or nobody (back to the queue). Only the
    page's own choices are taken; without one nothing changes and the member stays."""
    tenant = await create_tenant()
    await publish_seed_policy(tenant, "mafatih")
    admin = await create_staff(tenant, "admin")
    leaving = await create_staff(tenant, "relations_officer", name="سارة المغادرة")
    taker = await create_staff(tenant, "relations_officer", name="ريم المتولية")
    researcher = await create_staff(tenant, "social_researcher")
    a, b = [await recorded_request(tenant, leaving) for _ in range(2)]
    async with tenant_scope(tenant.id) as tx:  # a closed one stays as it was
        await tx.connection.execute("update support_request set stage = 'closed' where id = $1", b["id"])
    c = await recorded_request(tenant, leaving)
    boss = sign_in(server, admin)
    page = boss.get(f"/portal/staff/{leaving.id}/remove")
    assert page.status_code == 200 and 'name="hand_to"' in page.text
    assert f'value="{taker.id}"' in page.text and f'value="{researcher.id}"' not in page.text
    assert f'value="{leaving.id}"' not in page.text and "لديه طلبان مفتوحان" in page.text

    for hostile in ({}, {"hand_to": ""}, {"hand_to": "\x00"}, {"hand_to": str(researcher.id)},
                    {"hand_to": str(leaving.id)}, {"hand_to": valid_id()}):
        refused = boss.post(f"/portal/staff/{leaving.id}/remove", hostile)
        assert refused.status_code == 400 and 'id="hand_to-error"' in refused.text, hostile
        assert "\x00" in hostile.get("hand_to", "") or "اختر من يتولى طلباته المفتوحة" in refused.text
    assert await assignees(tenant, [a["id"], c["id"]]) == [leaving.id, leaving.id]
    assert boss.get(f"/portal/staff/{leaving.id}").status_code == 200  # still a member

    assert boss.post(f"/portal/staff/{leaving.id}/remove", {"hand_to": str(taker.id)}).status_code == 303
    assert await assignees(tenant, [a["id"], b["id"], c["id"]]) == [taker.id, leaving.id, taker.id]
    assert len(await audit_rows(tenant.id, "request.assigned")) == 2
    mails = await outbox_rows(tenant.id, "staff.assigned")
    assert len(mails) == 1 and mails[0]["recipient"] == taker.email and c["reference"] in mails[0]["body_text"]

    # Deactivating the taker, back to the queue: unassigned, nobody emailed; a member with no open
    # requests is asked nothing.
    confirm = boss.get(f"/portal/staff/{taker.id}/deactivate")
    assert 'value="none"' in confirm.text
    assert boss.post(f"/portal/staff/{taker.id}/deactivate", {"hand_to": "none"}).status_code == 303
    assert await assignees(tenant, [a["id"], c["id"]]) == [None, None]
    assert len(await outbox_rows(tenant.id, "staff.assigned")) == 1
    assert 'name="hand_to"' not in boss.get(f"/portal/staff/{researcher.id}/remove").text
    assert boss.post(f"/portal/staff/{researcher.id}/remove").status_code == 303
