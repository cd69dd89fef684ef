"""Satisfaction surveys: the tenant's surveys (with a default written by us), invitations sent
after a service or by a campaign, the one reminder, answering by a personal single-use link,
and a follow-up item when a score is low.

The link's token is 256 bits (43 URL-safe characters) from a keyed HMAC of the tenant and the invitation id: never
stored (only its SHA-256 is), derived again only to resend it in the reminder. The tenant is in
the HMAC and every look-up runs in the host's tenant scope, so a link works on its own
charity's host only.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import re
import time
import uuid
from typing import Any

from sila.platform import audit, i18n
from sila.platform.db import current_connection, parse_uuid, platform_scope, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.settings import get_settings
from sila.platform import crypto
from sila.tenants.beneficiaries.contact import contactable_in_scope
from sila.tenants.notifications.services import Recipient, notify, notify_many

QTYPES = {"rating": i18n.N_("Rating from 1 to 5"), "nps": i18n.N_("Recommendation from 0 to 10"),
          "choice": i18n.N_("One choice from a list"), "text": i18n.N_("Free text")}
CAMPAIGN_STATUS = {"running": i18n.N_("Sending"), "paused": i18n.N_("Paused"), "done": i18n.N_("Finished")}
LINK_DAYS = 30
CAMPAIGN_BATCH = 500
# The beat's tick (every 3 s) keeps stepping running campaigns for this long: 100,000 people go
# out in about a minute instead of 25 per tick (3 h 20 min).
CAMPAIGN_TICK_SECONDS = 2.5
DEDUPE_DAYS = 30  # at most one automatic survey per person in this many days

DEFAULT_SURVEY = {
    "title_ar": "قياس رضا المستفيد", "title_en": "How did we serve you?",
    "intro_ar": "رأيك حقٌّ لك، ونستعين به على تطوير خدماتنا، لا على محاسبة أحد. لن يستغرق ذلك أكثر من دقيقتين.",
    "intro_en": "Your opinion is your right. We use it to improve our services, never to blame anyone. "
                "It takes about two minutes.",
    "questions": [
        {"key": "satisfaction", "type": "rating", "required": True,
         "text": {"ar": "ما مدى رضاك عن الخدمة التي حصلت عليها؟",
                  "en": "How satisfied are you with the service you received?"}},
        {"key": "ease", "type": "rating", "required": True,
         "text": {"ar": "ما مدى سهولة تقديم طلبك ومتابعته؟", "en": "How easy was it to apply and follow your request?"}},
        {"key": "respect", "type": "rating", "required": True,
         "text": {"ar": "كيف تقيّم تعامل الموظفين معك؟", "en": "How would you rate the way our staff treated you?"}},
        {"key": "timeliness", "type": "rating", "required": True,
         "text": {"ar": "ما مدى رضاك عن المدة التي استغرقها الرد على طلبك؟",
                  "en": "How satisfied are you with the time we took to answer your request?"}},
        {"key": "recommend", "type": "nps", "required": True,
         "text": {"ar": "ما مدى احتمال أن تنصح بنا من يحتاج إلى الدعم؟",
                  "en": "How likely are you to recommend us to someone who needs support?"}},
        {"key": "heard", "type": "choice", "required": False,
         "text": {"ar": "كيف عرفت عنّا؟", "en": "How did you hear about us?"},
         "options": [{"ar": "الأقارب أو المعارف", "en": "Family or friends"},
                     {"ar": "مواقع التواصل الاجتماعي", "en": "Social media"},
                     {"ar": "الموقع الإلكتروني", "en": "Our website"},
                     {"ar": "زيارة مقر الجمعية", "en": "A visit to our office"},
                     {"ar": "غير ذلك", "en": "Other"}]},
        {"key": "improve", "type": "text", "required": False,
         "text": {"ar": "ما الذي يمكننا تحسينه؟", "en": "What could we do better?"}},
    ],
}
DEFAULT_SETTINGS = {"auto_send": True, "delay_days": 2, "reminder_days": 3, "min_staff_answers": 5,
                    "low_rating": 2, "low_nps": 4}



class LinkProblem(Exception):
    """The personal link cannot be used: `reason` is unknown, answered or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason



def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- tokens --------------------------------------------------------------------------------------


TOKEN_LENGTH = 43  # 256 bits in URL-safe base64: short enough for an SMS
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


def token_for(tenant_id: Any, invitation_id: Any) -> str:
    digest = bytes.fromhex(crypto.lookup_hash(tenant_id, f"survey-invitation|{invitation_id}"))
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_for(slug: str, token: str) -> str:
    return get_settings().tenant_url(slug, f"/s/{token}")


# --- surveys and settings -------------------------------------------------------------------------


async def ensure_default_in_scope(tenant_id: Any) -> uuid.UUID:
    """The charity's surveys, starting with ours (active) the first time anyone asks."""
    conn = current_connection()
    found = await conn.fetchval("select id from survey order by created_at limit 1")
    if found:
        return found
    await conn.execute("select pg_advisory_xact_lock(hashtext('sila-default-survey:' || $1::text))", str(tenant_id))
    found = await conn.fetchval("select id from survey order by created_at limit 1")
    if found:
        return found
    d = DEFAULT_SURVEY
    sid = await conn.fetchval(
        """insert into survey (tenant, title_ar, title_en, intro_ar, intro_en, is_active)
           values ($1, $2, $3, $4, $5, true) returning id""",
        parse_uuid(tenant_id), d["title_ar"], d["title_en"], d["intro_ar"], d["intro_en"])
    await conn.execute("insert into survey_version (tenant, survey, number, questions) values ($1, $2, 1, $3::jsonb)",
                       parse_uuid(tenant_id), sid, json.dumps(d["questions"], ensure_ascii=False))
    return sid


async def settings_in_scope() -> dict[str, Any]:
    row = await current_connection().fetchrow("select * from survey_settings")
    return {**DEFAULT_SETTINGS, "auto_since": None, **(dict(row) if row else {})}


async def overview(tenant_id: Any) -> dict[str, Any]:
    async with tenant_scope(tenant_id) as tx:
        conn = tx.connection
        await ensure_default_in_scope(tenant_id)
        surveys = [dict(r) for r in await conn.fetch(
            """select s.*, (select count(*) from survey_response r where r.survey = s.id) as responses
               from survey s order by s.created_at""")]
        campaigns = [dict(r) for r in await conn.fetch(
            """select c.*, s.title_ar, s.title_en from survey_campaign c join survey s on s.id = c.survey
               order by c.created_at desc limit 20""")]
        services = [r["service_type"] for r in await conn.fetch(
            "select distinct service_type from service_delivery order by 1")]
        settings = await settings_in_scope()
    return {"surveys": surveys, "campaigns": campaigns, "service_types": services, "settings": settings}


async def save_settings(tenant_id: Any, values: dict[str, Any], actor: Any) -> None:
    fields = ("auto_send", "delay_days", "reminder_days", "min_staff_answers", "low_rating", "low_nps")
    async with tenant_scope(tenant_id) as tx:
        before = await settings_in_scope()
        # Turning automatic sending on never reaches back to services delivered before.
        since = "now()" if values["auto_send"] and not before["auto_send"] else "survey_settings.auto_since"
        await tx.connection.execute(
            f"""insert into survey_settings (tenant, {', '.join(fields)}) values ($1, $2, $3, $4, $5, $6, $7)
                on conflict (tenant) do update set {', '.join(f'{f} = excluded.{f}' for f in fields)},
                auto_since = {since}, updated_at = now()""",
            parse_uuid(tenant_id), *(values[f] for f in fields))
        await audit.record(tenant_id, "surveys.settings_changed", actor_user=actor.id, actor_label=actor.name,
                           target_type="survey_settings", address=actor.address,
                           before={f: before[f] for f in fields}, after={f: values[f] for f in fields})


async def get_survey_in_tenant(tenant_id: Any, survey_id: Any) -> dict[str, Any]:
    """The survey with its current questions; NotFound for unknown ids and other tenants' alike."""
    sid = parse_uuid(survey_id)
    if sid is None:
        raise NotFound(survey_id)
    async with tenant_scope(tenant_id) as tx:
        return await get_survey_in_scope(tx.connection, sid)


async def get_survey_in_scope(conn: Any, sid: uuid.UUID) -> dict[str, Any]:
    """As `get_survey_in_tenant`, inside the caller's open scope."""
    row = await conn.fetchrow(
        """select s.*, v.questions, (select count(*) from survey_response r where r.survey = s.id
             and r.version = s.current_version) as answered
           from survey s join survey_version v on v.survey = s.id and v.number = s.current_version
           where s.id = $1""", sid)
    if row is None:
        raise NotFound(sid)
    return {**dict(row), "questions": _json(row["questions"])}


async def create_survey(tenant_id: Any, actor: Any) -> uuid.UUID:
    """A new survey starting from ours; the admin rewords it."""
    d = DEFAULT_SURVEY
    async with tenant_scope(tenant_id) as tx:
        await ensure_default_in_scope(tenant_id)
        sid = await tx.connection.fetchval(
            """insert into survey (tenant, title_ar, title_en, intro_ar, intro_en) values ($1, $2, $3, $4, $5)
               returning id""", parse_uuid(tenant_id), d["title_ar"] + " (٢)", d["title_en"] + " (2)", d["intro_ar"],
            d["intro_en"])
        await tx.connection.execute(
            "insert into survey_version (tenant, survey, number, questions) values ($1, $2, 1, $3::jsonb)",
            parse_uuid(tenant_id), sid, json.dumps(d["questions"], ensure_ascii=False))
        await audit.record(tenant_id, "surveys.created", actor_user=actor.id, actor_label=actor.name,
                           target_type="survey", target_id=sid, address=actor.address)
    return sid


@dataclasses.dataclass
class SurveyInput:
    title_ar: str
    title_en: str
    intro_ar: str
    intro_en: str
    anonymous_allowed: bool
    is_active: bool
    questions: list[dict[str, Any]]


async def save_survey(tenant_id: Any, survey_id: Any, data: SurveyInput, actor: Any) -> int:
    """Returns the version now in use: the same one while unanswered, a new one once answered."""
    sid = parse_uuid(survey_id)
    if sid is None:
        raise NotFound(survey_id)
    async with tenant_scope(tenant_id) as tx:
        conn = tx.connection
        current = await get_survey_in_scope(conn, sid)
        await conn.execute("select 1 from survey where id = $1 for update", sid)
        version = current["current_version"]
        questions_json = json.dumps(data.questions, ensure_ascii=False)
        if data.questions != current["questions"]:
            if current["answered"]:  # answers keep the questions they answered
                version += 1
                await conn.execute(
                    "insert into survey_version (tenant, survey, number, questions) values ($1, $2, $3, $4::jsonb)",
                    parse_uuid(tenant_id), sid, version, questions_json)
            else:
                await conn.execute("update survey_version set questions = $3::jsonb where survey = $1 and number = $2",
                                   sid, version, questions_json)
        if data.is_active:
            await conn.execute("update survey set is_active = false where id <> $1 and is_active", sid)
        await conn.execute(
            """update survey set title_ar = $2, title_en = $3, intro_ar = $4, intro_en = $5, anonymous_allowed = $6,
                 is_active = $7, current_version = $8, updated_at = now() where id = $1""",
            sid, data.title_ar, data.title_en, data.intro_ar, data.intro_en, data.anonymous_allowed,
            data.is_active or current["is_active"], version)
        await audit.record(tenant_id, "surveys.saved", actor_user=actor.id, actor_label=actor.name,
                           target_type="survey", target_id=sid, address=actor.address,
                           before={"version": current["current_version"]}, after={"version": version})
    return version


# --- invitations ---------------------------------------------------------------------------------


async def invite_many_in_scope(tenant: Any, survey_id: uuid.UUID, people: list[dict[str, Any]],
                               campaign: Any = None) -> list[uuid.UUID]:
    """Invitations and their messages for many people in three statements (a campaign's batch);
    those this service or campaign already invited are skipped. Returns the new invitations' ids."""
    allowed = await contactable_in_scope([p.get("beneficiary") for p in people], "survey.invitation")
    people = [p for p in people if p.get("beneficiary") in allowed]  # no survey after consent is withdrawn
    if not people:
        return []
    conn = current_connection()
    ids = [uuid.uuid4() for _ in people]
    tokens = {iid: token_for(tenant.id, iid) for iid in ids}

    def col(key: str) -> list[Any]:
        return [p.get(key) for p in people]

    created = {r["id"] for r in await conn.fetch(
        """insert into survey_invitation (id, tenant, survey, beneficiary, request, service_delivery, campaign,
             service_type, intake_channel, staff, channel, language, mobile, email, token_hash, expires_at)
           select i.id, $1, $2, i.beneficiary, i.request, i.delivery, $3, i.service_type, i.intake_channel, i.staff,
                  i.channel, i.language, i.mobile, i.email, i.token_hash, now() + $4 * interval '1 day'
           from unnest($5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[], $9::text[], $10::text[], $11::uuid[],
                       $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
                as i(id, beneficiary, request, delivery, service_type, intake_channel, staff, channel, language,
                     mobile, email, token_hash)
           on conflict do nothing returning id""",
        tenant.id, survey_id, campaign, LINK_DAYS, ids, col("beneficiary"), col("request"), col("delivery"),
        [p.get("service_type") or "" for p in people], [p.get("intake_channel") or "" for p in people],
        col("staff"), col("channel"), col("language"), [p.get("mobile") or "" for p in people],
        [p.get("email") or "" for p in people], [token_hash(tokens[iid]) for iid in ids])}
    new = [(iid, p) for iid, p in zip(ids, people, strict=True) if iid in created]
    if not new:
        return []
    oids = await notify_many(tenant, "survey.invitation", [
        Recipient(p["language"], p["channel"], p.get("mobile") or "", p.get("email") or "",
                  {"link": link_for(tenant.slug, tokens[iid])}, p.get("beneficiary")) for iid, p in new])
    await conn.execute(
        """update survey_invitation i set outbox = u.outbox from unnest($1::uuid[], $2::uuid[]) as u(id, outbox)
           where i.id = u.id""", [iid for iid, _ in new], oids)
    return [iid for iid, _ in new]


SQL_DUE_SERVICES = """
    select sd.id, sd.request, sd.beneficiary, sd.service_type, sd.delivered_by, r.channel_label, r.contact_mobile,
           r.contact_email, r.contact_channel, r.contact_language
    from service_delivery sd join support_request r on r.id = sd.request
    where sd.recorded_at >= $1
      and sd.recorded_at > now() - ($2 + 14) * interval '1 day'
      -- delay days after the service: its day (Riyadh), but never before it was recorded
      and greatest(sd.recorded_at, sd.delivered_on::timestamp at time zone 'Asia/Riyadh')
          + $2 * interval '1 day' <= now()
      and not exists (select 1 from survey_invitation i where i.service_delivery = sd.id)
      and not exists (select 1 from survey_invitation i where i.beneficiary = sd.beneficiary
                      and i.created_at > now() - $3 * interval '1 day')
    order by sd.recorded_at limit 200
"""


async def scan(tenant: Any) -> dict[str, int]:
    """The beat's pass over one tenant: surveys due after services, and the one reminder."""
    done = {"invited": 0, "reminded": 0}
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        # First pass for this tenant: our survey and settings, surveying services from now on.
        await conn.execute("insert into survey_settings (tenant) values ($1) on conflict (tenant) do nothing", tenant.id)
        await ensure_default_in_scope(tenant.id)
        settings = await settings_in_scope()
        active = await conn.fetchval("select id from survey where is_active")
        if settings["auto_send"] and settings["auto_since"] and active:
            due = await conn.fetch(SQL_DUE_SERVICES, settings["auto_since"], settings["delay_days"], DEDUPE_DAYS)
            done["invited"] = len(await invite_many_in_scope(tenant, active, [dict(
                beneficiary=sd["beneficiary"], channel=sd["contact_channel"], language=sd["contact_language"],
                mobile=sd["contact_mobile"], email=sd["contact_email"], request=sd["request"], delivery=sd["id"],
                service_type=sd["service_type"], intake_channel=sd["channel_label"], staff=sd["delivered_by"])
                for sd in due]))
        for inv in await conn.fetch(
                """select * from survey_invitation where not answered and reminded_at is null
                   and expires_at > now() and sent_at <= now() - $1 * interval '1 day'
                   for update skip locked limit 200""", settings["reminder_days"]):
            oid = await notify(tenant, "survey.reminder", lang=inv["language"], preferred=inv["channel"],
                               mobile=inv["mobile"], email=inv["email"], beneficiary=inv["beneficiary"],
                               values={"link": link_for(tenant.slug, token_for(tenant.id, inv["id"]))})
            await conn.execute("update survey_invitation set reminded_at = now(), reminder_outbox = $2 where id = $1",
                               inv["id"], oid)
            done["reminded"] += 1
    return done


async def scan_all() -> int:
    from sila.platform.tables import Tenant
    from sila.platform.tenancy import TenantInfo

    rows = await Tenant.select(Tenant.id, Tenant.slug, Tenant.kind, Tenant.name_ar, Tenant.name_en, Tenant.status,
                               Tenant.status_reason).where(Tenant.status == "active")
    total = 0
    for row in rows:
        result = await scan(TenantInfo(**row))
        total += sum(result.values())
    return total


# --- campaigns ---------------------------------------------------------------------------------------

SQL_CAMPAIGN_TARGETS = """
    select distinct on (sd.beneficiary) sd.beneficiary, sd.id, sd.request, sd.service_type, sd.delivered_by,
           r.channel_label, r.contact_mobile, r.contact_email, r.contact_channel, r.contact_language
    from service_delivery sd join support_request r on r.id = sd.request
    where sd.delivered_on between $1 and $2 and ($3 = '' or sd.service_type = $3)
      and ($4::uuid is null or sd.beneficiary > $4)
    order by sd.beneficiary, sd.delivered_on desc
"""


async def campaign_targets(conn: Any, period_from: dt.date, period_to: dt.date, service_type: str) -> int:
    return await conn.fetchval(f"select count(*) from ({SQL_CAMPAIGN_TARGETS}) t", period_from, period_to,
                               service_type, None)


async def start_campaign(tenant_id: Any, survey_id: Any, name: str, service_type: str, period_from: dt.date,
                         period_to: dt.date, actor: Any) -> uuid.UUID | None:
    """The new campaign's id, or None when `survey_id` is not one of this tenant's surveys (a
    form choice, not a page: the caller reports it on the field)."""
    sid = parse_uuid(survey_id)
    async with tenant_scope(tenant_id) as tx:
        conn = tx.connection
        if sid is None or not await conn.fetchval("select 1 from survey where id = $1", sid):
            return None
        total = await campaign_targets(conn, period_from, period_to, service_type)
        cid = await conn.fetchval(
            """insert into survey_campaign (tenant, survey, name, service_type, period_from, period_to, total,
                 status, created_by, finished_at)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, case when $7 = 0 then now() end) returning id""",
            parse_uuid(tenant_id), sid, name, service_type, period_from, period_to, total,
            "running" if total else "done", actor.id)
        await audit.record(tenant_id, "surveys.campaign_started", actor_user=actor.id, actor_label=actor.name,
                           target_type="survey_campaign", target_id=cid, address=actor.address,
                           after={"name": name, "service_type": service_type, "from": period_from, "to": period_to,
                                  "total": total})
    return cid


async def set_campaign_status(tenant_id: Any, campaign_id: Any, status: str, actor: Any) -> None:
    cid = parse_uuid(campaign_id)
    before = {"running": "paused", "paused": "running"}[status]
    async with tenant_scope(tenant_id) as tx:
        if cid is None or not await tx.connection.fetchval("select 1 from survey_campaign where id = $1", cid):
            raise NotFound(campaign_id)
        changed = await tx.connection.fetchval(
            "update survey_campaign set status = $2 where id = $1 and status = $3 returning 1", cid, status, before)
        if changed:
            await audit.record(tenant_id, f"surveys.campaign_{'resumed' if status == 'running' else 'paused'}",
                               actor_user=actor.id, actor_label=actor.name, target_type="survey_campaign",
                               target_id=cid, address=actor.address)


async def campaign_progress(tenant_id: Any, campaign_id: Any) -> dict[str, Any]:
    cid = parse_uuid(campaign_id)
    if cid is None:
        raise NotFound(campaign_id)
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(
            """select c.*, s.title_ar, s.title_en,
                 (select count(*) from survey_invitation i join outbox o on o.id = i.outbox
                  where i.campaign = c.id and o.status = 'sent') as delivered,
                 (select count(*) from survey_invitation i where i.campaign = c.id and i.answered)
                   as answered
               from survey_campaign c join survey s on s.id = c.survey where c.id = $1""", cid)
    if row is None:
        raise NotFound(campaign_id)
    out = dict(row)
    out["percent"] = 100 if not out["total"] else min(100, round(100 * out["invited"] / out["total"]))
    return out


async def campaign_step(tenant: Any, campaign_id: uuid.UUID, batch: int = CAMPAIGN_BATCH) -> int:
    """Invite the next batch of a running campaign; a paused or finished one is left alone."""
    return (await _campaign_batch(tenant, campaign_id, batch))[0]


async def _campaign_batch(tenant: Any, campaign_id: uuid.UUID, batch: int) -> tuple[int, bool]:
    """(invited, whether it has more to do now): one transaction, so progress shows as it goes
    and a pause takes effect at the next batch."""
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        c = await conn.fetchrow(
            "select * from survey_campaign where id = $1 and status = 'running' for update skip locked", campaign_id)
        if c is None:  # paused, done, or another worker has this batch
            return 0, False
        targets = await conn.fetch(f"{SQL_CAMPAIGN_TARGETS} limit {int(batch)}", c["period_from"], c["period_to"],
                                   c["service_type"], c["cursor"])
        invited = len(await invite_many_in_scope(tenant, c["survey"], [dict(
            beneficiary=t["beneficiary"], channel=t["contact_channel"], language=t["contact_language"],
            mobile=t["contact_mobile"], email=t["contact_email"], request=t["request"], service_type=t["service_type"],
            intake_channel=t["channel_label"], staff=t["delivered_by"]) for t in targets], campaign=c["id"]))
        done = len(targets) < batch
        await conn.execute(
            """update survey_campaign set invited = invited + $2, cursor = coalesce($3, cursor),
                 status = case when $4 then 'done' else status end,
                 finished_at = case when $4 then now() else finished_at end where id = $1""",
            c["id"], len(targets), targets[-1]["beneficiary"] if targets else None, done)
    return invited, not done


async def run_campaigns(budget: float = CAMPAIGN_TICK_SECONDS) -> int:
    """The beat's tick: batches of every running campaign, in turn, for `budget` seconds (found
    across tenants: no personal data)."""
    from sila.platform.tables import Tenant
    from sila.platform.tenancy import TenantInfo

    deadline = time.monotonic() + budget
    async with platform_scope("survey campaigns") as tx:
        running = await tx.connection.fetch(
            """select c.id, c.tenant from survey_campaign c join tenant t on t.id = c.tenant
               where c.status = 'running' and t.status = 'active'""")
    tenants = {}
    for tid in {row["tenant"] for row in running}:
        t = await Tenant.select(Tenant.id, Tenant.slug, Tenant.kind, Tenant.name_ar, Tenant.name_en, Tenant.status,
                                Tenant.status_reason).where(Tenant.id == tid).first()
        tenants[tid] = TenantInfo(**t)
    total, active = 0, list(running)
    while active and time.monotonic() < deadline:
        for row in list(active):
            invited, more = await _campaign_batch(tenants[row["tenant"]], row["id"], CAMPAIGN_BATCH)
            total += invited
            if not more:
                active.remove(row)
    return total


# --- answering ---------------------------------------------------------------------------------------


async def open_link(tenant_id: Any, token: str) -> dict[str, Any]:
    """The invitation and its survey for a personal link on this tenant's host, or LinkProblem."""
    if not token or len(token) != TOKEN_LENGTH or not TOKEN_RE.fullmatch(token):
        raise LinkProblem("unknown")
    async with tenant_scope(tenant_id) as tx:
        inv = await _open_invitation(tx.connection, token)
        survey = await get_survey_in_scope(tx.connection, inv["survey"])
    return {"invitation": dict(inv), "survey": survey}


async def _open_invitation(conn: Any, token: str, *, lock: bool = False) -> Any:
    """The invitation behind a link if it may still be answered, else LinkProblem saying why."""
    inv = await conn.fetchrow(f"select * from survey_invitation where token_hash = $1{' for update' if lock else ''}",
                              token_hash(token))
    if inv is None:
        raise LinkProblem("unknown")
    if inv["answered"]:
        raise LinkProblem("answered")
    if inv["expires_at"] <= _now():
        raise LinkProblem("expired")
    return inv


def low_scores(questions: list[dict[str, Any]], answers: dict[str, dict[str, Any]], settings: dict[str, Any],
               lang: str) -> list[str]:
    out = []
    for q in questions:
        a = answers.get(q["key"])
        if not a or a.get("score") is None:
            continue
        limit = settings["low_rating"] if q["type"] == "rating" else settings["low_nps"] if q["type"] == "nps" else None
        if limit is not None and a["score"] <= limit:
            out.append(f"{q['text'][lang]}: {a['score']}")
    return out


async def submit_answers(tenant: Any, token: str, answers: dict[str, dict[str, Any]], anonymous: bool) -> uuid.UUID:
    """Store the answers once: the link is used up in the same transaction (a second submission,
    even a concurrent one, finds it answered)."""
    from sila.tenants.feedback.services import open_followup_in_scope

    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        inv = await _open_invitation(conn, token, lock=True)
        survey = await get_survey_in_scope(conn, inv["survey"])
        anonymous = anonymous and survey["anonymous_allowed"]
        rid = await conn.fetchval(
            """insert into survey_response (tenant, survey, version, invitation, beneficiary, anonymous, service_type,
                 intake_channel, staff, campaign) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id""",
            tenant.id, inv["survey"], survey["current_version"], None if anonymous else inv["id"],
            None if anonymous else inv["beneficiary"], anonymous, inv["service_type"], inv["intake_channel"],
            inv["staff"], inv["campaign"])
        for key, a in answers.items():
            await conn.execute(
                """insert into survey_answer (tenant, response, question, qtype, score, text)
                   values ($1, $2, $3, $4, $5, $6)""", tenant.id, rid, key, a["type"], a.get("score"),
                a.get("text", ""))
        # An anonymous answer leaves no time on the invitation (and the response keeps only its
        # day): no column, timestamp or id can join the two.
        await conn.execute("update survey_invitation set answered = true, answered_at = $2 where id = $1", inv["id"],
                           None if anonymous else _now())
        settings = await settings_in_scope()
        low = low_scores(survey["questions"], answers, settings, "ar")
        if low:
            comment = next((a["text"] for a in answers.values() if a["type"] == "text" and a.get("text")), "")
            with i18n.language("ar"):
                body = "\n".join([i18n.gettext("Low scores in a satisfaction survey:"), *low,
                                  *([i18n.gettext("Their comment: %(text)s", text=comment)] if comment else []),
                                  *([] if not anonymous else [i18n.gettext("Answered anonymously: no contact.")])])
            name = "" if anonymous else (await conn.fetchval("select name from beneficiary where id = $1",
                                                             inv["beneficiary"]) or "")
            await open_followup_in_scope(tenant.id, rid, body, name=name,
                                         mobile="" if anonymous else inv["mobile"],
                                         email="" if anonymous else inv["email"], channel=inv["channel"],
                                         language=inv["language"])
    return rid
