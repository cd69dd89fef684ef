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
import re
import time
import uuid
from typing import Any

from sila.platform import audit, crypto, i18n
from sila.platform.db import parse_uuid, platform_scope, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.settings import get_settings
from sila.tenants.beneficiaries.contact import contactable_in_scope
from sila.tenants.feedback.services import open_followup_in_scope
from sila.tenants.notifications.services import Recipient, notify, notify_many
from sila.tenants.surveys import queries
from sila.tenants.surveys.queries import Campaign, Invitation, Survey, SurveySettings, SurveyTexts

QTYPES = {"rating": i18n.N_("Rating from 1 to 5"), "nps": i18n.N_("Recommendation from 0 to 10"),
          "choice": i18n.N_("One choice from a list"), "text": i18n.N_("Free text")}
CAMPAIGN_STATUS = {"running": i18n.N_("Sending"), "paused": i18n.N_("Paused"), "done": i18n.N_("Finished")}
LINK_DAYS = 30
CAMPAIGN_BATCH = 500
# The beat's tick (every 3 s) keeps stepping running campaigns for this long: 100,000 people go
# out in about a minute instead of 25 per tick (3 h 20 min).
CAMPAIGN_TICK_SECONDS = 2.5
DEDUPE_DAYS = 30  # at most one automatic survey per person in this many days

DEFAULT_SURVEY: dict[str, Any] = {
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
DEFAULT_SETTINGS = SurveySettings().values()



class LinkProblem(Exception):
    """The personal link cannot be used: `reason` is unknown, answered or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason



def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    found = await queries.first_survey()
    if found:
        return found
    await queries.lock_default_survey(tenant_id)
    found = await queries.first_survey()
    if found:
        return found
    return await queries.insert_survey(parse_uuid(tenant_id), DEFAULT_SURVEY, DEFAULT_SURVEY["questions"],
                                       active=True)


async def settings_in_scope() -> SurveySettings:
    return await queries.settings()


@dataclasses.dataclass(frozen=True)
class Overview:
    surveys: list[Survey]
    campaigns: list[Campaign]
    service_types: list[str]
    settings: SurveySettings


async def overview(tenant_id: Any) -> Overview:
    async with tenant_scope(tenant_id):
        await ensure_default_in_scope(tenant_id)
        return Overview(await queries.surveys_with_counts(), await queries.recent_campaigns(),
                        await queries.service_types(), await queries.settings())


async def save_settings(tenant_id: Any, values: dict[str, Any], actor: Any) -> None:
    async with tenant_scope(tenant_id):
        before = await queries.settings()
        # Turning automatic sending on never reaches back to services delivered before.
        await queries.save_settings(parse_uuid(tenant_id), values,
                                    start_auto_now=bool(values["auto_send"] and not before.auto_send))
        await audit.record(tenant_id, "surveys.settings_changed", actor_user=actor.id, actor_label=actor.name,
                           target_type="survey_settings", address=actor.address,
                           before=before.values(), after={f: values[f] for f in queries.SETTINGS})


async def get_survey_in_tenant(tenant_id: Any, survey_id: Any) -> Survey:
    """The survey with its current questions; NotFound for unknown ids and other tenants' alike."""
    sid = parse_uuid(survey_id)
    if sid is None:
        raise NotFound(survey_id)
    async with tenant_scope(tenant_id):
        return await get_survey_in_scope(sid)


async def get_survey_in_scope(sid: uuid.UUID) -> Survey:
    """As `get_survey_in_tenant`, inside the caller's open scope."""
    found = await queries.survey(sid)
    if found is None:
        raise NotFound(sid)
    return found


async def create_survey(tenant_id: Any, actor: Any) -> uuid.UUID:
    """A new survey starting from ours; the admin rewords it."""
    d = DEFAULT_SURVEY
    async with tenant_scope(tenant_id):
        await ensure_default_in_scope(tenant_id)
        sid = await queries.insert_survey(
            parse_uuid(tenant_id), {**d, "title_ar": d["title_ar"] + " (٢)", "title_en": d["title_en"] + " (2)"},
            d["questions"], active=False)
        await audit.record(tenant_id, "surveys.created", actor_user=actor.id, actor_label=actor.name,
                           target_type="survey", target_id=sid, address=actor.address)
    return sid


@dataclasses.dataclass(frozen=True)
class SurveyInput(SurveyTexts):
    questions: list[dict[str, Any]]


async def save_survey(tenant_id: Any, survey_id: Any, data: SurveyInput, actor: Any) -> int:
    """Returns the version now in use: the same one while unanswered, a new one once answered."""
    sid = parse_uuid(survey_id)
    if sid is None:
        raise NotFound(survey_id)
    async with tenant_scope(tenant_id):
        current = await get_survey_in_scope(sid)
        await queries.lock_survey(sid)
        version = current.current_version
        if data.questions != current.questions:
            if current.answered:  # answers keep the questions they answered
                version += 1
                await queries.insert_version(parse_uuid(tenant_id), sid, version, data.questions)
            else:
                await queries.set_version_questions(sid, version, data.questions)
        if data.is_active:
            await queries.deactivate_others(sid)
        await queries.update_survey(sid, dataclasses.asdict(data), anonymous_allowed=data.anonymous_allowed,
                                    is_active=data.is_active or current.is_active, version=version)
        await audit.record(tenant_id, "surveys.saved", actor_user=actor.id, actor_label=actor.name,
                           target_type="survey", target_id=sid, address=actor.address,
                           before={"version": current.current_version}, after={"version": version})
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
    ids = [uuid.uuid4() for _ in people]
    tokens = {iid: token_for(tenant.id, iid) for iid in ids}
    created = await queries.insert_invitations(tenant.id, survey_id, campaign, LINK_DAYS, ids, people,
                                               [token_hash(tokens[iid]) for iid in ids])
    new = [(iid, p) for iid, p in zip(ids, people, strict=True) if iid in created]
    if not new:
        return []
    oids = await notify_many(tenant, "survey.invitation", [
        Recipient(p["language"], p["channel"], p.get("mobile") or "", p.get("email") or "",
                  {"link": link_for(tenant.slug, tokens[iid])}, p.get("beneficiary")) for iid, p in new])
    await queries.set_invitation_outboxes([iid for iid, _ in new], oids)
    return [iid for iid, _ in new]


async def scan(tenant: Any) -> dict[str, int]:
    """The beat's pass over one tenant: surveys due after services, and the one reminder."""
    done = {"invited": 0, "reminded": 0}
    async with tenant_scope(tenant.id):
        # First pass for this tenant: our survey and settings, surveying services from now on.
        await queries.ensure_settings(tenant.id)
        await ensure_default_in_scope(tenant.id)
        settings = await queries.settings()
        active = await queries.active_survey()
        if settings.auto_send and settings.auto_since and active:
            due = await queries.due_services(settings.auto_since, settings.delay_days, DEDUPE_DAYS)
            done["invited"] = len(await invite_many_in_scope(tenant, active, [sd.person(delivery=True) for sd in due]))
        for inv in await queries.due_reminders(settings.reminder_days):
            oid = await notify(tenant, "survey.reminder", lang=inv.language, preferred=inv.channel,
                               mobile=inv.mobile, email=inv.email, beneficiary=inv.beneficiary,
                               values={"link": link_for(tenant.slug, token_for(tenant.id, inv.id))})
            await queries.set_reminded(inv.id, oid)
            done["reminded"] += 1
    return done


async def scan_all() -> int:
    total = 0
    for tenant in await queries.active_tenants():
        result = await scan(tenant)
        total += sum(result.values())
    return total


# --- campaigns ---------------------------------------------------------------------------------------


async def start_campaign(tenant_id: Any, survey_id: Any, name: str, service_type: str, period_from: dt.date,
                         period_to: dt.date, actor: Any) -> uuid.UUID | None:
    """The new campaign's id, or None when `survey_id` is not one of this tenant's surveys (a
    form choice, not a page: the caller reports it on the field)."""
    sid = parse_uuid(survey_id)
    async with tenant_scope(tenant_id):
        if sid is None or not await queries.survey_exists(sid):
            return None
        total = await queries.count_campaign_targets(period_from, period_to, service_type)
        cid = await queries.insert_campaign(parse_uuid(tenant_id), sid, name, service_type, period_from, period_to,
                                            total, actor.id)
        await audit.record(tenant_id, "surveys.campaign_started", actor_user=actor.id, actor_label=actor.name,
                           target_type="survey_campaign", target_id=cid, address=actor.address,
                           after={"name": name, "service_type": service_type, "from": period_from, "to": period_to,
                                  "total": total})
    return cid


async def set_campaign_status(tenant_id: Any, campaign_id: Any, status: str, actor: Any) -> None:
    cid = parse_uuid(campaign_id)
    before = {"running": "paused", "paused": "running"}[status]
    async with tenant_scope(tenant_id):
        if cid is None or not await queries.campaign_exists(cid):
            raise NotFound(campaign_id)
        if await queries.change_campaign_status(cid, status, before):
            await audit.record(tenant_id, f"surveys.campaign_{'resumed' if status == 'running' else 'paused'}",
                               actor_user=actor.id, actor_label=actor.name, target_type="survey_campaign",
                               target_id=cid, address=actor.address)


async def campaign_progress(tenant_id: Any, campaign_id: Any) -> Campaign:
    cid = parse_uuid(campaign_id)
    if cid is None:
        raise NotFound(campaign_id)
    async with tenant_scope(tenant_id):
        found = await queries.campaign_with_progress(cid)
    if found is None:
        raise NotFound(campaign_id)
    return found


async def campaign_step(tenant: Any, campaign_id: uuid.UUID, batch: int = CAMPAIGN_BATCH) -> int:
    """Invite the next batch of a running campaign; a paused or finished one is left alone."""
    return (await _campaign_batch(tenant, campaign_id, batch))[0]


async def _campaign_batch(tenant: Any, campaign_id: uuid.UUID, batch: int) -> tuple[int, bool]:
    """(invited, whether it has more to do now): one transaction, so progress shows as it goes
    and a pause takes effect at the next batch."""
    async with tenant_scope(tenant.id):
        c = await queries.lock_running_campaign(campaign_id)
        if c is None:  # paused, done, or another worker has this batch
            return 0, False
        targets = await queries.campaign_targets(c, batch)
        invited = len(await invite_many_in_scope(tenant, c.survey, [t.person(delivery=False) for t in targets],
                                                 campaign=c.id))
        done = len(targets) < batch
        await queries.advance_campaign(c.id, len(targets), targets[-1].beneficiary if targets else None, done)
    return invited, not done


async def run_campaigns(budget: float = CAMPAIGN_TICK_SECONDS) -> int:
    """The beat's tick: batches of every running campaign, in turn, for `budget` seconds (found
    across tenants: no personal data)."""
    deadline = time.monotonic() + budget
    async with platform_scope("survey campaigns"):
        running = await queries.running_campaigns_across_tenants()
    tenants = {tid: await queries.tenant_info(tid) for tid in {tid for _, tid in running}}
    total, active = 0, list(running)
    while active and time.monotonic() < deadline:
        for row in list(active):
            invited, more = await _campaign_batch(tenants[row[1]], row[0], CAMPAIGN_BATCH)
            total += invited
            if not more:
                active.remove(row)
    return total


# --- answering ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Opened:
    """A personal link that may still be answered: its invitation and the survey to answer."""

    invitation: Invitation
    survey: Survey


async def open_link(tenant_id: Any, token: str) -> Opened:
    """The invitation and its survey for a personal link on this tenant's host, or LinkProblem."""
    if not token or len(token) != TOKEN_LENGTH or not TOKEN_RE.fullmatch(token):
        raise LinkProblem("unknown")
    async with tenant_scope(tenant_id):
        inv = await _open_invitation(token)
        return Opened(inv, await get_survey_in_scope(inv.survey))


async def _open_invitation(token: str, *, lock: bool = False) -> Invitation:
    """The invitation behind a link if it may still be answered, else LinkProblem saying why."""
    inv = await queries.invitation_by_token_hash(token_hash(token), lock=lock)
    if inv is None:
        raise LinkProblem("unknown")
    if inv.answered:
        raise LinkProblem("answered")
    if inv.expires_at <= _now():
        raise LinkProblem("expired")
    return inv


def low_scores(questions: list[dict[str, Any]], answers: dict[str, dict[str, Any]], settings: SurveySettings,
               lang: str) -> list[str]:
    out = []
    for q in questions:
        a = answers.get(q["key"])
        if not a or a.get("score") is None:
            continue
        limit = settings.low_rating if q["type"] == "rating" else settings.low_nps if q["type"] == "nps" else None
        if limit is not None and a["score"] <= limit:
            out.append(f"{q['text'][lang]}: {a['score']}")
    return out


async def submit_answers(tenant: Any, token: str, answers: dict[str, dict[str, Any]], anonymous: bool) -> uuid.UUID:
    """Store the answers once: the link is used up in the same transaction (a second submission,
    even a concurrent one, finds it answered)."""
    async with tenant_scope(tenant.id):
        inv = await _open_invitation(token, lock=True)
        survey = await get_survey_in_scope(inv.survey)
        anonymous = anonymous and survey.anonymous_allowed
        rid = await queries.insert_response(tenant.id, survey, inv, anonymous=anonymous)
        for key, a in answers.items():
            await queries.insert_answer(tenant.id, rid, key, a)
        # An anonymous answer leaves no time on the invitation (and the response keeps only its
        # day): no column, timestamp or id can join the two.
        await queries.set_answered(inv.id, None if anonymous else _now())
        low = low_scores(survey.questions, answers, await queries.settings(), "ar")
        if low:
            comment = next((a["text"] for a in answers.values() if a["type"] == "text" and a.get("text")), "")
            with i18n.language("ar"):
                body = "\n".join([i18n.gettext("Low scores in a satisfaction survey:"), *low,
                                  *([i18n.gettext("Their comment: %(text)s", text=comment)] if comment else []),
                                  *([] if not anonymous else [i18n.gettext("Answered anonymously: no contact.")])])
            name = "" if anonymous else await queries.beneficiary_name(inv.beneficiary)
            await open_followup_in_scope(tenant.id, rid, body, name=name,
                                         mobile="" if anonymous else inv.mobile,
                                         email="" if anonymous else inv.email, channel=inv.channel,
                                         language=inv.language)
    return rid
