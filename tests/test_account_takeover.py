"""Sign-up and invitations as an attacker and a victim would go through them, end to end over
HTTP with the real email (outbox, Celery worker, SMTP sink): account pre-hijacking, the sign-up
account oracle, and an invitation to an address that already has an account."""
from __future__ import annotations

import os
import re
import secrets
from urllib.parse import urlsplit

import pytest
import redis

from sila.platform.tables import StaffUser
from support.clients import PASSWORD, signup_form
from support.mail import link_in

ATTACKER_PASSWORD = "Attacker-chose-this-1"
VICTIM_PASSWORD = "Victim-own-Passw0rd-9"


@pytest.fixture(autouse=True)
def forget_address_failures(sila_env):
    """These tests fail sign-ins on purpose; the per-address counter (127.0.0.1 for the whole
    suite) is cleared afterwards so later tests are not locked out by them."""
    yield
    client = redis.Redis.from_url(os.environ["SILA_REDIS_URL"])
    for key in client.scan_iter("sila:login:addr:*"):
        client.delete(key)


def start_signup(server, slug: str, email: str, password: str):
    platform = server.client()
    platform.get("/signup/organisation")
    assert platform.post("/signup/organisation", signup_form(slug)).status_code == 303
    platform.get("/signup/account")
    return platform, platform.post("/signup/account", {"name": "مدير", "email": email, "password": password,
                                                       "confirm": password})


def invite(server, admin, slug: str, address: str) -> None:
    client = server.client(slug)
    client.login(admin.email)
    client.get("/portal/staff")
    assert client.post("/portal/staff/invite", {"email": address, "roles": "relations_officer"}).status_code == 303


def login_status(server, slug: str, email: str, password: str) -> int:
    client = server.client(slug)
    client.get("/login")
    return client.post("/login", {"email": email, "password": password, "next": "/portal"}).status_code


async def test_a_sign_up_with_someone_elses_email_gives_the_attacker_nothing_in_the_victims_charity(
        server, celery_worker, smtp_sink, make_tenant, make_staff):
    basmat = await make_tenant(name_ar="جمعية بسمات")
    admin = await make_staff(basmat, "admin")
    victim = f"newofficer-{secrets.token_hex(3)}@basmat.test"

    # 1. The attacker registers a throwaway charity with the victim's address and their own password.
    throwaway = f"t{secrets.token_hex(4)}"
    _, answer = start_signup(server, throwaway, victim, ATTACKER_PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/signup/done"
    # No account exists: the confirmation went to the victim's inbox, not to the attacker.
    assert await StaffUser.select().where(StaffUser.email == victim).first() is None
    [confirmation] = smtp_sink.wait_for(victim)
    assert "/welcome/" in link_in(confirmation)
    assert login_status(server, throwaway, victim, ATTACKER_PASSWORD) == 400

    # 2. Basmat's admin invites that address; 3. the real person accepts and chooses a password.
    invite(server, admin, basmat.slug, victim)
    invitation = next(m for m in smtp_sink.wait_for(victim, 2) if "/invite/" in link_in(m))
    path = urlsplit(link_in(invitation)).path
    person = server.client(basmat.slug)
    page = person.get(path)
    assert page.status_code == 200 and 'name="confirm"' in page.text  # a new account: choose a password
    accepted = person.post(path, {"name": "الموظف الجديد", "password": VICTIM_PASSWORD, "confirm": VICTIM_PASSWORD})
    assert accepted.status_code == 303 and accepted.headers["location"] == "/portal"
    assert person.get("/portal").status_code == 200

    # 4. The attacker's password opens nothing of Basmat's; the victim's own does.
    assert login_status(server, basmat.slug, victim, ATTACKER_PASSWORD) == 400
    attacker = server.client(basmat.slug)
    assert attacker.get("/portal").status_code in (302, 303)
    assert login_status(server, basmat.slug, victim, VICTIM_PASSWORD) == 303
    # The victim's later click on the stale sign-up link asks for their own password, never the attacker's.
    stale = server.client(throwaway)
    stale_path = urlsplit(link_in(confirmation)).path
    assert stale.post(stale_path, {"password": ATTACKER_PASSWORD}).status_code == 400


async def test_sign_up_answers_the_same_whether_or_not_the_email_has_an_account(server, celery_worker, smtp_sink,
                                                                               make_tenant, make_staff):
    existing = await make_staff(await make_tenant(), "admin")
    fresh = f"{secrets.token_hex(4)}@nobody.test"
    answers = []
    for email in (existing.email, fresh):
        slug = f"o{secrets.token_hex(4)}"
        platform, answer = start_signup(server, slug, email, "Wrong-guess-123")
        done = platform.get("/signup/done")
        answers.append((answer.status_code, answer.headers.get("location"), done.status_code,
                        re.sub(r'value="[^"]*"', "", done.text.replace(email, "EMAIL").replace(slug, "SLUG"))))
    assert answers[0] == answers[1]
    # And guessing there is no password oracle: the account's password is never checked by sign-up.
    assert login_status(server, existing.tenant.slug, existing.email, PASSWORD) == 303


async def test_an_invitation_to_an_existing_account_needs_that_accounts_password(server, celery_worker, smtp_sink,
                                                                                 two_tenants, make_staff):
    a, b = two_tenants
    member = await make_staff(a.tenant, "relations_officer")  # has an account (and a password) at A
    b_admin = await make_staff(b.tenant, "admin")
    invite(server, b_admin, b.tenant.slug, member.email)
    path = urlsplit(link_in(smtp_sink.wait_for(member.email)[-1])).path
    client = server.client(b.tenant.slug)
    page = client.get(path)
    assert page.status_code == 200 and 'name="confirm"' not in page.text and 'name="password"' in page.text

    # The old form's "choose a password" is not silently accepted nor silently ignored.
    chosen = client.post(path, {"name": "x", "password": "Chosen-new-pass-1", "confirm": "Chosen-new-pass-1"})
    assert chosen.status_code == 400 and 'id="password-error"' in chosen.text
    assert client.get("/portal").status_code in (302, 303)
    # Wrong passwords count toward this host's sign-in lock-out (5 per account).
    for _ in range(4):
        assert client.post(path, {"password": "Not-the-password-2"}).status_code == 400
    assert client.post(path, {"password": PASSWORD}).status_code == 429
    assert login_status(server, b.tenant.slug, member.email, PASSWORD) == 429


async def test_an_invitation_to_an_existing_account_joins_after_signing_in(server, celery_worker, smtp_sink,
                                                                          two_tenants, make_staff):
    a, b = two_tenants
    member = await make_staff(a.tenant, "social_researcher")
    invite(server, await make_staff(b.tenant, "admin"), b.tenant.slug, member.email)
    path = urlsplit(link_in(smtp_sink.wait_for(member.email)[-1])).path
    client = server.client(b.tenant.slug)
    client.get(path)
    before = client.cookie("sila_session")
    joined = client.post(path, {"password": PASSWORD})
    assert joined.status_code == 303 and joined.headers["location"] == "/portal"
    assert client.cookie("sila_session") not in (None, before)  # a fresh session id
    assert client.get("/portal").status_code == 200
    assert login_status(server, a.tenant.slug, member.email, PASSWORD) == 303  # password unchanged
