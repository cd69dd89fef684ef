"""Go-live readiness (issue 15): the setup checklist ticks a step only when it has something in
it (an enabled channel, someone who works cases, an enabled SMS gateway), and the checklist
and the publish page list what will not work once the policy is live."""
from __future__ import annotations

import dataclasses

from support.clients import sign_in
from support.data import create_staff, create_tenant
from support.gateways import use_gateway

from sila.platform.accounts import services as accounts
from sila.platform.db import tenant_scope
from sila.tenants.onboarding import readiness
from sila.tenants.onboarding.services import progress
from sila.tenants.policy import services as policy


def done(p) -> dict[str, bool]:
    return {step.code: ok for step, ok in p.steps}


async def test_steps_tick_only_with_something_in_them(app_db, gateway):
    tenant = await create_tenant()
    admin = await create_staff(tenant)
    async with tenant_scope(tenant.id) as tx:  # what sign-up writes (support.data's tenants have no profile)
        await tx.connection.execute("insert into tenant_profile (tenant, regulator) values ($1, 'ncnp')", tenant.id)
    # Saving a page with nothing in it does not tick it.
    state = await policy.load_draft(tenant.id)
    empty = dataclasses.replace(state.draft, channels=[dataclasses.replace(c, enabled=False)
                                                       for c in state.draft.channels])
    assert empty.channels, "the default draft lists the catalogue's channels"
    await policy.save_section(tenant.id, "channels", empty, actor=admin.id)
    await policy.mark_done(tenant.id, "channels")
    await policy.mark_done(tenant.id, "staff")
    p = await progress(tenant.id)
    assert not done(p)["channels"] and not done(p)["staff"] and not done(p)["sms"]
    assert {x.code for x in p.problems} >= {"channels", "sms", "officer"}

    # An admin alone is not a staff; inviting an officer is (the admin cannot do more).
    await accounts.invite(tenant, email="officer@charity.test", roles=["relations_officer"],
                          invited_by=admin.id, lang="ar")
    one = dataclasses.replace(state.draft, channels=[dataclasses.replace(c, enabled=c.code == "phone")
                                                     for c in state.draft.channels])
    await policy.save_section(tenant.id, "channels", one, actor=admin.id)
    await use_gateway(tenant.id, gateway.url)
    p = await progress(tenant.id)
    assert (done(p)["channels"], done(p)["staff"], done(p)["sms"]) == (True, True, True), p
    assert "officer" not in {x.code for x in p.problems}


def test_problems_follow_the_procedure():
    base = dict(channels=2, roles=frozenset({"admin", "relations_officer"}), invited=frozenset(), sms=True)
    assert readiness.problems(readiness.Facts(steps=frozenset({"receive", "verify"}), **base)) == []
    codes = {p.code for p in readiness.problems(readiness.Facts(steps=frozenset({"refer", "committee"}), **base))}
    assert codes == {"researcher", "committee"}
    invited = {**base, "invited": frozenset({"social_researcher", "committee_member"})}
    assert readiness.problems(readiness.Facts(steps=frozenset({"refer", "committee"}), **invited)) == []
    assert not readiness.staffed(readiness.Facts(steps=frozenset(), **{**base, "roles": frozenset({"admin", "board_member"})}))


async def test_checklist_and_publish_page_list_what_will_not_work(server):
    tenant = await create_tenant()
    client = sign_in(server, await create_staff(tenant))
    for path in ("/portal/setup", "/portal/policy/publish"):
        page = client.get(path)
        assert page.status_code == 200
        assert 'id="ready-sms"' in page.text and "بوابة الرسائل النصية" in page.text, path
        assert 'id="ready-officer"' in page.text and 'href="/portal/setup/staff"' in page.text, path
