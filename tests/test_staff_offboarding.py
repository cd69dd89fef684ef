"""Staff offboarding through HTTP, as the admin, as a non-admin and as another tenant's admin:
roles, deactivation, removal, invitations with several roles, revoke and resend; every change
ends the member's sessions; a password reset ends the others; the last admin is kept; a pending
tenant's invitations are held until approval; invitations are rate-limited."""
from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from urllib.parse import urlsplit

from sila.platform.db import tenant_scope
from support.clients import Client, PASSWORD, sign_in
from support.data import audit_rows, outbox_rows
from support.mail import link_in

NEW_PASSWORD = "Another-Passw0rd-42"


def refused_session(client: Client) -> bool:
    """The client's existing session no longer opens the portal (sent to sign in)."""
    response = client.get("/portal")
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def login_status(server, slug: str, email: str, password: str = PASSWORD) -> int:
    client = server.client(slug)
    client.get("/login")
    return client.post("/login", {"email": email, "password": password, "next": "/portal"}).status_code


async def roles_of(tenant, user_id) -> list[str]:
    async with tenant_scope(tenant.id) as tx:
        return sorted(r["role"] for r in await tx.connection.fetch(
            'select role from membership where "user" = $1', user_id))


async def invitation_ids(tenant) -> list[uuid.UUID]:
    async with tenant_scope(tenant.id) as tx:
        return [r["id"] for r in await tx.connection.fetch(
            "select id from auth_token where purpose = 'invite' and used_at is null order by created_at")]


async def test_admin_changes_roles_deactivates_reactivates_and_removes_a_member(server, make_tenant, make_staff):
    tenant, other_tenant = await make_tenant(), await make_tenant()
    admin = await make_staff(tenant, "admin")
    officer = await make_staff(tenant, "relations_officer", name="منى الحربي")
    # The same person also works for another charity: that stays untouched throughout.
    from sila.platform.accounts import services

    await services.add_member(other_tenant, email=officer.email, name="منى الحربي", role="social_researcher")
    elsewhere = sign_in(server, officer, other_tenant.slug, check_portal=True)
    boss = sign_in(server, admin, check_portal=True)
    page = boss.get("/portal/staff/")
    assert page.status_code == 200 and f"/portal/staff/{officer.id}" in page.text

    # Change roles: two roles at once; the member's open session ends.
    session = sign_in(server, officer, check_portal=True)
    member = boss.get(f"/portal/staff/{officer.id}")
    assert member.status_code == 200 and 'name="roles"' in member.text
    response = boss.post(f"/portal/staff/{officer.id}/roles", {"roles": ["social_researcher", "committee_member"]})
    assert response.status_code == 303
    assert await roles_of(tenant, officer.id) == ["committee_member", "social_researcher"]
    assert refused_session(session)
    # No role at all is refused with the reason, and nothing changes.
    empty = boss.post(f"/portal/staff/{officer.id}/roles", {})
    assert empty.status_code == 400 and "اختر دورًا واحدًا على الأقل" in empty.text
    assert await roles_of(tenant, officer.id) == ["committee_member", "social_researcher"]

    # Deactivate: a confirmation first; then the session ends and sign-in is refused here.
    session = sign_in(server, officer, check_portal=True)
    confirm = boss.get(f"/portal/staff/{officer.id}/deactivate")
    assert confirm.status_code == 200 and f'action="/portal/staff/{officer.id}/deactivate"' in confirm.text
    assert boss.post(f"/portal/staff/{officer.id}/deactivate").status_code == 303
    assert refused_session(session)
    assert login_status(server, tenant.slug, officer.email) == 400
    assert await roles_of(tenant, officer.id) == []
    listed = boss.get("/portal/staff/").text
    assert "منى الحربي" in listed and "معطّل" in listed

    # Reactivate: back with the roles held before; a session from before the deactivation stays dead.
    assert boss.post(f"/portal/staff/{officer.id}/reactivate").status_code == 303
    assert await roles_of(tenant, officer.id) == ["committee_member", "social_researcher"]
    assert refused_session(session)
    session = sign_in(server, officer, check_portal=True)

    # Remove: a confirmation, then gone from this tenant only.
    assert boss.get(f"/portal/staff/{officer.id}/remove").status_code == 200
    assert boss.post(f"/portal/staff/{officer.id}/remove").status_code == 303
    assert refused_session(session)
    assert login_status(server, tenant.slug, officer.email) == 400
    assert await roles_of(tenant, officer.id) == []
    assert "منى الحربي" not in boss.get("/portal/staff/").text
    assert boss.get(f"/portal/staff/{officer.id}").status_code == 404
    # Their account and their other charity are untouched.
    assert elsewhere.get("/portal").status_code == 200
    assert await roles_of(other_tenant, officer.id) == ["social_researcher"]

    actions = [(e["action"], e["actor_user"], e["target_id"]) for e in await audit_rows(tenant.id, "staff.")]
    for action in ("staff.roles_changed", "staff.deactivated", "staff.reactivated", "staff.removed"):
        assert (action, admin.id, str(officer.id)) in actions, action
    assert await audit_rows(other_tenant.id, "staff.") == []


async def test_staff_changes_are_refused_for_non_admins_and_for_another_tenants_admin(server, make_tenant,
                                                                                      make_staff):
    tenant, other = await make_tenant(), await make_tenant()
    admin = await make_staff(tenant, "admin")
    member = await make_staff(tenant, "relations_officer")
    outsider = await make_staff(other, "admin")
    boss = sign_in(server, admin, check_portal=True)
    boss.get("/portal/staff/")
    assert boss.post("/portal/staff/invite", {"email": f"{secrets.token_hex(3)}@x.test",
                                              "roles": "social_researcher"}).status_code == 303
    [token_id] = await invitation_ids(tenant)
    routes = [("get", f"/portal/staff/{member.id}"), ("get", f"/portal/staff/{member.id}/remove"),
              ("post", f"/portal/staff/{member.id}/roles"), ("post", f"/portal/staff/{member.id}/deactivate"),
              ("post", f"/portal/staff/{member.id}/reactivate"), ("post", f"/portal/staff/{member.id}/remove"),
              ("get", f"/portal/staff/invitations/{token_id}/revoke"),
              ("post", f"/portal/staff/invitations/{token_id}/revoke"),
              ("post", f"/portal/staff/invitations/{token_id}/resend")]

    def call(client: Client, method: str, path: str) -> int:
        if method == "get":
            return client.get(path).status_code
        return client.post(path, {"roles": "admin"}).status_code

    officer = sign_in(server, member, check_portal=True)
    stranger = sign_in(server, outsider, check_portal=True)
    for method, path in routes:
        assert call(officer, method, path) == 403, path  # not an admin here
        assert call(stranger, method, path) == 404, path  # another tenant's member / invitation
    assert await roles_of(tenant, member.id) == ["relations_officer"]
    assert await invitation_ids(tenant) == [token_id]
    assert officer.get("/portal").status_code == 200  # nothing ended the member's session
    assert [e["action"] for e in await audit_rows(tenant.id, "staff.")] == ["staff.invite"]


async def test_the_last_admin_cannot_remove_deactivate_or_demote_themselves(server, make_tenant, make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    boss = sign_in(server, admin, check_portal=True)
    for path, data in ((f"/portal/staff/{admin.id}/roles", {"roles": "relations_officer"}),
                       (f"/portal/staff/{admin.id}/deactivate", {}), (f"/portal/staff/{admin.id}/remove", {})):
        response = boss.post(path, data)
        assert response.status_code == 409, path
        assert "آخر مدير" in response.text, path
    assert await roles_of(tenant, admin.id) == ["admin"]
    assert boss.get("/portal").status_code == 200

    # With a second admin, the first may step down (and is signed out).
    second = await make_staff(tenant, "admin")
    assert boss.post(f"/portal/staff/{admin.id}/roles", {"roles": "relations_officer"}).status_code == 303
    assert await roles_of(tenant, admin.id) == ["relations_officer"]
    assert refused_session(boss)
    # Now the second is the last one.
    other = sign_in(server, second, check_portal=True)
    assert other.post(f"/portal/staff/{second.id}/remove").status_code == 409
    assert await roles_of(tenant, second.id) == ["admin"]


async def test_a_password_reset_ends_every_other_session(server, celery_worker, smtp_sink, make_tenant, make_staff):
    tenant, other_tenant = await make_tenant(), await make_tenant()
    staff = await make_staff(tenant, "relations_officer")
    from sila.platform.accounts import services

    await services.add_member(other_tenant, email=staff.email, name="x", role="relations_officer")
    laptop = sign_in(server, staff, check_portal=True)
    elsewhere = sign_in(server, staff, other_tenant.slug, check_portal=True)

    phone = server.client(tenant.slug)
    phone.get("/password/forgot")
    assert phone.post("/password/forgot", {"email": staff.email}).status_code == 200
    [msg] = smtp_sink.wait_for(staff.email)
    path = urlsplit(link_in(msg)).path
    phone.get(path)
    assert phone.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert phone.get("/portal").status_code == 200  # the session the reset opened
    assert refused_session(laptop)
    assert refused_session(elsewhere)  # the password is the account's: every portal's session ends
    assert [e["action"] for e in await audit_rows(tenant.id, "auth.password_reset")] == ["auth.password_reset"]


async def test_an_invitation_with_several_roles_can_be_resent_and_revoked(server, celery_worker, smtp_sink,
                                                                         make_tenant, make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    boss = sign_in(server, admin, check_portal=True)
    boss.http.cookies.set("sila_lang", "en")
    invitee = f"{secrets.token_hex(4)}@colleague.test"
    boss.get("/portal/staff/")
    response = boss.post("/portal/staff/invite", {"email": invitee, "roles": ["social_researcher", "committee_member"]})
    assert response.status_code == 303
    [first] = smtp_sink.wait_for(invitee)
    assert "Social researcher, Research committee member" in first.get_body(("plain",)).get_content()
    [token_id] = await invitation_ids(tenant)

    # Resend: a new link; the old one dies.
    page = boss.get("/portal/staff/")
    assert f"/portal/staff/invitations/{token_id}/resend" in page.text
    assert boss.post(f"/portal/staff/invitations/{token_id}/resend").status_code == 303
    [_, second] = smtp_sink.wait_for(invitee, 2)
    old_path, new_path = urlsplit(link_in(first)).path, urlsplit(link_in(second)).path
    assert old_path != new_path
    assert server.client(tenant.slug).get(old_path).status_code == 404
    newcomer = server.client(tenant.slug)
    newcomer.get(new_path)
    accepted = newcomer.post(new_path, {"name": "زميل جديد", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 303
    async with tenant_scope(tenant.id) as tx:
        user_id = await tx.connection.fetchval("select id from staff_user where email = $1", invitee)
    assert await roles_of(tenant, user_id) == ["committee_member", "social_researcher"]

    # Revoke: a confirmation, then the link stops working.
    other = f"{secrets.token_hex(4)}@colleague.test"
    assert boss.post("/portal/staff/invite", {"email": other, "roles": "relations_officer"}).status_code == 303
    [msg] = smtp_sink.wait_for(other)
    [token_id] = await invitation_ids(tenant)
    confirm = boss.get(f"/portal/staff/invitations/{token_id}/revoke")
    assert confirm.status_code == 200 and other in confirm.text
    assert boss.post(f"/portal/staff/invitations/{token_id}/revoke").status_code == 303
    assert server.client(tenant.slug).get(urlsplit(link_in(msg)).path).status_code == 404
    assert await invitation_ids(tenant) == []
    actions = [e["action"] for e in await audit_rows(tenant.id, "staff.invite")]
    assert actions == ["staff.invite", "staff.invite_resent", "staff.invite_accepted", "staff.invite",
                       "staff.invite_revoked"]


async def test_a_pending_tenants_invitations_are_held_until_an_operator_approves_it(
        server, celery_worker, smtp_sink, make_tenant, make_staff, operator_client):
    tenant = await make_tenant(status="pending")
    admin = await make_staff(tenant, "admin")
    boss = sign_in(server, admin, check_portal=True)
    stranger = f"{secrets.token_hex(4)}@victim.test"
    boss.get("/portal/staff/")
    response = boss.post("/portal/staff/invite", {"email": stranger, "roles": "relations_officer"})
    assert response.status_code == 303
    page = boss.get(response.headers["location"])
    assert "بعد اعتماد" in page.text  # the admin is told it waits for approval

    # The pending tenant's own admin still gets a password reset.
    forgot = server.client(tenant.slug)
    forgot.get("/password/forgot")
    forgot.post("/password/forgot", {"email": admin.email})
    smtp_sink.wait_for(admin.email)
    # Meanwhile the worker has seen the invitation and held it, and nothing reached the stranger.
    deadline = time.monotonic() + 20
    while True:
        rows = await outbox_rows(tenant.id, "staff.invite")
        if rows and rows[0]["held_reason"] == "tenant" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    time.sleep(3)
    assert smtp_sink.to(stranger) == []
    [row] = await outbox_rows(tenant.id, "staff.invite")
    assert (row["status"], row["held_reason"], row["attempts"]) == ("pending", "tenant", 0)

    # Approved: the held invitation goes out, once.
    assert operator_client.post(f"/operator/tenants/{tenant.id}/lifecycle/approve").status_code == 303
    smtp_sink.wait_for(stranger)
    time.sleep(2)
    assert len(smtp_sink.to(stranger)) == 1


async def test_invitations_are_rate_limited_per_admin_and_per_tenant(server, make_tenant, make_staff):
    from sila.platform.accounts.routes import INVITES_PER_ADMIN_PER_HOUR, INVITES_PER_TENANT_PER_DAY

    tenant = await make_tenant()
    admins = [await make_staff(tenant, "admin") for _ in range(3)]
    sent = 0

    def invite(client: Client) -> tuple[str, object]:
        address = f"{secrets.token_hex(4)}@many.test"
        return address, client.post("/portal/staff/invite", {"email": address, "roles": ["committee_member"]})

    first = sign_in(server, admins[0], check_portal=True)
    first.get("/portal/staff/")
    for _ in range(INVITES_PER_ADMIN_PER_HOUR):
        assert invite(first)[1].status_code == 303
        sent += 1
    address, response = invite(first)
    assert response.status_code == 429
    assert "أرسلت دعوات كثيرة" in response.text
    assert f'value="{address}"' in response.text  # the input is kept
    assert 'value="committee_member" checked' in response.text

    for admin in admins[1:]:
        client = sign_in(server, admin, check_portal=True)
        client.get("/portal/staff/")
        while sent < INVITES_PER_TENANT_PER_DAY:
            _, response = invite(client)
            if response.status_code == 429:
                break
            assert response.status_code == 303
            sent += 1
        if sent >= INVITES_PER_TENANT_PER_DAY:
            break
    assert sent == INVITES_PER_TENANT_PER_DAY
    third = sign_in(server, admins[2], check_portal=True)
    third.get("/portal/staff/")
    address, response = invite(third)
    assert response.status_code == 429 and "هذه البوابة" in response.text and f'value="{address}"' in response.text
    assert len(await outbox_rows(tenant.id, "staff.invite")) == INVITES_PER_TENANT_PER_DAY
