"""In a real browser: a beneficiary answers a satisfaction survey in Arabic on a phone-sized
screen through the personal link their SMS carried; the admin then reads the results with
their charts. Screenshots of each; axe-core on the survey page."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from support.browser import axe_problems, screenshot, sign_in_page
from support.data import SERVICE_STEPS, served_request
from support.gateways import admin_actor, no_quiet_hours, use_gateway
from support.servers import run_async


pytestmark = pytest.mark.browser
LINK_RE = re.compile(r"/s/([A-Za-z0-9_-]{43})")
SERVICES = ["سلة غذائية", "سلة غذائية", "إيجار سكن", "كسوة العيد", "إيجار سكن", "سلة غذائية", "كسوة العيد"]


async def _setup(make_tenant, make_staff, publish_policy, gateway) -> dict[str, Any]:
    from sila.platform.db import tenant_scope
    from sila.tenants.surveys import forms, services
    from sila.workers import relay

    tenant = await make_tenant(name_ar="جمعية البر الخيرية")
    await publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, window=None)
    await no_quiet_hours(tenant.id)
    await use_gateway(tenant.id, gateway.url, provider="unifonic", sender="AlBir")
    await services.save_settings(tenant.id, {**services.DEFAULT_SETTINGS, "delay_days": 0, "min_staff_answers": 3},
                                 admin_actor())
    officer = await make_staff(tenant, "relations_officer", name="نورة العتيبي")
    admin = await make_staff(tenant, "admin", name="مديرة الجمعية")
    tokens = []
    for i, service in enumerate(SERVICES + ["سلة غذائية"]):
        req = await served_request(tenant, officer, mobile=f"055{i}123456", service_type=service)
        await services.scan(tenant)
        async with tenant_scope(tenant.id) as tx:
            inv = await tx.connection.fetchrow("select * from survey_invitation where service_delivery = $1",
                                               req["delivery"]["id"])
        await relay.deliver(inv["outbox"], tenant.id)
        [sms] = [r for r in gateway.requests if r["key"] == str(inv["outbox"])]
        tokens.append(LINK_RE.search(sms["body"]["Body"]).group(1))
    # Earlier answers, so the results have something to draw (two of them last month).
    scores = [5, 4, 2, 5, 3, 4, 5]
    for i, token in enumerate(tokens[:-1]):
        opened = await services.open_link(tenant.id, token)
        answers, _, _ = forms.read_answers(opened.survey.questions, {
            "satisfaction": str(scores[i]), "ease": str(max(1, scores[i] - 1)), "respect": "5", "timeliness": str(scores[i]),
            "recommend": str(min(10, scores[i] * 2)), "heard": str(i % 5),
            "improve": ["تمديد ساعات الاستقبال مساءً", "", "طال انتظار الرد", "", "", "التواصل عبر واتساب أسهل", ""][i]})
        await services.submit_answers(tenant, token, answers, anonymous=i == 3)
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute(
            """update survey_response set submitted_on = submitted_on - 32
               where id in (select id from survey_response order by id limit 2)""")
        sid = await tx.connection.fetchval("select id from survey where is_active")
    return {"tenant": tenant, "admin": admin, "token": tokens[-1], "survey": sid}


def test_a_survey_answered_on_a_phone_in_arabic_then_the_results_with_charts(
        server, make_tenant, make_staff, publish_policy, gateway, phone_page, chromium):
    data = run_async(_setup(make_tenant, make_staff, publish_policy, gateway))
    tenant = data["tenant"]
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = phone_page

    page.goto(f"{base}/s/{data['token']}")
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ar"
    assert page.get_by_role("heading", name="قياس رضا المستفيد").is_visible()
    assert page.get_by_role("link", name="تسجيل دخول الموظفين").count() == 0  # no staff menu on a personal link
    problems = axe_problems(page)
    assert not problems, problems
    # The rating scale reads right to left: 1 at the right end, 5 at the left.
    one = page.locator('fieldset#satisfaction label:has(input[value="1"])').bounding_box()
    five = page.locator('fieldset#satisfaction label:has(input[value="5"])').bounding_box()
    assert one["x"] > five["x"]
    # Nothing fits horizontally wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "survey-phone-ar-form")

    page.get_by_role("button", name="أرسل إجاباتي").click()
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#satisfaction-error").inner_text() == "السؤال ١: اختر إجابة."
    screenshot(page, "survey-phone-ar-errors")

    page.locator('fieldset#satisfaction label:has(input[value="4"])').click()
    page.locator('fieldset#ease label:has(input[value="5"])').click()
    page.locator('fieldset#respect label:has(input[value="5"])').click()
    page.locator('fieldset#timeliness label:has(input[value="3"])').click()
    page.locator('fieldset#recommend label:has(input[value="9"])').click()
    page.get_by_label("الموقع الإلكتروني").check()
    page.get_by_label("ما الذي يمكننا تحسينه؟", exact=False).fill("الرد أسرع عبر الهاتف")
    page.get_by_role("button", name="أرسل إجاباتي").click()
    assert page.get_by_role("heading", name="شكرًا لك على إجاباتك").is_visible()
    assert page.get_by_role("link", name="اكتب مقترحًا أو شكوى").get_attribute("href") == "/feedback?from=survey"
    screenshot(page, "survey-phone-ar-thanks")
    page.get_by_role("link", name="اكتب مقترحًا أو شكوى").click()
    assert page.get_by_text("شكرًا لك على إجاباتك. هل تودّ أن تخبرنا بشيء آخر؟").is_visible()
    page.get_by_label("مقترح", exact=True).check()
    page.get_by_label("رسالتك").fill("ليت الاستبيان يصل عبر واتساب")
    page.get_by_role("button", name="إرسال").click()
    assert page.get_by_role("heading", name="استلمنا رسالتك").is_visible()
    assert re.fullmatch(r"F-\d{8}", page.locator(".reference").inner_text().strip())
    screenshot(page, "feedback-phone-ar-received")
    page.goto(f"{base}/s/{data['token']}")
    assert "سبقت الإجابة" in page.locator("main").inner_text()

    admin = sign_in_page(chromium, base, data["admin"].email, data["admin"].password)
    admin.goto(f"{base}/portal/surveys/{data['survey']}/results")
    assert admin.locator("html").get_attribute("dir") == "rtl"
    charts = admin.locator("svg.chart")
    assert charts.count() >= 8
    assert admin.get_by_text("الرد أسرع عبر الهاتف").is_visible() and admin.get_by_text("طال انتظار الرد").is_visible()
    # Service bars: the label on the right, its bar growing leftwards from it.
    svg = admin.locator("section", has=admin.get_by_role("heading", name="حسب الخدمة")).locator("svg.chart")
    label = svg.locator("text.label").first.bounding_box()
    bar = svg.locator("rect.bar").first.bounding_box()
    assert bar["x"] + bar["width"] <= label["x"] + 2
    screenshot(admin, "survey-results-ar")
    admin.context.close()



async def _admin_setup(make_tenant, make_staff, publish_policy, gateway) -> dict[str, Any]:
    from sila.platform.db import tenant_scope
    from sila.tenants.surveys import services

    tenant = await make_tenant(name_ar="جمعية النور")
    await publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, window=None)
    await use_gateway(tenant.id, gateway.url, provider="taqnyat", sender="AlNoor", secret="taqnyat-secret-token-9981")
    await services.save_settings(tenant.id, {**services.DEFAULT_SETTINGS, "auto_send": False}, admin_actor())
    officer = await make_staff(tenant, "relations_officer", name="نورة العتيبي")
    admin = await make_staff(tenant, "admin", name="مديرة الجمعية")
    for i in range(12):
        await served_request(tenant, officer, mobile=f"056{i % 10}{i}23456"[:10], service_type="كسوة العيد")
    async with tenant_scope(tenant.id):
        sid = await services.ensure_default_in_scope(tenant.id)
    return {"tenant": tenant, "admin": admin, "survey": sid}


def test_the_admin_rewords_a_message_with_a_live_preview_and_watches_a_campaign(
        server, make_tenant, make_staff, publish_policy, gateway, chromium):
    from sila.tenants.surveys import services

    data = run_async(_admin_setup(make_tenant, make_staff, publish_policy, gateway))
    tenant = data["tenant"]
    base = f"http://{tenant.slug}.localhost:{server.port}"
    admin = sign_in_page(chromium, base, data["admin"].email, data["admin"].password)

    admin.goto(f"{base}/portal/notifications/templates/request.received")
    body = admin.locator("#ar_body")
    body.fill("{org}: وصلنا طلبك {ref}، وسنرد قبل {due}. شكرًا لثقتك.")
    admin.wait_for_function("() => document.querySelector('#preview').innerText.includes('شكرًا لثقتك')")
    assert "جمعية النور: وصلنا طلبك" in admin.locator("#preview").inner_text()
    screenshot(admin, "notifications-template-ar")
    admin.get_by_role("button", name="حفظ").click()
    assert admin.get_by_text("حُفظ. تستخدم الرسائل الجديدة هذه الصياغة.").is_visible()

    admin.goto(f"{base}/portal/notifications/providers")
    assert "••••9981" in admin.locator("main").inner_text() and "taqnyat-secret" not in admin.content()
    assert admin.evaluate("document.documentElement.scrollWidth") <= 1280  # the long address wraps
    screenshot(admin, "notifications-gateways-ar")

    admin.goto(f"{base}/portal/surveys")
    admin.get_by_label("اسم الحملة").fill("كسوة العيد ١٤٤٧")
    admin.locator("#service_type").select_option("كسوة العيد")
    today = dt.date.today()
    admin.get_by_label("الخدمات المقدمة من تاريخ").fill((today - dt.timedelta(days=3)).isoformat())
    admin.get_by_label("حتى", exact=True).fill(today.isoformat())
    admin.get_by_role("button", name="ابدأ الإرسال").click()
    admin.wait_for_url(re.compile(r".*/portal/surveys/campaigns/.+"))
    cid = admin.url.rsplit("/", 1)[1]
    admin.get_by_role("button", name="إيقاف مؤقت").click()
    # A session worker's beat (when an earlier test started one) may finish this small campaign
    # before the click lands: then the page says it is complete, and pausing is left to
    # test_surveys' HTTP test, which pauses first and drives the batches itself.
    admin.get_by_role("button", name="استئناف").or_(admin.get_by_text("اكتملت")).first.wait_for()
    if admin.get_by_role("button", name="استئناف").count():
        screenshot(admin, "survey-campaign-paused-ar")
        admin.get_by_role("button", name="استئناف").click()
        admin.get_by_role("button", name="إيقاف مؤقت").or_(admin.get_by_text("اكتملت")).first.wait_for()
        # One batch here; the page's polling shows it without a reload (the beat may be sending
        # batches too, so the bar may already be further on).
        run_async(services.campaign_step(tenant, uuid.UUID(cid), batch=5))
        admin.wait_for_function("() => document.querySelector('progress').value >= 41", timeout=15000)
        screenshot(admin, "survey-campaign-running-ar")
    run_async(services.campaign_step(tenant, uuid.UUID(cid), batch=50))
    admin.wait_for_function("() => document.querySelector('progress').value == 100", timeout=15000)
    assert admin.get_by_text("اكتملت").is_visible()
    screenshot(admin, "survey-campaign-done-ar")
    admin.context.close()
