"""Satisfaction surveys on real peers: sent after a service at the tenant's delay with one
reminder, answered once by a personal link that works on its own charity's host only,
anonymous answers, low scores opening a follow-up, versions, campaigns, results and CSV."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import secrets
from typing import Any

import pytest

from sila.platform.db import tenant_scope
from sila.tenants.surveys import services
from sila.workers import relay
from support.data import SERVICE_STEPS, served_request
from support.gateways import admin_actor, no_quiet_hours, use_gateway

LINK_RE = re.compile(r"https?://[^\s]+/s/([A-Za-z0-9_-]{43})")


async def scalar(tenant_id: Any, sql: str, *args: Any) -> Any:
    async with tenant_scope(tenant_id) as tx:
        return await tx.connection.fetchval(sql, *args)


async def rows(tenant_id: Any, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        return [dict(r) for r in await tx.connection.fetch(sql, *args)]


async def set_survey_settings(tenant_id: Any, **changes: Any) -> None:
    values = {**services.DEFAULT_SETTINGS, **changes}
    await services.save_settings(tenant_id, values, admin_actor())


@pytest.fixture
async def charity(make_tenant, make_staff, publish_policy, gateway):
    tenant = await make_tenant(name_ar="جمعية الوفاء")
    await publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, window=None)
    await no_quiet_hours(tenant.id)
    await use_gateway(tenant.id, gateway.url, provider="taqnyat", secret="taqnyat-token-surveys-1")
    await set_survey_settings(tenant.id, delay_days=0)
    officer = await make_staff(tenant, "relations_officer", name="نورة الموظفة")
    admin = await make_staff(tenant, "admin", name="مدير الجمعية")
    return tenant, officer, admin


async def invite_one(tenant: Any, officer: Any, gateway: Any, **kw: Any) -> tuple[dict[str, Any], str]:
    """A service delivered, the beat's pass, the invitation delivered at the gateway: its token."""
    req = await served_request(tenant, officer, **kw)
    await services.scan(tenant)
    [inv] = await rows(tenant.id, "select * from survey_invitation where service_delivery = $1", req["delivery"]["id"])
    assert await relay.deliver(inv["outbox"], tenant.id) in ("sent", "already sent")
    [sms] = [r for r in gateway.requests if r["key"] == str(inv["outbox"])]
    token = LINK_RE.search(sms["body"]["body"]).group(1)
    return inv, token


async def test_sent_after_the_chosen_delay_once_with_one_reminder(charity, gateway):
    tenant, officer, _ = charity
    await set_survey_settings(tenant.id, delay_days=2, reminder_days=3)
    req = await served_request(tenant, officer)
    await services.scan(tenant)
    assert await scalar(tenant.id, "select count(*) from survey_invitation") == 0  # not yet: two days
    async with tenant_scope(tenant.id) as tx:  # three days later
        await tx.connection.execute(
            "update service_delivery set recorded_at = recorded_at - interval '3 days', "
            "delivered_on = delivered_on - 3 where id = $1", req["delivery"]["id"])
        await tx.connection.execute("update survey_settings set auto_since = auto_since - interval '3 days'")
    assert (await services.scan(tenant))["invited"] == 1
    assert (await services.scan(tenant))["invited"] == 0  # once per service
    [inv] = await rows(tenant.id, "select * from survey_invitation")
    assert (inv["beneficiary"], inv["request"], inv["service_type"]) == (req["beneficiary"], req["id"], "سلة غذائية")
    assert len(inv["token_hash"]) == 64
    assert await relay.deliver(inv["outbox"], tenant.id) in ("sent", "already sent")
    [sms] = [r for r in gateway.requests if r["key"] == str(inv["outbox"])]
    token = LINK_RE.search(sms["body"]["body"]).group(1)
    assert f"{tenant.slug}.localhost" in sms["body"]["body"] and "رأيك يهمنا" in sms["body"]["body"]
    assert services.token_hash(token) == inv["token_hash"]  # only the hash is stored
    assert token not in str(await rows(tenant.id, "select * from survey_invitation"))
    # Three days without an answer: one reminder, with the same link; never a second one.
    assert (await services.scan(tenant))["reminded"] == 0
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update survey_invitation set sent_at = now() - interval '4 days'")
    assert (await services.scan(tenant))["reminded"] == 1
    assert (await services.scan(tenant))["reminded"] == 0
    [inv] = await rows(tenant.id, "select * from survey_invitation")
    assert await relay.deliver(inv["reminder_outbox"], tenant.id) in ("sent", "already sent")
    [reminder] = [r for r in gateway.requests if r["key"] == str(inv["reminder_outbox"])]
    assert LINK_RE.search(reminder["body"]["body"]).group(1) == token and "تذكير" in reminder["body"]["body"]


def answers_form(**overrides: str) -> dict[str, str]:
    return {"satisfaction": "5", "ease": "٤", "respect": "5", "timeliness": "4", "recommend": "10", "heard": "1",
            "improve": "كل شيء كان ممتازًا", **overrides}


async def test_answering_by_link_keeps_input_on_errors_and_works_once(server, charity, gateway):
    tenant, officer, _ = charity
    inv, token = await invite_one(tenant, officer, gateway)
    client = server.client(tenant.slug)
    page = client.get(f"/s/{token}")
    assert page.status_code == 200 and 'dir="rtl"' in page.text and "ما مدى رضاك" in page.text
    assert page.headers["cache-control"] == "private, no-store" and page.headers["referrer-policy"] == "no-referrer"
    bad = client.post(f"/s/{token}", answers_form(satisfaction="", recommend="11"))
    assert bad.status_code == 400
    assert 'id="satisfaction-error"' in bad.text and 'id="recommend-error"' in bad.text
    assert "كل شيء كان ممتازًا" in bad.text and 'value="4" checked' in bad.text  # kept ("٤" read as 4)
    done = client.post(f"/s/{token}", answers_form())
    assert done.status_code == 200 and 'href="/feedback?from=survey"' in done.text
    [resp] = await rows(tenant.id, "select * from survey_response")
    assert (resp["invitation"], resp["beneficiary"], resp["anonymous"]) == (inv["id"], inv["beneficiary"], False)
    answers = {a["question"]: a for a in await rows(tenant.id, "select * from survey_answer")}
    assert answers["ease"]["score"] == 4 and answers["recommend"]["score"] == 10 and answers["heard"]["score"] == 1
    assert answers["improve"]["text"] == "كل شيء كان ممتازًا"
    # Single use: the page and a second submission both say it was answered, and nothing is added.
    assert client.get(f"/s/{token}").status_code == 410
    again = client.post(f"/s/{token}", answers_form(satisfaction="1"))
    assert again.status_code == 410
    assert await scalar(tenant.id, "select count(*) from survey_response") == 1


async def test_survey_links_cannot_be_guessed_or_used_on_another_tenants_host(server, charity, gateway, make_tenant):
    tenant, officer, _ = charity
    inv, token = await invite_one(tenant, officer, gateway)
    other = await make_tenant()
    client = server.client(tenant.slug)
    for guess in (secrets.token_urlsafe(32), secrets.token_hex(32), token[:-1] + ("0" if token[-1] != "0" else "1"), "x" * 64, token[:40], inv["id"],
                  inv["token_hash"]):
        assert client.get(f"/s/{guess}").status_code == 404, guess
        assert client.post(f"/s/{guess}", answers_form()).status_code in (403, 404), guess
    elsewhere = server.client(other.slug)
    assert elsewhere.get(f"/s/{token}").status_code == 404
    assert elsewhere.post(f"/s/{token}", answers_form()).status_code == 404
    assert await scalar(tenant.id, "select answered from survey_invitation where id = $1", inv["id"]) is False
    assert client.get(f"/s/{token}").status_code == 200  # still good where it belongs
    # An expired link says so.
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update survey_invitation set expires_at = now() - interval '1 minute'")
    assert client.get(f"/s/{token}").status_code == 410


async def test_anonymous_answers_keep_no_link_and_low_scores_open_a_follow_up(server, charity, gateway):
    tenant, officer, admin = charity
    _, anon_token = await invite_one(tenant, officer, gateway, name="أم خالد")
    _, named_token = await invite_one(tenant, officer, gateway, name="سعد الدوسري", mobile="0561112222")
    client = server.client(tenant.slug)
    assert client.post(f"/s/{anon_token}", {**answers_form(satisfaction="1", improve="تأخر الرد كثيرًا"),
                                            "anonymous": "on"}).status_code == 200
    assert client.post(f"/s/{named_token}", answers_form(recommend="2")).status_code == 200
    anon, named = await rows(tenant.id, "select * from survey_response order by anonymous desc")
    assert anon["anonymous"] and anon["beneficiary"] is None and anon["invitation"] is None
    assert not named["anonymous"] and named["beneficiary"] is not None
    follow = {f["survey_response"]: f for f in await rows(tenant.id, "select * from feedback where kind = 'followup'")}
    assert set(follow) == {anon["id"], named["id"]}
    assert follow[anon["id"]]["mobile"] == "" and follow[anon["id"]]["name"] == ""
    assert "تأخر الرد كثيرًا" in follow[anon["id"]]["body"]
    assert follow[named["id"]]["mobile"] == "+966561112222" and follow[named["id"]]["name"] == "سعد الدوسري"
    # The relations team sees them in its queue; a follow-up sends the person nothing by itself.
    staff = server.client(tenant.slug)
    staff.login(admin.email)
    queue = staff.get("/portal/feedback?kind=followup")
    assert queue.status_code == 200 and follow[named["id"]]["reference"] in queue.text
    assert await scalar(tenant.id, "select count(*) from outbox where kind like 'feedback.%'") == 0


async def test_editing_an_answered_survey_makes_a_new_version(server, charity, gateway):
    tenant, officer, admin = charity
    client = server.client(tenant.slug)
    client.login(admin.email)
    assert client.get("/portal/surveys").status_code == 200
    sid = await scalar(tenant.id, "select id from survey where is_active")
    page = client.get(f"/portal/surveys/{sid}/edit")
    assert page.status_code == 200 and "ما مدى رضاك" in page.text
    form = {"title_ar": "رأيك في خدمتنا", "title_en": "Your view", "intro_ar": "", "intro_en": "", "is_active": "on",
            "anonymous_allowed": "on", "count": "2",
            "q0_key": "satisfaction", "q0_type": "rating", "q0_ar": "ما مدى رضاك عن الخدمة؟", "q0_en": "", "q0_required": "on",
            "q1_key": "", "q1_type": "choice", "q1_ar": "أي فرع زرت؟", "q1_en": "", "q1_options": "الرياض"}
    bad = client.post(f"/portal/surveys/{sid}/edit", form)
    assert bad.status_code == 400 and "q1_options-error" in bad.text and "أي فرع زرت؟" in bad.text
    form["q1_options"] = "الرياض | Riyadh\nجدة | Jeddah"
    assert client.post(f"/portal/surveys/{sid}/edit", form).status_code == 303
    assert await scalar(tenant.id, "select current_version from survey where id = $1", sid) == 1  # no answers yet
    questions = json.loads(await scalar(tenant.id, "select questions::text from survey_version where survey = $1", sid))
    assert [q["type"] for q in questions] == ["rating", "choice"] and questions[1]["options"][1]["en"] == "Jeddah"
    _, token = await invite_one(tenant, officer, gateway)
    assert server.client(tenant.slug).post(f"/s/{token}", {"satisfaction": "4", questions[1]["key"]: "1"}).status_code == 200
    form["q0_ar"] = "ما مدى رضاك عن الخدمة المقدمة؟"
    assert client.post(f"/portal/surveys/{sid}/edit", form).status_code == 303
    assert await scalar(tenant.id, "select current_version from survey where id = $1", sid) == 2
    versions = await rows(tenant.id, "select number, questions::text as q from survey_version where survey = $1 order by number", sid)
    assert [v["number"] for v in versions] == [1, 2] and "الخدمة؟" in versions[0]["q"] and "المقدمة" in versions[1]["q"]
    assert await scalar(tenant.id, "select version from survey_response") == 1


async def test_a_campaign_shows_progress_and_can_be_paused_and_resumed(server, charity, gateway):
    tenant, officer, admin = charity
    await set_survey_settings(tenant.id, auto_send=False)
    for i in range(5):
        await served_request(tenant, officer, mobile=f"055{i}234567", service_type="كسوة العيد")
    await served_request(tenant, officer, mobile="0559998888", service_type="سلة غذائية")
    client = server.client(tenant.slug)
    client.login(admin.email)
    assert client.get("/portal/surveys").status_code == 200  # the first visit writes our default survey
    sid = await scalar(tenant.id, "select id from survey where is_active")
    today = dt.date.today()
    bad = client.post("/portal/surveys/campaigns", {"name": "", "survey": str(sid), "service_type": "كسوة العيد",
                                                    "period_from": today.isoformat(), "period_to": "2000-01-01"})
    assert bad.status_code == 400 and "name-error" in bad.text and "period_to-error" in bad.text
    started = client.post("/portal/surveys/campaigns", {"name": "كسوة العيد ١٤٤٧", "survey": str(sid),
                                                        "service_type": "كسوة العيد",
                                                        "period_from": (today - dt.timedelta(days=7)).isoformat(),
                                                        "period_to": today.isoformat()})
    assert started.status_code == 303, re.findall(r'class="field-error"[^>]*>([^<]+)', started.text)
    path = started.headers["location"]
    cid = path.rsplit("/", 1)[1]
    # The session worker's beat may be stepping it too: pause first, then drive it here.
    assert client.post(f"{path}/pause").status_code == 303
    page = client.get(path)
    assert page.status_code == 200 and "<progress" in page.text and 'hx-trigger="every 2s"' not in page.text
    invited = await scalar(tenant.id, "select invited from survey_campaign where id = $1", cid)
    assert await services.campaign_step(tenant, cid) == 0  # paused: nothing happens
    assert client.post(f"{path}/resume", headers={"HX-Request": "true"}).status_code == 200
    assert 'hx-trigger="every 2s"' in client.get(f"{path}/progress").text
    for _ in range(20):  # batches of two (a session worker's beat may be sending batches too)
        if (await services.campaign_progress(tenant.id, cid)).status == "done":
            break
        await services.campaign_step(tenant, cid, batch=2)
    c = await services.campaign_progress(tenant.id, cid)
    assert (c.total, c.invited, c.status, c.percent) == (5, 5, "done", 100)
    assert await scalar(tenant.id, "select count(*) from survey_invitation where campaign = $1", cid) == 5
    assert await scalar(tenant.id, "select count(distinct beneficiary) from survey_invitation where campaign = $1", cid) == 5
    final = client.get(f"{path}/progress")
    assert "every 2s" not in final.text and "٥ / ٥" in final.text
    assert invited <= 5


async def test_results_with_charts_csv_and_staff_only_above_the_minimum(server, charity, gateway, make_staff):
    tenant, officer, admin = charity
    other_officer = await make_staff(tenant, "relations_officer", name="سلمان الموظف")
    await set_survey_settings(tenant.id, delay_days=0, min_staff_answers=3)
    client = server.client(tenant.slug)
    scores = [("5", "سلة غذائية", officer), ("4", "سلة غذائية", officer), ("2", "إيجار", officer),
              ("5", "إيجار", other_officer)]
    for i, (score, service, who) in enumerate(scores):
        _, token = await invite_one(tenant, who, gateway, mobile=f"056{i}654321", service_type=service)
        improve = "=HYPERLINK(\"http://evil\")" if i == 0 else "الموظفة كانت متعاونة"
        assert client.post(f"/s/{token}", answers_form(satisfaction=score, improve=improve)).status_code == 200
    staff = server.client(tenant.slug)
    staff.login(admin.email)
    sid = await scalar(tenant.id, "select id from survey where is_active")
    page = staff.get(f"/portal/surveys/{sid}/results")
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') >= 6  # month, service, channel, staff, and per question
    assert "إيجار" in page.text and "الموظفة كانت متعاونة" in page.text
    assert "نورة الموظفة" in page.text and "سلمان الموظف" not in page.text  # 3 answers vs 1 (minimum 3)
    filtered = staff.get(f"/portal/surveys/{sid}/results", params={"service": "إيجار"})
    assert filtered.status_code == 200 and "نورة الموظفة" not in filtered.text  # 1 answer each now
    response = staff.get(f"/portal/surveys/{sid}/results.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(table) == 5 and "ما مدى رضاك عن الخدمة التي حصلت عليها؟" in table[0]
    assert not any("نورة" in cell or "+9665" in cell for row in table for cell in row)  # no names, no contacts
    assert any(cell.startswith("'=HYPERLINK") for row in table for cell in row)  # not run as a formula
    assert staff.get(f"/portal/surveys/{secrets.token_hex(8)}/results").status_code == 404


async def test_an_anonymous_answer_shares_no_time_id_or_order_with_its_invitation(server, charity, gateway):
    """Anonymous means no join is possible: across the invitations answered anonymously, no
    column of a response matches, or sorts like, a column of the invitation table (on main the
    response's `submitted_at` was the invitation's `answered_at` to the microsecond)."""
    import asyncio

    tenant, officer, admin = charity
    tokens = [(await invite_one(tenant, officer, gateway, name=name, mobile=mobile))[1] for name, mobile in
              [("أم خالد", "0551110001"), ("سعد الدوسري", "0551110002"), ("هند العتيبي", "0551110003")]]
    client = server.client(tenant.slug)
    for token in reversed(tokens):  # answered in another order than invited
        assert client.post(f"/s/{token}", {**answers_form(), "anonymous": "on"}).status_code == 200
        await asyncio.sleep(0.05)
    responses = await rows(tenant.id, "select * from survey_response where anonymous")
    invitations = await rows(tenant.id, "select * from survey_invitation")
    assert len(responses) == len(invitations) == 3
    assert all(i["answered"] and i["answered_at"] is None for i in invitations)  # answered, with no time

    def forms_of(value: Any) -> set[str]:
        """The value and what it compares equal to once cast (a timestamp's Riyadh day)."""
        if isinstance(value, dt.datetime):
            return {value.isoformat(), value.astimezone(dt.timezone(dt.timedelta(hours=3))).date().isoformat()}
        return {value.isoformat() if isinstance(value, dt.date) else str(value)}

    import uuid as _uuid

    for column in responses[0]:
        values = [r[column] for r in responses]
        if len({str(v) for v in values}) > 1:
            # The only column telling the answers apart is their own random id: it sorts like nothing.
            assert column == "id" and all(isinstance(v, _uuid.UUID) and v.version == 4 for v in values), column
        for value in values:
            for inv_column in invitations[0]:
                matches = [i for i in invitations if forms_of(value) & forms_of(i[inv_column])]
                # Equal to every invitation (the same survey, day, service...) tells none apart; to some, links.
                assert len(matches) in (0, len(invitations)), (column, inv_column)
    # The results page and CSV still read them.
    staff = server.client(tenant.slug)
    staff.login(admin.email)
    sid = responses[0]["survey"]
    assert staff.get(f"/portal/surveys/{sid}/results").status_code == 200
    csv_text = staff.get(f"/portal/surveys/{sid}/results.csv").content.decode("utf-8-sig")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=3))).date().isoformat()
    assert csv_text.count(f"\n{today},") == 3 or csv_text.count(f"\r\n{today},") == 3
