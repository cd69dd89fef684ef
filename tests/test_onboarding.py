"""The sign-up wizard through HTTP: validation with input kept, resuming, the pending state,
the hand-over to the tenant's host, the auto-approval setting and the organisation profile."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from conftest import PASSWORD, PDF_BYTES, Env, png_bytes, sign_up, signup_form, start_server
from sila.platform import directory
from sila.tenants.policy import services


def slug() -> str:
    return f"c{secrets.token_hex(4)}"


async def test_wizard_validates_keeps_input_resumes_and_creates_a_pending_tenant(server, make_tenant):
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
    assert done.status_code == 303
    target = urlsplit(done.headers["location"])
    assert target.hostname == f"{new}.localhost" and target.path.startswith("/welcome/")

    tenant = await directory.get_tenant_by_slug(new)
    assert tenant.status == "pending" and tenant.name_en == "Al Noor Charity"
    profile = await services.get_profile(tenant.id)
    assert profile["licence_number"] == "1234" and profile["regulator"] == "ncnp" and profile["region"] == "riyadh"

    portal = server.client(new)
    assert portal.get(target.path).headers["location"] == "/portal/setup"
    setup = portal.get("/portal/setup")
    assert setup.status_code == 200
    assert "بانتظار موافقة المنصة" in setup.text  # why the public pages are not live
    # The hand-over link works once.
    assert server.client(new).get(target.path).status_code == 404
    # The platform host remembers the registration and points to the portal.
    assert platform.get("/signup").headers["location"] == "/signup/done"
    assert new in platform.get("/signup/done").text

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


async def test_an_existing_staff_account_joins_only_with_its_own_password(server, two_tenants):
    a, _ = two_tenants
    platform = server.client()
    platform.get("/signup/organisation")
    new = slug()
    platform.post("/signup/organisation", signup_form(new))
    platform.get("/signup/account")
    wrong = platform.post("/signup/account", {"name": "x", "email": a.email, "password": "Another-passw0rd",
                                              "confirm": "Another-passw0rd"})
    assert wrong.status_code == 400 and "يوجد حساب بهذا البريد" in wrong.text
    assert await directory.get_tenant_by_slug(new) is None  # nothing half-made
    right = platform.post("/signup/account", {"name": "x", "email": a.email, "password": PASSWORD, "confirm": PASSWORD})
    assert right.status_code == 303
    client = server.client(new)
    client.login(a.email)
    assert client.get("/portal/policy").status_code == 200


async def test_auto_approval_setting_activates_new_tenants(sila_env):
    env = Env({**sila_env.values, "SILA_AUTO_APPROVE_TENANTS": "true"}, sila_env.web_port)
    srv = start_server(env, name="web-autoapprove")
    try:
        new = slug()
        sign_up(srv, new)
        assert (await directory.get_tenant_by_slug(new)).status == "active"
    finally:
        srv.process.stop()


async def test_profile_keeps_input_on_errors_and_stores_logo_and_contacts(server):
    new = slug()
    client, _ = sign_up(server, new)
    page = client.get("/portal/profile")
    assert page.status_code == 200 and 'value="جمعية النور الخيرية"' in page.text
    form = {**signup_form(new), "website": "noor.org.sa", "phone": "٠١١٢٣٤٥٦٧٨", "email": "info@noor.org.sa",
            "social_x": "@noor", "action": "save"}
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
    assert profile["social"] == {"x": "@noor"} and profile["logo"] is not None
    assert "profile" in profile["setup_done"]
    logo = client.get(f"/portal/documents/{profile['logo']}")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"
    assert logo.headers["x-content-type-options"] == "nosniff"
    # Saving again without a new file keeps the logo.
    assert client.post("/portal/profile", form).status_code == 303
    assert (await services.get_profile(tenant.id))["logo"] == profile["logo"]
