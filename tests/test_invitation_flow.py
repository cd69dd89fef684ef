"""The first real messages, end to end: a web request writes the token and its email in one
transaction; the outbox, the relay or fast path and a real Celery worker carry it to a real SMTP
server, once; the link in it works, once."""
from __future__ import annotations

import datetime as dt
import secrets
import time
from urllib.parse import urlsplit

from sila.platform.db import tenant_scope
from sila.platform.tables import AuthToken
from support.clients import Client
from support.mail import link_in

NEW_PASSWORD = "Another-Passw0rd-42"


def english(client: Client) -> Client:
    client.http.cookies.set("sila_lang", "en")
    return client


def open_link(server, slug: str, link: str) -> tuple[Client, str]:
    parts = urlsplit(link)
    assert parts.netloc == server.host(slug), "the link points at the tenant's own portal"
    return english(server.client(slug)), parts.path


def invite(server, admin, slug: str, address: str) -> None:
    client = english(server.client(slug))
    client.login(admin.email)
    client.get("/portal/staff")
    response = client.post("/portal/staff/invite", {"email": address, "roles": "social_researcher"})
    assert response.status_code == 303, response.text[-2000:]


async def test_an_invitation_arrives_once_and_its_link_works_once(server, celery_worker, smtp_sink, make_tenant,
                                                                 make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    invitee = f"{secrets.token_hex(4)}@colleague.test"
    invite(server, admin, tenant.slug, invitee)

    [msg] = smtp_sink.wait_for(invitee)
    time.sleep(3)  # any second hand-over of the same row has run by now
    assert len(smtp_sink.to(invitee)) == 1
    async with tenant_scope(tenant.id) as tx:
        row = await tx.connection.fetchrow("select * from outbox where recipient = $1", invitee)
        attempts = await tx.connection.fetch("select ok from delivery_attempt where outbox = $1", row["id"])
    assert (row["status"], row["kind"], row["attempts"]) == ("sent", "staff.invite", 1)
    assert [a["ok"] for a in attempts] == [True]
    assert msg["Message-ID"] == f"<{row['id']}@sila>"

    client, path = open_link(server, tenant.slug, link_in(msg))
    form = client.get(path)
    assert form.status_code == 200 and 'name="password"' in form.text
    accepted = client.post(path, {"name": "زميلة جديدة", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 303 and accepted.headers["location"] == "/portal"
    assert client.get("/portal").status_code == 200  # signed in as the new colleague

    again = english(server.client(tenant.slug)).get(path)
    assert again.status_code == 410 and "already been used" in again.text
    # The new colleague can sign in with the password they chose.
    english(server.client(tenant.slug)).login(invitee, NEW_PASSWORD)


async def test_an_expired_invitation_link_says_so(server, celery_worker, smtp_sink, make_tenant, make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    invitee = f"{secrets.token_hex(4)}@late.test"
    invite(server, admin, tenant.slug, invitee)
    [msg] = smtp_sink.wait_for(invitee)
    async with tenant_scope(tenant.id):
        await AuthToken.update({AuthToken.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)}).where(
            AuthToken.email == invitee)
    client, path = open_link(server, tenant.slug, link_in(msg))
    page = client.get(path)
    assert page.status_code == 410 and "expired" in page.text
    refused = client.post(path, {"name": "x", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert refused.status_code == 410


async def test_a_password_reset_by_email_replaces_the_old_password(server, celery_worker, smtp_sink, make_tenant,
                                                                  make_staff):
    tenant = await make_tenant()
    staff = await make_staff(tenant, "relations_officer")
    client = english(server.client(tenant.slug))
    client.get("/password/forgot")
    sent = client.post("/password/forgot", {"email": staff.email})
    assert sent.status_code == 200 and "on its way" in sent.text

    [msg] = smtp_sink.wait_for(staff.email)
    time.sleep(3)
    assert len(smtp_sink.to(staff.email)) == 1
    browser, path = open_link(server, tenant.slug, link_in(msg))
    assert browser.get(path).status_code == 200
    reset = browser.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 303 and reset.headers["location"] == "/portal"

    old = english(server.client(tenant.slug))
    old.get("/login")
    refused = old.post("/login", {"email": staff.email, "password": staff.password, "next": "/portal"})
    assert refused.status_code == 400
    english(server.client(tenant.slug)).login(staff.email, NEW_PASSWORD)
    assert english(server.client(tenant.slug)).get(path).status_code == 410  # the link worked once
