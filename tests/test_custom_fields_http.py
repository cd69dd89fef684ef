"""The charity's own questions on its support-request form, through the real app: the editor in the
policy setup (and who may use it), every type answered on /apply and staff intake, required and
conditional questions, bad and hostile input kept beside its field, file answers through the upload
checks, the answers on the request page, in exports and the API, and versions pinned per request."""
from __future__ import annotations

import datetime as dt
import html
import json
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sila.platform.actors import Actor
from sila.platform.db import tenant_scope
from sila.tenants.committee import services as committee
from sila.tenants.policy import custom_fields as cf
from sila.tenants.policy import services as policy_services
from sila.tenants.policy.custom_fields import CustomField, Option
from support.api import api, applicant_body, make_key
from support.clients import sign_in
from support.custom_fields import ANSWERS, LEASE, QUESTIONS, TENURE
from support.db import row, scalar
from support.intake import CHANNELS, PDF, online, staff_intake



@pytest.fixture
async def charity(make_tenant, make_staff, publish_policy):
    tenant = await make_tenant(name_ar="جمعية إسكان")
    await publish_policy(tenant, "mafatih", channels=CHANNELS, custom_fields=cf.to_dicts(QUESTIONS))
    staff = {role: await make_staff(tenant, role) for role in ("admin", "relations_officer", "committee_member")}
    return tenant, staff


async def _export(tenant_id: Any, who: Any) -> tuple[list[str], list[list[Any]]]:
    """This month's requests export, as its header and lines."""
    from sila.tenants.reports import exports
    from sila.tenants.reports.period import Period

    today = dt.datetime.now(ZoneInfo("Asia/Riyadh")).date()
    period = Period("gregorian", (today.year, today.month), (today.year, today.month))
    source = await exports.start(tenant_id, "requests", period, reveal=False, user=who, fmt="csv", address="")
    return source.headers, [line async for batch in exports.rows(tenant_id, source) for line in batch]


def _request_id(tenant_id: Any) -> Any:
    return row(tenant_id, "select * from support_request order by submitted_at desc limit 1")


# --- the editor -------------------------------------------------------------------------------


def editor_rows(fields: list[CustomField], **extra: Any) -> dict[str, Any]:
    """The editor's form as the browser posts it."""
    data: dict[str, Any] = {"custom_fields.count": str(len(fields)), **extra}
    for i, f in enumerate(fields):
        p = f"custom_fields.{i}."
        data.update({p + "key": f.key, p + "type": f.type, p + "label_ar": f.label_ar, p + "label_en": f.label_en,
                     p + "help_ar": f.help_ar, p + "help_en": f.help_en,
                     p + "options": "\n".join(f"{o.label_ar} | {o.label_en}" for o in f.options),
                     p + "show_when_field": f"{f.show_when_field}={f.show_when_value}" if f.show_when_field else ""})
        if f.required:
            data[p + "required"] = "1"
    return data


async def test_the_admin_adds_words_orders_conditions_and_removes_questions(server, make_tenant, make_staff):
    tenant = await make_tenant()
    admin = sign_in(server, await make_staff(tenant, "admin"))
    page = admin.get("/portal/policy/form")
    assert page.status_code == 200 and "لا توجد أسئلة خاصة بكم بعد" in page.text
    added = admin.post("/portal/policy/form", {"custom_fields.count": "0", "new_type": "choice", "action": "add"})
    assert added.status_code == 200 and 'name="custom_fields.0.options"' in added.text
    key = re.search(r'name="custom_fields.0.key" value="([^"]+)"', added.text).group(1)
    tenure = CustomField(key, "choice", "نوع السكن", "Tenure", options=[Option("", "ملك", "Owned"),
                                                                         Option("", "إيجار", "Rented")])
    rent = CustomField("rent", "amount", "الإيجار", required=True)
    saved = admin.post("/portal/policy/form", editor_rows([tenure, rent], action="save"))
    assert saved.status_code == 303 and saved.headers["location"].startswith("/portal/policy/form?saved=1")
    draft = (await policy_services.load_draft(tenant.id)).draft
    stored = cf.from_dicts(draft.custom_fields)
    assert [f.key for f in stored] == [key, "rent"] and [o.value for o in stored[0].options] == ["o1", "o2"]
    assert stored[1].required and stored[0].options[1].label_en == "Rented"

    # The condition is offered from the earlier question's options; the option codes stay put when
    # the options are reworded around them.
    page = admin.get("/portal/policy/form")
    assert f'value="{key}=o2"' in page.text
    rent.show_when_field, rent.show_when_value = key, "o2"
    tenure.options = [Option("", "سكن خيري", "Charity housing"), Option("", "ملك"), Option("", "إيجار", "Rented")]
    assert admin.post("/portal/policy/form", editor_rows([tenure, rent], action="save")).status_code == 303
    stored = cf.from_dicts((await policy_services.load_draft(tenant.id)).draft.custom_fields)
    assert [(o.value, o.label_ar) for o in stored[0].options] == [("o3", "سكن خيري"), ("o1", "ملك"), ("o2", "إيجار")]
    assert (stored[1].show_when_field, stored[1].show_when_value) == (key, "o2")

    # Moving the dependent question above the one it depends on is refused beside it, kept as posted.
    up = admin.post("/portal/policy/form", editor_rows(stored, action="up:1"))
    assert up.status_code == 400 and "custom_fields.0.show_when_field-error" in up.text
    assert [f.key for f in cf.from_dicts((await policy_services.load_draft(tenant.id)).draft.custom_fields)] == [key, "rent"]
    # Removing: the condition goes first, then the question.
    stored[1].show_when_field = stored[1].show_when_value = ""
    assert admin.post("/portal/policy/form", editor_rows(stored, action="remove:0")).status_code == 303
    assert [f.key for f in cf.from_dicts((await policy_services.load_draft(tenant.id)).draft.custom_fields)] == ["rent"]


async def test_the_editor_refuses_bad_and_hostile_definitions_beside_the_field_and_keeps_them(server, make_tenant,
                                                                                            make_staff):
    tenant = await make_tenant()
    admin = sign_in(server, await make_staff(tenant, "admin"))
    admin.get("/portal/policy/form")
    one_option = CustomField("q1", "choice", "سؤال <b>وحيد</b>", options=[Option("", "واحد")])
    nul = CustomField("q2", "short_text", "اسم\x00المؤجر")
    r = admin.post("/portal/policy/form", editor_rows([one_option, nul], action="save"))
    assert r.status_code == 400
    assert "custom_fields.0.options-error" in r.text and "custom_fields.1.label_ar-error" in r.text
    assert "سؤال &lt;b&gt;وحيد&lt;/b&gt;" in r.text and "<b>وحيد" not in r.text  # kept, escaped
    assert "يحتوي هذا الحقل على أحرف غير مسموح بها" in r.text and "أعطِ هذا السؤال من خيارين" in r.text  # in Arabic
    assert re.search(r'value="اسم.?المؤجر"', r.text)  # kept, the NUL not sent back
    huge = CustomField("q3", "short_text", "س" * 5000)
    r = admin.post("/portal/policy/form", editor_rows([huge], action="save"))
    assert r.status_code == 400 and "custom_fields.0.label_ar-error" in r.text
    files = admin.post("/portal/policy/form", {**editor_rows([nul], action="save"), "_csrf_token": admin.csrf()},
                       csrf=False, files={"custom_fields.0.label_ar": PDF})
    assert files.status_code in (400, 415)
    unknown = admin.post("/portal/policy/form", {"custom_fields.count": "0", "new_type": "colour", "action": "add"})
    assert unknown.status_code == 400 and "new_type-error" in unknown.text
    assert (await policy_services.load_draft(tenant.id)).draft.custom_fields == []


async def test_only_the_admin_edits_the_form_and_only_on_their_own_charity(server, make_tenant, make_staff):
    a, b = await make_tenant(), await make_tenant()
    officer = sign_in(server, await make_staff(a, "relations_officer"))
    assert officer.get("/portal/policy/form").status_code == 403
    assert officer.post("/portal/policy/form", editor_rows([CustomField("q1", "short_text", "س")],
                                                           action="save")).status_code == 403
    admin_b = sign_in(server, await make_staff(b, "admin"))
    # B's admin session is not valid on A's site: nothing of A's draft can be read or changed.
    stolen = server.client(a.slug)
    stolen.set_cookie("session", admin_b.cookie("session") or "")
    assert stolen.get("/portal/policy/form").status_code in (302, 303, 401, 403, 404)
    assert (await policy_services.load_draft(a.id)).draft.custom_fields == []


# --- answering on /apply and staff intake -------------------------------------------------------


async def test_every_type_answered_online_is_stored_shown_exported_and_the_file_kept(server, charity):
    tenant, staff = charity
    client = server.client(tenant.slug)
    page = client.get("/apply")
    assert 'data-show-when="cf_tenure" data-show-value="rent"' in page.text and 'name="cf_lease"' in page.text
    response, _ = online(client, files={"documents": PDF, "cf_lease": LEASE}, **ANSWERS)
    assert response.status_code == 303, response.text[-3000:]
    req = await _request_id(tenant.id)
    answers = json.loads(req["custom_answers"]) if isinstance(req["custom_answers"], str) else req["custom_answers"]
    assert answers["tenure"] == "rent" and answers["rent"] == "12500" and answers["members"] == 5
    assert answers["needs"] == ["food", "cloth"] and answers["since"] == "2025-01-31"
    assert answers["released"] == "2025-09-15" and answers["story"] == "سطر أول\nسطر ثان"
    doc = await row(tenant.id, "select * from request_document where kind = 'custom_field'")
    assert answers["lease"] == {"document": str(doc["id"]), "filename": doc["filename"]}
    assert bytes(doc["content"]) == LEASE[1]

    officer = sign_in(server, staff["relations_officer"])
    detail = html.unescape(officer.get(f"/portal/requests/{req['id']}").text)
    for text in ("نوع السكن", "إيجار", "١٢٥٠٠ ريال", "غذاء، كسوة", "نعم", "٥", "سطر أول"):
        assert text in detail, text
    assert f"/portal/requests/{req['id']}/documents/{doc['id']}" in detail
    assert officer.get(f"/portal/requests/{req['id']}/documents/{doc['id']}").content == LEASE[1]

    # The committee reads the same answers in the item's case summary.
    async with tenant_scope(tenant.id) as tx:  # the walk to the committee is tested elsewhere
        await tx.connection.execute("update support_request set stage = 'committee' where id = $1", req["id"])
    member = staff["committee_member"]
    sid = await committee.create_session(tenant, dt.datetime.now(dt.UTC), "المقر",
                                         Actor(member.id, "عضو", frozenset({"committee_member"})))
    await committee.add_to_agenda(tenant, sid, [req["id"]],
                                  Actor(staff["relations_officer"].id, "نورة", frozenset({"relations_officer"})))
    agenda = html.unescape(sign_in(server, member).get(f"/portal/committee/{sid}").text)
    summary = agenda[agenda.index('class="case-summary"'):]
    for text in ("نوع السكن", "إيجار", "١٢٥٠٠ ريال", "غذاء، كسوة", f"/documents/{doc['id']}"):
        assert text in summary, text

    class Who:
        id, name, email, support_grant = staff["admin"].id, "مدير", "a@x", None

    headers, lines = await _export(tenant.id, Who)
    cells = dict(zip(headers, lines[0], strict=True))
    assert cells["نوع السكن"] == "إيجار" and cells["قيمة الإيجار السنوي"] == "12500" and cells["الاحتياجات"] == "غذاء | كسوة"
    assert cells["تاريخ بدء الحاجة"] == "2025-01-31" and cells["صورة عقد الإيجار"] == doc["filename"]
    csv = officer.get("/portal/reports/exports/requests/csv")  # this month, streamed
    assert csv.status_code == 200 and "نوع السكن" in csv.content.decode("utf-8-sig") and "12500" in csv.text


async def test_required_and_conditional_questions_are_checked_by_the_server_and_what_was_typed_is_kept(server, charity):
    tenant, _ = charity
    client = server.client(tenant.slug)
    # Renting: the rent and the lease are required; the landlord typed is kept beside the errors.
    response, _ = online(client, cf_tenure="rent", cf_landlord="محمد المؤجر", cf_members="")
    assert response.status_code == 400
    body = response.text
    for name in ("cf_rent", "cf_lease", "cf_members"):
        assert f'id="{name}-error"' in body, name
    assert 'value="محمد المؤجر"' in body and "هذا الحقل مطلوب" in body
    assert await scalar(tenant.id, "select count(*) from support_request") == 0
    # Owning: the renter's questions are not asked, and their answers (sent anyway) are not kept.
    response, _ = online(client, cf_tenure="own", cf_members="3", cf_rent="abc", cf_landlord="x", cf_prisoner="no",
                         cf_released="not a date")
    assert response.status_code == 303, response.text[-3000:]
    req = await _request_id(tenant.id)
    answers = json.loads(req["custom_answers"]) if isinstance(req["custom_answers"], str) else req["custom_answers"]
    assert answers == {"tenure": "own", "members": 3, "prisoner": "no"}


async def test_hostile_answers_are_refused_in_the_users_language_and_a_kept_file_is_not_asked_for_again(server, charity):
    tenant, _ = charity
    client = server.client(tenant.slug)
    page = client.get("/apply")
    token = re.search(r'name="submit_token" value="([^"]+)"', page.text).group(1)
    hostile = {"cf_tenure": "villa", "cf_members": "٩٩٩٩٩٩٩٩٩٩٩٩٩٩", "cf_landlord": "a\x00b", "cf_story": "x" * 9000,
               "cf_needs": ["food", "gold"], "cf_since": "2025-02-30", "cf_prisoner": "perhaps"}
    response, _ = online(client, token=token, **hostile)
    assert response.status_code == 400
    for name in ("cf_tenure", "cf_members", "cf_story", "cf_needs", "cf_since", "cf_prisoner"):
        assert f'id="{name}-error"' in response.text, name
    assert "٩٩٩٩٩٩٩٩٩٩٩٩٩٩" in response.text  # kept as typed
    # A file where text is expected, and text where a file is expected.
    response, _ = online(client, token=token, files={"documents": PDF, "cf_landlord": PDF, "cf_lease": LEASE},
                         cf_tenure="rent", cf_rent="500", cf_members="2")
    assert response.status_code == 400 and 'id="cf_landlord-error"' in response.text
    assert "lease.pdf" in response.text  # the valid lease is kept for the next attempt
    # Fixing the one error sends the request with the kept lease.
    response, _ = online(client, token=token, files={"documents": PDF}, cf_tenure="rent", cf_rent="500",
                         cf_members="2", cf_landlord="محمد")
    assert response.status_code == 303, response.text[-3000:]
    assert await scalar(tenant.id, "select count(*) from request_document where kind = 'custom_field'") == 1
    # A file that is not a PDF or an image is refused by the upload checks.
    response, _ = online(client, files={"documents": PDF, "cf_lease": ("x.pdf", b"MZ\x90\x00binary", "application/pdf")},
                         cf_tenure="rent", cf_rent="500", cf_members="2")
    assert response.status_code == 400 and 'id="cf_lease-error"' in response.text


async def test_staff_intake_asks_the_same_questions(server, charity):
    tenant, staff = charity
    officer = sign_in(server, staff["relations_officer"])
    page = officer.get("/portal/requests/new")
    assert 'name="cf_tenure"' in page.text and 'name="cf_released"' in page.text
    bad = staff_intake(officer, cf_tenure="rent", cf_members="x")
    assert bad.status_code == 400 and 'id="cf_rent-error"' in bad.text and 'id="cf_members-error"' in bad.text
    good = staff_intake(officer, files={"cf_lease": LEASE}, cf_tenure="rent", cf_rent="900", cf_members="2")
    assert good.status_code == 303, good.text[-3000:]
    req = await _request_id(tenant.id)
    answers = json.loads(req["custom_answers"]) if isinstance(req["custom_answers"], str) else req["custom_answers"]
    assert answers["rent"] == "900" and answers["lease"]["filename"]


async def test_a_request_keeps_the_questions_of_the_version_it_was_submitted_on(server, charity, publish_policy):
    tenant, staff = charity
    client = server.client(tenant.slug)
    response, _ = online(client, cf_tenure="own", cf_members="4")
    assert response.status_code == 303
    first = await _request_id(tenant.id)
    # Version 2 rewords the tenure question, drops the household size and adds a question.
    v2 = [CustomField("tenure", "choice", "ملكية المسكن", "Home ownership", required=True, options=TENURE),
          CustomField("income", "amount", "الدخل الشهري", "Monthly income", required=True)]
    await publish_policy(tenant, "mafatih", channels=CHANNELS, custom_fields=cf.to_dicts(v2))
    page = client.get("/apply")
    assert "ملكية المسكن" in page.text and 'name="cf_members"' not in page.text and 'name="cf_income"' in page.text
    officer = sign_in(server, staff["relations_officer"])
    old = html.unescape(officer.get(f"/portal/requests/{first['id']}").text)
    assert "نوع السكن" in old and "عدد أفراد الأسرة" in old and "ملكية المسكن" not in old
    response, _ = online(client, cf_tenure="own", cf_income="3000")
    assert response.status_code == 303
    second = await _request_id(tenant.id)
    assert second["policy_version_number"] == first["policy_version_number"] + 1
    new = html.unescape(officer.get(f"/portal/requests/{second['id']}").text)
    assert "ملكية المسكن" in new and "٣٠٠٠ ريال" in new
    # The export has a column for each question of either version, each request under its own.
    class Who:
        id, name, email, support_grant = staff["admin"].id, "مدير", "a@x", None

    headers, lines = await _export(tenant.id, Who)
    rows = [dict(zip(headers, r, strict=True)) for r in lines]
    assert rows[0]["ملكية المسكن"] == "ملك" and rows[0]["عدد أفراد الأسرة"] == "4" and rows[0]["الدخل الشهري"] == ""
    assert rows[1]["الدخل الشهري"] == "3000" and rows[1]["عدد أفراد الأسرة"] == ""


async def test_another_charitys_custom_answer_documents_are_not_found(server, charity, make_tenant, make_staff,
                                                                     publish_policy):
    tenant, _ = charity
    client = server.client(tenant.slug)
    response, _ = online(client, files={"documents": PDF, "cf_lease": LEASE}, cf_tenure="rent", cf_rent="1",
                         cf_members="1")
    assert response.status_code == 303
    req = await _request_id(tenant.id)
    doc = await row(tenant.id, "select id from request_document where kind = 'custom_field'")
    other = await make_tenant()
    await publish_policy(other, "mafatih", channels=CHANNELS)
    intruder = sign_in(server, await make_staff(other, "relations_officer"))
    assert intruder.get(f"/portal/requests/{req['id']}/documents/{doc['id']}").status_code == 404
    assert intruder.get(f"/portal/requests/{req['id']}").status_code == 404


async def test_the_api_lists_the_questions_validates_answers_and_returns_them(server, charity):
    tenant, staff = charity
    key = make_key(sign_in(server, staff["admin"]))
    http = api(server, tenant.slug, key, **{"Accept-Language": "en"})
    policy = http.get("/api/v1/policy").json()
    assert [q["key"] for q in policy["questions"]] == [f.key for f in QUESTIONS]
    assert policy["questions"][1]["show_when_field"] == "tenure" and policy["questions"][0]["options"][1]["value"] == "rent"
    version = policy["version"]
    bad = http.post("/api/v1/requests", json=applicant_body(version=version, answers={
        "tenure": "rent", "members": "lots", "colour": "red", "lease": "x", "needs": ["gold"]}))
    assert bad.status_code == 422, bad.text
    errors = bad.json()["errors"]
    assert set(errors) == {"answers.rent", "answers.members", "answers.colour", "answers.lease", "answers.needs"}, errors
    assert "base64" in errors["answers.lease"][0]  # in English, as asked
    nul = http.post("/api/v1/requests", json=applicant_body(version=version, answers={"tenure": "own", "story": "a\x00b"}))
    assert nul.status_code == 422 and "story" in nul.json()["errors"]
    good = http.post("/api/v1/requests", json=applicant_body(version=version, answers={
        "tenure": "own", "members": 4, "needs": ["food"], "prisoner": True, "released": "1447/03/23",
        "rent": "ignored: not asked"}))
    assert good.status_code == 201, good.text
    detail = http.get(f"/api/v1/requests/{good.json()['id']}").json()
    answers = {a["key"]: a for a in detail["answers"]}
    assert set(answers) == {"tenure", "members", "needs", "prisoner", "released"}
    assert answers["tenure"]["value"] == "own" and answers["tenure"]["text"] == "ملك"  # the applicant's language
    assert answers["released"]["value"] == "2025-09-15" and answers["prisoner"]["text"] == "نعم"


async def test_the_api_answers_a_file_question_with_the_online_forms_checks(server, charity):
    import base64

    tenant, staff = charity
    http = api(server, tenant.slug, make_key(sign_in(server, staff["admin"])), **{"Accept-Language": "ar"})
    version = http.get("/api/v1/policy").json()["version"]
    renter = {"tenure": "rent", "rent": "12000", "members": 3}

    def post(**answers):
        return http.post("/api/v1/requests", json=applicant_body(version=version, answers={**renter, **answers}))

    def file(name, content):
        return {"filename": name, "content_base64": base64.b64encode(content).decode()}

    refused = {
        "missing": post(),
        "not base64": post(lease={"filename": "lease.pdf", "content_base64": "%%%not base64%%%"}),
        "a text file": post(lease=file("lease.pdf", "عقد الإيجار\n".encode())),
        "empty": post(lease=file("lease.pdf", b"")),
        "too large": post(lease=file("lease.pdf", LEASE[1] + b"\0" * (5 * 1024 * 1024))),
        "a file for a text question": post(lease=file("lease.pdf", LEASE[1]), story=file("story.pdf", LEASE[1])),
        "text for a file question": post(lease="lease.pdf"),
    }
    for case, r in refused.items():
        assert r.status_code == 422, (case, r.status_code, r.text[:300])
        errors = r.json()["errors"]
        assert set(errors) == {"answers.story" if "text question" in case else "answers.lease"}, (case, errors)
    assert "ليس بصيغة PDF" in refused["a text file"].json()["errors"]["answers.lease"][0]  # the form's own words
    assert await scalar(tenant.id, "select count(*) from support_request") == 0

    good = post(lease=file("عقد.pdf", LEASE[1]))
    assert good.status_code == 201, good.text
    rid = good.json()["id"]
    doc = await row(tenant.id, "select * from request_document where request = $1", uuid.UUID(rid))
    assert bytes(doc["content"]) == LEASE[1] and doc["content_type"] == "application/pdf"
    answers = {a["key"]: a for a in http.get(f"/api/v1/requests/{rid}").json()["answers"]}
    assert answers["lease"]["value"] == doc["filename"]
    # The staff open it from the request page, as a file sent through the online form.
    officer = sign_in(server, staff["relations_officer"])
    assert officer.get(f"/portal/requests/{rid}/documents/{doc['id']}").content == LEASE[1]

    # A hidden question's file is not kept: an owner's lease is not asked for.
    owner = http.post("/api/v1/requests", json=applicant_body(version=version, answers={
        "tenure": "own", "members": 2, "lease": file("lease.pdf", LEASE[1])}))
    assert owner.status_code == 201, owner.text
    assert await scalar(tenant.id, "select count(*) from request_document where request = $1",
                        uuid.UUID(owner.json()["id"])) == 0


async def test_invalid_utf8_in_an_answer_is_refused_not_a_500(server, charity):
    tenant, _ = charity
    client = server.client(tenant.slug)
    page = client.get("/apply")
    token = re.search(r'name="submit_token" value="([^"]+)"', page.text).group(1)
    boundary = "sila-fields-boundary"
    parts = [("_csrf_token", client.csrf("/apply").encode()), ("submit_token", token.encode()),
             ("cf_tenure", b"rent"), ("cf_landlord", b"\xff\xfe\xc3("), ("cf_members", b"\xed\xa0\x80")]
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
                    for name, value in parts) + f"--{boundary}--\r\n".encode()
    response = client.http.post("/apply", content=body,
                                headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 400, response.status_code
    assert await scalar(tenant.id, "select count(*) from support_request") == 0


async def test_a_change_to_the_questions_is_a_change_of_the_next_version(server, charity):
    tenant, staff = charity
    admin = sign_in(server, staff["admin"])
    page = admin.get("/portal/policy/form")
    assert page.status_code == 200 and 'value="tenure=rent"' in page.text
    changed = [*QUESTIONS[:-1]]
    changed[0] = CustomField("tenure", "choice", "نوع المسكن", "Tenure", required=True, options=TENURE)
    assert admin.post("/portal/policy/form", editor_rows(changed, action="save")).status_code == 303
    assert "تغيّرت أسئلة نموذج طلب الدعم" in admin.get("/portal/policy").text
    # The published version's form is unchanged until the draft is published; its page lists them.
    assert "نوع السكن" in server.client(tenant.slug).get("/apply").text
    version = await policy_services.current_policy_version(tenant.id)
    shown = admin.get(f"/portal/policy/versions/{version.id}").text
    assert "أسئلة نموذج طلب الدعم في هذا الإصدار" in shown and "نوع السكن" in shown and "نوع المسكن" not in shown
