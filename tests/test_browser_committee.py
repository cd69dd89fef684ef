"""In a real browser, at 390 px and 1366 px, in Arabic and English: the session page a committee
decides in (rule, attendance, case summary, live tally, the chair's confirmation) and the
policy's committee page. Screenshots in artifacts/screenshots/committee-*.png; axe-core on each;
nothing wider than the phone."""
from __future__ import annotations

import json

import pytest
from support.data import session_time
from support.browser import axe_problems, screenshot, sign_in_page
from support.clients import sign_in
from support.db import scalar
from support.intake import act, online
from support.servers import run_async

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "desktop": 1366}
CHECKS = {f"check_{k}": "yes" for k in ("identity", "contact", "information", "documents")}


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"


def _clean(page) -> None:
    problems = axe_problems(page)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_session_page_and_the_committee_rule_at_phone_and_desktop_widths(server, make_tenant, make_staff,
                                                                            publish_policy, chromium):
    from sila.tenants.committee.rule import CommitteeRule

    async def setup():
        tenant = await make_tenant(name_ar="وقف مفاتيح الخير")
        staff = {key: await make_staff(tenant, role, name=name) for key, role, name in [
            ("officer", "relations_officer", "نورة الموظفة"), ("admin", "admin", "مدير الوقف"),
            ("chair", "committee_member", "د. هند الرئيسة"), ("deputy", "committee_member", "سعد النائب"),
            ("third", "committee_member", "ريم العضوة")]}
        rule = CommitteeRule(members=tuple(str(staff[k].id) for k in ("chair", "deputy", "third")),
                             member_names=("د. هند الرئيسة", "سعد النائب", "ريم العضوة"),
                             chair=str(staff["chair"].id), deputy=str(staff["deputy"].id))
        await publish_policy(tenant, "mafatih", channels=["website", "phone"], committee=rule.to_dict())
        return tenant, staff

    tenant, staff = run_async(setup())
    officer = sign_in(server, staff["officer"])
    response, _ = online(server.client(tenant.slug), need="دعم إيجار السكن لأسرة من ستة أفراد")
    assert response.status_code == 303
    rid = run_async(scalar(tenant.id, "select id from support_request"))
    assert act(officer, rid, "verify", **CHECKS).status_code == 303
    assert act(officer, rid, "skip_referral").status_code == 303
    chair, deputy = sign_in(server, staff["chair"]), sign_in(server, staff["deputy"])
    chair.get("/portal/committee")
    session = chair.post("/portal/committee", {"held_at": session_time(), "location": "مقر الوقف"}).headers[
        "location"]
    assert officer.post(f"{session}/agenda", {"requests": str(rid)}).status_code == 303
    item = run_async(scalar(tenant.id, "select id from committee_item"))
    assert chair.post(f"{session}/attendance", {"present": [str(staff["chair"].id), str(staff["deputy"].id)]}) \
        .status_code == 303
    assert chair.post(f"{session}/items/{item}/vote", {"vote": "accept", "reasons": "الحاجة قائمة"}).status_code == 303
    assert deputy.post(f"{session}/items/{item}/vote", {"vote": "reject", "reasons": "الدخل كافٍ"}).status_code == 303

    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, staff["chair"].email, staff["chair"].password)
    try:
        for lang in ("ar", "en"):
            if lang == "en":
                page.goto(base + "/lang/en")
            for label, width in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(base + session)
                text = page.locator("main").inner_text()
                if lang == "ar":
                    assert "بالصوت المرجّح لرئيس الجلسة" in text and "د. هند الرئيسة" in text
                    assert "أسرة محتاجة" in text
                else:
                    assert page.locator("html").get_attribute("dir") == "ltr"
                    assert "casting vote of the presiding member" in text and "Attendance" in text
                page.locator(".case-summary > details > summary").click()  # the details open: documents, research
                screenshot(page, f"committee-session-{label}-{lang}")
                _fits(page, width)
                _clean(page)
        # The chair confirms the outcome in the browser (English, phone).
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + session)
        page.get_by_label("Accept the request").check()
        page.get_by_role("button", name="Record the decision").click()
        page.wait_for_selector(".decision")
        assert "Accepted" in page.locator(".decision").inner_text()
        screenshot(page, "committee-session-decided-phone-en")
        _fits(page, 390)
    finally:
        page.close()

    admin = sign_in_page(chromium, base, staff["admin"].email, staff["admin"].password)
    try:
        for label, width in WIDTHS.items():
            admin.set_viewport_size({"width": width, "height": 900})
            admin.goto(base + "/portal/policy/committee")
            assert admin.get_by_label("رئيس اللجنة").input_value() == str(staff["chair"].id)
            screenshot(admin, f"committee-policy-{label}-ar")
            _fits(admin, width)
            _clean(admin)
    finally:
        admin.close()


def test_session_times_waiting_list_and_default_rule_at_phone_and_desktop(server, make_tenant, make_staff,
                                                                          publish_policy, chromium):
    """The committee's list with why each request waits (fresh, deferred, carried over, an appeal with
    the decision appealed), a session whose time is over, one not begun (its agenda carried over,
    the default rule said), and the admin's policy and version pages saying the default rule
    applies; Arabic and English, 390 and 1366 px, axe clean."""
    import datetime as dt

    from sila.platform.actors import Actor
    from sila.platform.db import tenant_scope
    from sila.tenants.beneficiaries.forms import ApplicantInput
    from sila.tenants.committee import services as committee
    from sila.tenants.requests import services as rs
    from sila.tenants.requests.services import applicant
    from sila.tenants.requests.terms import terms_in_force
    from support.data import valid_id

    async def setup():
        tenant = await make_tenant(name_ar="جمعية بسمات")
        await publish_policy(tenant, "mafatih", channels=["interview", "phone", "website"],
                             steps=["receive", "verify", "committee", "deliver"], appeal_days=15)
        rows = {k: await make_staff(tenant, role, name=name) for k, role, name in [
            ("officer", "relations_officer", "نورة العتيبي"), ("member", "committee_member", "د. سيرين الشواف"),
            ("admin", "admin", "مدير الجمعية")]}
        officer = Actor(rows["officer"].id, "نورة العتيبي", frozenset({"relations_officer"}))
        member = Actor(rows["member"].id, "د. سيرين الشواف", frozenset({"committee_member"}))
        terms = await terms_in_force(tenant.id)
        made = {}
        for n, key in enumerate(("fresh", "deferred", "carried", "appeal")):
            person = ApplicantInput(id_number=valid_id(), name=f"متقدم {key}", mobile=f"+96655123410{n}", email="",
                                    preferred_channel="sms", preferred_language="ar", city="الرياض",
                                    category="family", household_size=4)
            rid = await rs.record_by_staff(tenant, terms, rs.StaffIntake(
                applicant=person, channel=terms.staff_channels()[0], need="دعم إيجار السكن"), officer)
            await rs.act(tenant, rid, "verify", officer, {f"check_{k}": "on" for k in rs.CHECKLIST})
            made[key] = rid
        now = dt.datetime.now(dt.UTC)
        past = now - dt.timedelta(days=2)
        a = await committee.create_session(tenant, past, "القاعة", member, now=past - dt.timedelta(hours=1))
        await committee.add_to_agenda(tenant, a, [made["carried"]], officer, now=past)
        over = await committee.create_session(tenant, past, "القاعة", member, now=past - dt.timedelta(hours=1))
        b = await committee.create_session(tenant, now - dt.timedelta(minutes=5), "القاعة", member)
        await committee.add_to_agenda(tenant, b, [made["deferred"], made["appeal"]], officer)
        items = {i.request: i.id for i in (await committee.session_detail(tenant.id, b)).items}
        await committee.record_attendance(tenant, b, [str(member.id)], member)
        await committee.decide(tenant, b, items[made["deferred"]], "defer", "لاستكمال زيارة الباحث", member)
        await committee.cast_vote(tenant, b, items[made["appeal"]], "reject", "الدخل كافٍ", member)
        await committee.decide(tenant, b, items[made["appeal"]], "reject", "الدخل أعلى من حد الاستحقاق", member)
        await committee.close_session(tenant, b, member)
        await committee.close_session(tenant, a, member)  # its time is over: its request carried over
        async with tenant_scope(tenant.id) as tx:
            reference = await tx.connection.fetchval("select reference from support_request where id = $1",
                                                     made["appeal"])
        await applicant.appeal(tenant, reference, "تغيّر دخل الأسرة بعد وفاة العائل", "127.0.0.1")
        return tenant, rows, member, over

    tenant, rows, member, over = run_async(setup())
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, rows["member"].email, rows["member"].password)
    try:
        for lang in ("ar", "en"):
            if lang == "en":
                page.goto(base + "/lang/en")
            for label, width in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(base + "/portal/committee")
                text = page.locator("main").inner_text()
                if lang == "ar":
                    for words in ("أجّلته الجلسة ٣", "لاستكمال زيارة الباحث", "مُرحَّل من الجلسة ١", "تظلّم من قرار",
                                  "الدخل أعلى من حد الاستحقاق", "يُعرض على اللجنة أول مرة"):
                        assert words in text, words
                else:
                    assert "Deferred by session 3" in text and "Carried over from session 1" in text
                page.locator("details.due-why").first.locator("summary").click()
                screenshot(page, f"committee-waiting-{label}-{lang}")
                _fits(page, width)
                _clean(page)
                page.goto(base + f"/portal/committee/{over}")
                assert ("انتهى وقت هذه الجلسة" if lang == "ar" else "This session's time ended") in \
                    page.locator("main").inner_text()
                screenshot(page, f"committee-session-over-{label}-{lang}")
                _fits(page, width)
                _clean(page)
        # A session in three hours: the deferred and carried-over requests on its agenda already.
        later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)).astimezone(
            dt.timezone(dt.timedelta(hours=3))).strftime("%Y-%m-%dT%H:%M")
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + "/portal/committee")
        page.locator("#held_at").fill(later)
        # The box redraws its day in both calendars as it is typed in (htmx): let that land first.
        page.wait_for_function("() => /\\d/.test(document.querySelector('#held_at-day').textContent)")
        with page.expect_navigation():
            page.get_by_role("button", name="Open the session").click()
        assert page.locator("#session-hours").count() == 1, (later, page.url, page.locator("main").inner_text()[:1500])
        for lang in ("en", "ar"):
            if lang == "ar":
                page.goto(base + "/lang/ar?next=" + page.url.split(base, 1)[1])
            for label, width in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": 900})
                page.reload()
                text = page.locator("main").inner_text()
                assert ("The session begins at" if lang == "en" else "تبدأ الجلسة في") in text
                assert ("the default rule applies" if lang == "en" else "القاعدة الافتراضية") in text
                assert page.locator("article.agenda-item").count() == 2
                assert page.locator('form[action$="/vote"]').count() == 0
                screenshot(page, f"committee-session-before-{label}-{lang}")
                _fits(page, width)
                _clean(page)
    finally:
        page.close()

    admin = sign_in_page(chromium, base, rows["admin"].email, rows["admin"].password)
    try:
        for lang in ("ar", "en"):
            if lang == "en":
                admin.goto(base + "/lang/en")
            for label, width in WIDTHS.items():
                admin.set_viewport_size({"width": width, "height": 900})
                admin.goto(base + "/portal/policy")
                note = admin.locator(".default-rule")
                assert note.count() == 1 and note.locator('a[href="/portal/policy/committee"]').count() == 1
                screenshot(admin, f"committee-policy-overview-{label}-{lang}")
                _fits(admin, width)
                _clean(admin)
                admin.locator('a[href^="/portal/policy/versions/"]').first.click()
                admin.wait_for_selector(".default-rule")
                screenshot(admin, f"committee-policy-version-{label}-{lang}")
                _fits(admin, width)
                _clean(admin)
    finally:
        admin.close()
