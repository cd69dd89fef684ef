"""The sign-up wizard through HTTP: validation with input kept, resuming, the pending state,
the hand-over to the tenant's host, the auto-approval setting and the organisation profile."""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from sila.platform import directory
from sila.platform.tables import StaffUser
from sila.tenants.policy import services
from support.clients import PASSWORD, sign_up, signup_form
from support.data import PDF_BYTES, png_bytes
from support.mail import link_in
from support.servers import Env, start_server


def slug() -> str:
    return f"c{secrets.token_hex(4)}"


async def test_wizard_validates_keeps_input_resumes_and_creates_a_pending_tenant(server, make_tenant, smtp_sink,
                                                                                celery_worker):
    existing = await make_tenant()
    platform = server.client()
    assert platform.get("/signup").headers["location"] == "/signup/organisation"
    page = platform.get("/signup/organisation")
    assert page.status_code == 200 and 'dir="rtl"' in page.text

    # Bad input: every message beside its field, in Arabic, and what was typed kept.
    bad = platform.post("/signup/organisation", signup_form("admin", name_ar="", licence_number="12a", city=""))
    assert bad.status_code == 400
    assert "هذا العنوان محجوز" in bad.text
    assert 'id="name_ar-error"' in bad.text and 'id="licence_number-error"' in bad.text and 'id="city-error"' in bad.text
    assert 'value="Al Noor Charity"' in bad.text and 'value="12a"' in bad.text
    taken = platform.post("/signup/organisation", signup_form(existing.slug))
    assert taken.status_code == 400 and "هذا العنوان مستخدم" in taken.text
    invalid = platform.post("/signup/organisation", signup_form("Bad_Slug"))
    assert invalid.status_code == 400 and 'id="slug-error"' in invalid.text

    new = slug()
    assert platform.post("/signup/organisation", signup_form(new)).headers["location"] == "/signup/account"
    # Leaving and coming back resumes at the account step, with the organisation kept.
    assert platform.get("/signup").headers["location"] == "/signup/account"
    assert f'value="{new}"' in platform.get("/signup/organisation").text

    platform.get("/signup/account")
    email = f"{secrets.token_hex(4)}@charity.test"
    weak = platform.post("/signup/account", {"name": "سارة", "email": email, "password": "short", "confirm": "other"})
    assert weak.status_code == 400
    assert f'value="{email}"' in weak.text and 'value="short"' not in weak.text
    assert 'id="password-error"' in weak.text and 'id="confirm-error"' in weak.text

    done = platform.post("/signup/account", {"name": "سارة", "email": email, "password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/signup/done"
    sent = platform.get("/signup/done")
    assert "تحقق من بريدك" in sent.text and email in sent.text

    tenant = await directory.get_tenant_by_slug(new)
    assert tenant.status == "pending" and tenant.name_en == "Al Noor Charity"
    profile = await services.get_profile(tenant.id)
    # The registration number as printed: its own digits are kept.
    assert profile["licence_number"] == "١٢٣٤" and profile["regulator"] == "ncnp" and profile["region"] == "riyadh"
    # No account until the address is proven: the password typed opens nothing yet.
    assert await StaffUser.select().where(StaffUser.email == email).first() is None
    portal = server.client(new)
    portal.get("/login")
    assert portal.post("/login", {"email": email, "password": PASSWORD}).status_code == 400

    # The emailed link, on the charity's own host: confirm, and land on the checklist signed in.
    target = urlsplit(link_in(smtp_sink.wait_for(email)[0]))
    assert target.hostname == f"{new}.localhost" and target.path.startswith("/welcome/")
    page = portal.get(target.path)
    assert page.status_code == 200 and 'name="password"' not in page.text
    assert portal.post(target.path, {}).headers["location"] == "/portal/setup"
    setup = portal.get("/portal/setup")
    assert setup.status_code == 200
    assert "بانتظار موافقة المنصة" in setup.text  # why the public pages are not live
    # The link works once.
    assert server.client(new).get(target.path).status_code == 404
    # The platform host remembers the registration.
    assert platform.get("/signup").headers["location"] == "/signup/done"
    assert "جمعية النور الخيرية" in platform.get("/signup/done").text

    # Public pages of a pending tenant say they are not live yet.
    public = server.client(new).get("/policy")
    assert public.status_code == 200 and "لم تُفعَّل بعد" in public.text
    assert server.client(new).get("/policy/pdf").status_code == 404

    # Resuming on another device: sign in, and the checklist knows what is done.
    other = server.client(new)
    other.login(email)
    checklist = other.get("/portal/setup").text
    assert "الترويسة وبيانات التواصل" in checklist and "/portal/profile" in checklist


async def test_slug_check_answers_as_the_visitor_types(server, make_tenant):
    existing = await make_tenant()
    platform = server.client()
    assert "محجوز" in platform.get("/signup/slug", params={"slug": "admin"}).text
    assert "مستخدم" in platform.get("/signup/slug", params={"slug": existing.slug}).text
    free = slug()
    assert f"{free}.localhost" in platform.get("/signup/slug", params={"slug": free}).text
    # Only on the platform's own host.
    assert server.client(existing.slug).get("/signup/organisation").status_code == 404


async def test_an_existing_staff_account_joins_only_with_its_own_password(server, two_tenants, smtp_sink,
                                                                         celery_worker):
    a, _ = two_tenants
    platform = server.client()
    platform.get("/signup/organisation")
    new = slug()
    platform.post("/signup/organisation", signup_form(new))
    platform.get("/signup/account")
    # The answer does not tell whether the address has an account, and checks no password.
    answer = platform.post("/signup/account", {"name": "x", "email": a.email, "password": "Another-passw0rd",
                                               "confirm": "Another-passw0rd"})
    assert answer.status_code == 303 and answer.headers["location"] == "/signup/done"
    link = urlsplit(link_in(smtp_sink.wait_for(a.email)[-1])).path
    client = server.client(new)
    page = client.get(link)
    assert page.status_code == 200 and "يوجد حساب بهذا البريد" in page.text and 'name="password"' in page.text
    # The password typed at sign-up is not this account's: refused, and counted like a failed sign-in.
    wrong = client.post(link, {"password": "Another-passw0rd"})
    assert wrong.status_code == 400 and 'id="password-error"' in wrong.text
    assert client.get("/portal/policy").status_code in (302, 303, 401)
    right = client.post(link, {"password": PASSWORD})
    assert right.status_code == 303 and right.headers["location"] == "/portal/setup"
    assert client.get("/portal/policy").status_code == 200
    other = server.client(new)
    other.login(a.email)  # the account's own password, unchanged


async def test_auto_approval_setting_activates_new_tenants(sila_env, smtp_sink, celery_worker):
    env = Env({**sila_env.values, "SILA_AUTO_APPROVE_TENANTS": "true"}, sila_env.web_port)
    srv = start_server(env, name="web-autoapprove")
    try:
        new = slug()
        sign_up(srv, new, mail=smtp_sink)
        assert (await directory.get_tenant_by_slug(new)).status == "active"
    finally:
        srv.process.stop()


async def test_profile_keeps_input_on_errors_and_stores_logo_and_contacts(server, smtp_sink, celery_worker):
    new = slug()
    client, _ = sign_up(server, new, mail=smtp_sink)
    page = client.get("/portal/profile")
    assert page.status_code == 200 and 'value="جمعية النور الخيرية"' in page.text
    form = {**signup_form(new), "website": "noor.org.sa", "phone": "٠١١٢٣٤٥٦٧٨", "email": "info@noor.org.sa",
            "social_links": "https://x.com/noor\nfacebook.com/noor.charity", "action": "save"}
    form.pop("slug")
    form.pop("kind")
    # Not an image, with a .png name: refused beside the field, the rest kept.
    bad = client.post("/portal/profile", {**form, "phone": "12"}, files={"logo": ("logo.png", PDF_BYTES, "image/png")})
    assert bad.status_code == 400
    assert 'id="logo-error"' in bad.text and 'id="phone-error"' in bad.text
    assert 'value="noor.org.sa"' in bad.text or 'value="https://noor.org.sa"' in bad.text
    huge = client.post("/portal/profile", form, files={"logo": ("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024 + 1),
                                                               "image/png")})
    assert huge.status_code == 400 and "أكبر من ١ ميغابايت" in huge.text

    ok = client.post("/portal/profile", form, files={"logo": ("logo.png", png_bytes(), "image/png")})
    assert ok.status_code == 303, ok.text[-2000:]
    tenant = await directory.get_tenant_by_slug(new)
    profile = await services.get_profile(tenant.id)
    assert profile["website"] == "https://noor.org.sa" and profile["phone"] == "+966112345678"
    assert profile["social"] == {"links": [{"network": "x", "url": "https://x.com/noor"},
                                           {"network": "facebook", "url": "https://facebook.com/noor.charity"}]}
    assert profile["logo"] is not None
    assert "profile" in profile["setup_done"]
    logo = client.get(f"/portal/documents/{profile['logo']}")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"
    assert logo.headers["x-content-type-options"] == "nosniff"
    # Saving again without a new file keeps the logo.
    assert client.post("/portal/profile", form).status_code == 303
    assert (await services.get_profile(tenant.id))["logo"] == profile["logo"]


def _start_signup(server, address: str, email: str):
    platform = server.client()
    platform.get("/signup/organisation")
    assert platform.post("/signup/organisation", signup_form(address)).status_code == 303
    platform.get("/signup/account")
    done = platform.post("/signup/account", {"name": "مديرة", "email": email, "password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/signup/done"
    return platform


async def _signup_links(tenant_id) -> list[str]:
    from support.data import outbox_rows

    return [urlsplit(re.search(r"https?://\S+", row["body_text"]).group(0)).path for row in await outbox_rows(tenant_id, "platform.signup_confirm")]


async def test_an_unconfirmed_signup_can_resend_its_link_and_its_address_is_released_when_it_lapses(server):
    """The check-your-email page sends a fresh link (the old one stops working), a few an hour;
    a sign-up nobody confirmed within its link's life frees its address for the next one, which
    deletes it (in the operator audit); a confirmed or staffed tenant's address is never freed."""
    from sila.platform.db import platform_scope, tenant_scope

    address, email = slug(), f"{secrets.token_hex(4)}@charity.test"
    first = _start_signup(server, address, email)
    page = first.get("/signup/done")
    assert page.status_code == 200 and 'action="/signup/resend"' in page.text and "يومين" in page.text
    tenant = await directory.get_tenant_by_slug(address)
    [old_link] = await _signup_links(tenant.id)
    resent = first.post("/signup/resend", {})
    assert resent.status_code == 303 and resent.headers["location"] == "/signup/done?resent=sent"
    assert "الرابط السابق لم يعد يعمل" in first.get(resent.headers["location"]).text
    links = await _signup_links(tenant.id)
    assert len(links) == 2 and links[0] == old_link and links[1] != old_link
    host = server.client(address)
    assert host.get(old_link).status_code == 404 and host.get(links[1]).status_code == 200
    for _ in range(2):
        assert first.post("/signup/resend", {}).status_code == 303
    assert first.post("/signup/resend", {}).status_code == 429  # at most three an hour per sign-up
    assert len(await _signup_links(tenant.id)) == 4

    # Someone else wants the address: taken while the link works ...
    second = server.client()
    assert "مستخدم" in second.get("/signup/slug", params={"slug": address}).text
    # ... free once it lapsed unconfirmed; registering takes it over and the old sign-up is gone.
    async with platform_scope("test: the sign-up lapses") as tx:
        await tx.connection.execute("update tenant set created_at = now() - interval '3 days' where id = $1", tenant.id)
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update auth_token set expires_at = now() - interval '1 hour' where tenant = $1",
                                    tenant.id)
    assert f"{address}.localhost" in second.get("/signup/slug", params={"slug": address}).text
    _start_signup(server, address, f"{secrets.token_hex(4)}@other.test")
    taken_over = await directory.get_tenant_by_slug(address)
    assert taken_over.id != tenant.id
    async with platform_scope("test: read the operator audit") as tx:
        released = await tx.connection.fetch(
            "select subject_label from operator_audit where action = 'tenant.signup_released' and subject_tenant = $1",
            tenant.id)
        assert [r["subject_label"] for r in released] == [address]
        assert await tx.connection.fetchval("select count(*) from auth_token where tenant = $1", tenant.id) == 0
    # The first visitor's page now starts again instead of mailing a link to someone else's charity.
    again = first.post("/signup/resend", {})
    assert again.status_code in (303, 429)


async def test_a_staffed_tenants_address_is_never_released(server, make_tenant):
    from sila.tenants.onboarding import services as onboarding

    tenant = await make_tenant()
    assert await onboarding.slug_taken(tenant.slug) and not await onboarding.release_unconfirmed(tenant.slug)
    assert await directory.get_tenant_by_slug(tenant.slug) is not None
