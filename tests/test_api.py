"""The JSON API (issue 18): keys per tenant (shown once, stored as a keyed hash, revocable, last
use shown, scoped, rate-limited, audited), /api/v1 in the key's tenant scope, problem+json errors,
cursor pages, ETags, writes by the online form's own rules with Idempotency-Key, the OpenAPI
document and its page from local files. Real uvicorn, PostgreSQL and Redis."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest

from sila.platform.db import tenant_scope
from support import data
from support.clients import sign_in
from support.db import owner_connection
from support.api import KEY_RE, api, applicant_body, make_key
from support.servers import Server, run_async, start_server

@pytest.fixture(scope="module")
def world(server: Server) -> dict[str, Any]:
    async def make() -> dict[str, Any]:
        a, b = await data.create_tenant(), await data.create_tenant()
        pa = await data.publish_seed_policy(a, steps=data.SERVICE_STEPS, channels=["website", "phone"], window=None)
        await data.publish_seed_policy(b, steps=data.SERVICE_STEPS, channels=["website", "phone"], window=None)
        admin_a, admin_b = await data.create_staff(a, "admin"), await data.create_staff(b, "admin")
        officer = await data.create_staff(a, "relations_officer")
        served = await data.served_request(a, officer)
        await data.served_request(b, await data.create_staff(b, "relations_officer"), name="عبدالله ناصر الدوسري")
        return {"a": a, "b": b, "admin_a": admin_a, "admin_b": admin_b, "served": served, "policy_a": pa}

    w = run_async(make())
    w["client_a"] = sign_in(server, w["admin_a"], w["a"].slug)
    w["client_b"] = sign_in(server, w["admin_b"], w["b"].slug)
    w["key_a"] = make_key(w["client_a"])
    w["key_b"] = make_key(w["client_b"])
    return w


def test_the_key_is_shown_once_kept_only_as_a_keyed_hash_and_revocable(server: Server, world: dict[str, Any]) -> None:
    admin = world["client_a"]
    key = make_key(admin, ["requests:read"], name="مؤقت")
    listing = admin.get("/portal/api-keys")
    assert key not in listing.text and key[:12] in listing.text
    assert "مؤقت" in listing.text

    async def stored() -> list[dict[str, Any]]:
        conn = await owner_connection(server_owner_url())
        try:
            return [dict(r) for r in await conn.fetch("select * from api_key where prefix = $1", key[:12])]
        finally:
            await conn.close()

    rows = run_async(stored())
    assert len(rows) == 1 and key not in repr(rows) and rows[0]["last_used_at"] is None
    assert api(server, world["a"].slug, key).get("/api/v1/requests").status_code == 200
    assert run_async(stored())[0]["last_used_at"] is not None
    listing = admin.get("/portal/api-keys")
    assert "127.0.0.1" in listing.text  # last use, and from where
    admin.post(f"/portal/api-keys/{rows[0]['id']}/revoke", {})
    answer = api(server, world["a"].slug, key).get("/api/v1/requests")
    assert answer.status_code == 401 and answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["www-authenticate"] == "Bearer"


def server_owner_url() -> str:
    import os

    return os.environ["SILA_DATABASE_URL"]


def test_a_key_works_only_on_its_own_tenants_host(server: Server, world: dict[str, Any]) -> None:
    for path in ("/api/v1/requests", "/api/v1/beneficiaries", "/api/v1/services", "/api/v1/complaints",
                 f"/api/v1/requests/{world['served']['id']}"):
        on_b = api(server, world["b"].slug, world["key_a"]).get(path)
        assert on_b.status_code == 401, (path, on_b.status_code)
        assert on_b.json()["status"] == 401 and "مريم" not in on_b.text
        on_platform = api(server, None, world["key_a"]).get(path)
        assert on_platform.status_code == 404 and on_platform.headers["content-type"].startswith(
            "application/problem+json")
    # B's own key on B's host does not see A's request either.
    theirs = api(server, world["b"].slug, world["key_b"]).get(f"/api/v1/requests/{world['served']['id']}")
    assert theirs.status_code == 404 and theirs.json()["type"].endswith("not-found")
    listed = api(server, world["b"].slug, world["key_b"]).get("/api/v1/requests").json()["items"]
    assert str(world["served"]["id"]) not in {i["id"] for i in listed} and len(listed) == 1


def test_no_key_a_forged_key_or_a_missing_scope_is_refused_in_json(server: Server, world: dict[str, Any]) -> None:
    slug = world["a"].slug
    for headers in ({}, {"Authorization": "Bearer sila_" + "x" * 43}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer " + world["key_a"][:-1]}):
        r = api(server, slug, **headers).get("/api/v1/requests")
        assert r.status_code == 401 and r.json()["title"] == "Unauthorized"
    narrow = make_key(world["client_a"], ["requests:read"], name="قراءة فقط")
    r = api(server, slug, narrow).get("/api/v1/beneficiaries")
    assert r.status_code == 403 and "beneficiaries:read" in r.json()["detail"]
    r = api(server, slug, narrow).post("/api/v1/requests", json=applicant_body())
    assert r.status_code == 403
    # Errors the router never reaches are JSON too.
    assert api(server, slug, narrow).get("/api/v1/nothing-here").headers["content-type"].startswith(
        "application/problem+json")
    r = api(server, slug, narrow).delete("/api/v1/requests")
    assert r.status_code == 405 and r.json()["status"] == 405


def test_lists_page_by_cursor_filter_by_stage_and_day_and_details_carry_an_etag(
        server: Server, world: dict[str, Any]) -> None:
    slug, key = world["a"].slug, world["key_a"]

    async def more() -> None:
        officer = await data.create_staff(world["a"], "relations_officer")
        for i in range(4):
            await data.served_request(world["a"], officer, name=f"مستفيد رقم {i}")

    run_async(more())
    http = api(server, slug, key)
    seen: list[str] = []
    cursor = None
    while True:
        page = http.get("/api/v1/requests", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen.extend(i["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 5
    times = [i["submitted_at"] for i in http.get("/api/v1/requests", params={"limit": 200}).json()["items"]]
    assert times == sorted(times)
    assert http.get("/api/v1/requests", params={"stage": "verify"}).json()["items"] == []
    # Days at the ends of the calendar filter like the nearest sane day (they were a 500: the
    # first day in Riyadh is before year 1 in UTC, and 9999-12-31 has no next day).
    for path, first, last in (("/api/v1/requests", "submitted_from", "submitted_to"),
                              ("/api/v1/decisions", "decided_from", None), ("/api/v1/services", "delivered_from",
                                                                            "delivered_to"),
                              ("/api/v1/survey-responses", "submitted_from", None),
                              ("/api/v1/complaints", "received_from", None)):
        wide = http.get(path, params={first: "0001-01-01", **({last: "9999-12-31"} if last else {})})
        assert wide.status_code == 200, (path, wide.text)
        assert http.get(path, params={first: "9999-12-31"}).json()["items"] == []
    delivered = http.get("/api/v1/requests", params={"stage": "deliver"}).json()["items"]
    assert len(delivered) == len(seen)
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert http.get("/api/v1/requests", params={"submitted_from": tomorrow}).json()["items"] == []
    assert http.get("/api/v1/requests", params={"stage": "nonsense"}).status_code == 400
    assert http.get("/api/v1/requests", params={"cursor": "garbage!"}).json()["type"].endswith("bad-cursor")
    assert http.get("/api/v1/requests", params={"limit": 100000}).status_code == 400

    detail = http.get(f"/api/v1/requests/{world['served']['id']}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["history"][0]["action"] == "request.submitted"
    assert [h["stage_to"] for h in body["history"] if h["stage_to"] != h["stage_from"]] == ["verify", "deliver"]
    assert body["services"][0]["service_type"] == "سلة غذائية"
    again = http.get(f"/api/v1/requests/{world['served']['id']}", headers={"If-None-Match": detail.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert http.get(f"/api/v1/requests/{uuid.uuid4()}").status_code == 404
    assert http.get("/api/v1/requests/not-a-uuid").status_code == 404
    services = http.get("/api/v1/services").json()["items"]
    assert {s["request_id"] for s in services} >= {str(world["served"]["id"])}


def test_beneficiary_ids_are_masked_and_a_reveal_needs_its_scope_and_is_audited(
        server: Server, world: dict[str, Any]) -> None:
    slug = world["a"].slug
    bid = world["served"]["beneficiary"]
    reader = make_key(world["client_a"], ["beneficiaries:read"], name="قارئ")
    listed = api(server, slug, reader).get("/api/v1/beneficiaries").json()["items"]
    assert listed and all(b["id_number"] is None and b["id_masked"] for b in listed)
    assert api(server, slug, reader).get(f"/api/v1/beneficiaries/{bid}", params={"reveal": "true"}).status_code == 403
    shown = api(server, slug, world["key_a"]).get(f"/api/v1/beneficiaries/{bid}", params={"reveal": "true"}).json()
    assert re.fullmatch(r"[12]\d{9}", shown["id_number"])
    reveals = run_async(data.audit_rows(world["a"].id, "beneficiary.id_revealed"))
    assert reveals and reveals[-1]["actor_label"] == "API: نظام الاستقبال"
    calls = run_async(data.audit_rows(world["a"].id, "api.call"))
    assert any(c["after"]["path"] == f"/api/v1/beneficiaries/{bid}" for c in calls)


def test_a_request_from_another_system_meets_the_online_forms_rules_once(server: Server, world: dict[str, Any]) -> None:
    http = api(server, world["a"].slug, world["key_a"], **{"Accept-Language": "en"})
    version = world["policy_a"].number if hasattr(world["policy_a"], "number") else 1
    bad = applicant_body(version=version)
    bad["applicant"]["id_number"] = "1234567890"
    bad.update(consent=False, signature="someone else")
    r = http.post("/api/v1/requests", json=bad)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert {"id_number", "consent", "signature"} <= set(errors), errors
    assert "ID" in " ".join(errors["id_number"])  # English, as asked
    nul = applicant_body(version=version, need="x\x00y")
    assert set(http.post("/api/v1/requests", json=nul).json()["errors"]) == {"need"}
    assert http.post("/api/v1/requests", json=applicant_body(version=version + 7)).json()["errors"].keys() == {
        "policy_version"}
    assert http.post("/api/v1/requests", content=b"{not json", headers={"content-type": "application/json"}
                     ).status_code == 400
    from sila.tenants.api.v1 import FILES_BODY  # room for the form's files, in base64, and no more

    assert http.post("/api/v1/requests", content=b"x" * (FILES_BODY + 1),
                     headers={"content-type": "application/json"}).status_code == 413

    good = applicant_body(version=version)
    first = http.post("/api/v1/requests", json=good, headers={"Idempotency-Key": "intake-42"})
    assert first.status_code == 201, first.text
    made = first.json()
    assert made["reference"] and not made["duplicate"] and first.headers["location"].endswith(made["id"])
    again = http.post("/api/v1/requests", json=good, headers={"Idempotency-Key": "intake-42"})
    assert again.status_code == 201 and again.json() == made and again.headers["idempotent-replayed"] == "true"
    other = http.post("/api/v1/requests", json=applicant_body(version=version, need="شيء آخر"),
                      headers={"Idempotency-Key": "intake-42"})
    assert other.status_code == 422 and other.json()["type"].endswith("idempotency-key-reused")

    async def facts() -> tuple[int, int, int]:
        async with tenant_scope(world["a"].id) as tx:
            c = tx.connection
            n = await c.fetchval("select count(*) from support_request where id = $1", uuid.UUID(made["id"]))
            att = await c.fetchval("select count(*) from request_attestation where request = $1", uuid.UUID(made["id"]))
            consent = await c.fetchval(
                """select count(*) from beneficiary_consent k join support_request r on r.beneficiary = k.beneficiary
                   where r.id = $1""", uuid.UUID(made["id"]))
        return n, att, consent

    assert run_async(facts()) == (1, 1, 1)  # one request, its e-signature, the applicant's consent
    assert http.get(f"/api/v1/requests/{made['id']}").json()["history"][0]["action"] == "request.submitted"


def test_a_service_is_recorded_on_a_request_at_the_delivery_stage(server: Server, world: dict[str, Any]) -> None:
    http = api(server, world["a"].slug, world["key_a"])
    rid = world["served"]["id"]
    r = http.post(f"/api/v1/requests/{rid}/services", json={"service_type": "كسوة العيد", "amount": "250.50",
                                                           "delivered_on": dt.date.today().isoformat()},
                  headers={"Idempotency-Key": "svc-1"})
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == "250.50"
    assert http.post(f"/api/v1/requests/{rid}/services", json={"service_type": "كسوة العيد", "amount": "250.50",
                                                              "delivered_on": dt.date.today().isoformat()},
                     headers={"Idempotency-Key": "svc-1"}).json()["id"] == r.json()["id"]
    assert http.post(f"/api/v1/requests/{rid}/services", json={"service_type": ""}).status_code == 422
    assert http.post(f"/api/v1/requests/{rid}/services", json={"service_type": "x", "amount": "-4"}
                     ).json()["errors"].keys() == {"amount"}
    assert http.post(f"/api/v1/requests/{uuid.uuid4()}/services", json={"service_type": "x"}).status_code == 404
    b_request = api(server, world["b"].slug, world["key_b"]).get("/api/v1/requests").json()["items"][0]["id"]
    assert http.post(f"/api/v1/requests/{b_request}/services", json={"service_type": "x"}).status_code == 404


def test_the_public_policy_needs_no_key_and_the_docs_use_local_files_only(server: Server, world: dict[str, Any]) -> None:
    anon = api(server, world["a"].slug)
    policy = anon.get("/api/v1/policy")
    assert policy.status_code == 200 and policy.json()["online_requests_open"] is True
    assert anon.get("/api/v1/policy", headers={"If-None-Match": policy.headers["etag"]}).status_code == 304
    page = anon.get("/api/v1/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    for s in sources:
        assert anon.get(s).status_code == 200
    spec = anon.get("/api/v1/docs/openapi.json").json()
    assert set(spec["paths"]) >= {"/api/v1/requests", "/api/v1/requests/{request_id}", "/api/v1/policy"}
    assert not any(p.startswith("/portal") for p in spec["paths"])
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path != "/api/v1/policy":
                assert op["security"] == [{"bearer": []}] and "401" in op["responses"], (method, path)


def test_each_key_is_rate_limited(world: dict[str, Any], sila_env: Any) -> None:
    limited = start_server(sila_env, name="web-api-limit", SILA_API_RATE_LIMIT="3")
    try:
        http = api(limited, world["a"].slug, make_key(world["client_a"], ["requests:read"], name="محدود"))
        codes = [http.get("/api/v1/requests", params={"limit": 1}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429], codes
        assert http.get("/api/v1/requests").headers["retry-after"] == "60"
        # Another key of the same tenant has its own count.
        other = api(limited, world["b"].slug, make_key(world["client_b"], ["requests:read"], name="آخر"))
        assert other.get("/api/v1/requests").status_code == 200
    finally:
        limited.process.stop()


def test_key_form_refuses_hostile_input_in_the_users_language_and_keeps_it(server: Server, world: dict[str, Any]) -> None:
    admin = world["client_a"]
    r = admin.post("/portal/api-keys", {"name": "نظام\x00", "scopes": ["requests:read", "owner:all"],
                                        "expires_on": "2020-01-01"})
    assert r.status_code == 400 and not KEY_RE.search(r.text)
    assert "غير مسموح" in r.text
    r = admin.post("/portal/api-keys", {"name": "نظام قديم", "scopes": ["requests:read"], "expires_on": "2020-01-01"})
    assert r.status_code == 400 and "نظام قديم" in r.text and not KEY_RE.search(r.text)
    r = admin.post("/portal/api-keys", {"name": "", "scopes": []})
    assert r.status_code == 400
    r = admin.post("/portal/api-keys", {"name": "ملف"}, files={"name": ("a.txt", b"x")})
    assert r.status_code == 400


def test_the_app_declares_parameters_and_bodies_as_litestar_3_reads_them(app_db: Any) -> None:
    """Path parameters as `FromPath[...]` and JSON bodies as `JSONBody[...]`: Litestar 2 warns at
    start-up about the inferred styles it will stop reading in 3.0 (api/v1.py had five)."""
    import warnings

    from litestar.utils.deprecation import LitestarDeprecationWarning

    from sila.platform.app import create_app
    from sila.platform.settings import get_settings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_app(get_settings()).openapi_schema  # noqa: B018 -- building the schema visits every handler
    assert not [str(w.message) for w in caught if issubclass(w.category, LitestarDeprecationWarning)]
