"""The survey area's data access, in the open tenant scope: Piccolo's query builder where it says the
query plainly, raw SQL where it is the better tool (batches over `unnest`, locks, `on conflict`), reads
returned as typed records. The services call these; none opens a scope (the campaign tick's one
cross-tenant read says so in its name)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

from sila.platform.db import current_connection, json_value
from sila.platform.tables import Tenant
from sila.platform.tenancy import TenantInfo

SETTINGS = ("auto_send", "delay_days", "reminder_days", "min_staff_answers", "low_rating", "low_nps")
SURVEY_COLUMNS = ("s.id, s.tenant, s.title_ar, s.title_en, s.intro_ar, s.intro_en, s.anonymous_allowed, s.is_active, "
                  "s.current_version, s.created_at, s.updated_at")
CAMPAIGN_COLUMNS = ("c.id, c.tenant, c.survey, c.name, c.service_type, c.period_from, c.period_to, c.status, c.total, "
                    "c.invited, c.cursor, c.created_by, c.created_at, c.finished_at")
TITLES = "s.title_ar, s.title_en"  # the campaign's survey, where the read joins it
INVITATION_COLUMNS = ("id, survey, beneficiary, request, service_delivery, campaign, service_type, intake_channel, "
                      "staff, channel, language, mobile, email, sent_at, reminded_at, answered, expires_at")


@dataclasses.dataclass(frozen=True)
class SurveySettings:
    auto_send: bool = True
    delay_days: int = 2
    reminder_days: int = 3
    min_staff_answers: int = 5
    low_rating: int = 2
    low_nps: int = 4
    auto_since: dt.datetime | None = None  # automatic sending surveys services recorded from then on

    def values(self) -> dict[str, Any]:
        """The settings an admin edits, by name (the form's and the audit entry's shape)."""
        return {f: getattr(self, f) for f in SETTINGS}


@dataclasses.dataclass(frozen=True)
class SurveyTexts:
    """What the admin writes and sets on a survey, apart from its questions."""

    title_ar: str
    title_en: str
    intro_ar: str
    intro_en: str
    anonymous_allowed: bool
    is_active: bool


@dataclasses.dataclass(frozen=True)
class Survey(SurveyTexts):
    """A survey; `questions` (its current version's) and the answer counts where the read joins them."""

    id: uuid.UUID
    tenant: uuid.UUID
    current_version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    questions: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    answered: int = 0  # responses to the current version
    responses: int = 0  # responses to any version


@dataclasses.dataclass(frozen=True)
class Campaign:
    id: uuid.UUID
    tenant: uuid.UUID
    survey: uuid.UUID
    name: str
    service_type: str
    period_from: dt.date
    period_to: dt.date
    status: str
    total: int
    invited: int
    cursor: uuid.UUID | None
    created_by: uuid.UUID | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    title_ar: str = ""
    title_en: str = ""
    delivered: int = 0
    answered: int = 0

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.invited / self.total))


@dataclasses.dataclass(frozen=True)
class Invitation:
    id: uuid.UUID
    survey: uuid.UUID
    beneficiary: uuid.UUID
    request: uuid.UUID | None
    service_delivery: uuid.UUID | None
    campaign: uuid.UUID | None
    service_type: str
    intake_channel: str
    staff: uuid.UUID | None
    channel: str
    language: str
    mobile: str
    email: str
    sent_at: dt.datetime
    reminded_at: dt.datetime | None
    answered: bool
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Served:
    """A service delivered, with the contact its request gave: whom a survey goes to."""

    id: uuid.UUID
    request: uuid.UUID
    beneficiary: uuid.UUID
    service_type: str
    delivered_by: uuid.UUID | None
    channel_label: str
    contact_mobile: str | None
    contact_email: str | None
    contact_channel: str | None
    contact_language: str | None

    def person(self, *, delivery: bool) -> dict[str, Any]:
        """The invitation's person (`delivery`: tied to this service, as the automatic survey is)."""
        return dict(beneficiary=self.beneficiary, channel=self.contact_channel, language=self.contact_language,
                    mobile=self.contact_mobile, email=self.contact_email, request=self.request,
                    **({"delivery": self.id} if delivery else {}), service_type=self.service_type,
                    intake_channel=self.channel_label, staff=self.delivered_by)


# --- surveys and settings -------------------------------------------------------------------------


async def first_survey() -> uuid.UUID | None:
    return await current_connection().fetchval("select id from survey order by created_at limit 1")


async def lock_default_survey(tenant_id: Any) -> None:
    """One default survey per tenant, however many ask at once."""
    await current_connection().execute("select pg_advisory_xact_lock(hashtext('sila-default-survey:' || $1::text))",
                                       str(tenant_id))


async def insert_survey(tenant_id: Any, texts: dict[str, str], questions: list[dict[str, Any]], *,
                        active: bool) -> uuid.UUID:
    """A survey and its first version."""
    conn = current_connection()
    sid = await conn.fetchval(
        """insert into survey (tenant, title_ar, title_en, intro_ar, intro_en, is_active)
           values ($1, $2, $3, $4, $5, $6) returning id""",
        tenant_id, texts["title_ar"], texts["title_en"], texts["intro_ar"], texts["intro_en"], active)
    await insert_version(tenant_id, sid, 1, questions)
    return sid


async def insert_version(tenant_id: Any, survey_id: uuid.UUID, number: int,
                         questions: list[dict[str, Any]]) -> None:
    await current_connection().execute(
        "insert into survey_version (tenant, survey, number, questions) values ($1, $2, $3, $4::jsonb)",
        tenant_id, survey_id, number, json.dumps(questions, ensure_ascii=False))


async def set_version_questions(survey_id: uuid.UUID, number: int, questions: list[dict[str, Any]]) -> None:
    await current_connection().execute(
        "update survey_version set questions = $3::jsonb where survey = $1 and number = $2",
        survey_id, number, json.dumps(questions, ensure_ascii=False))


async def settings() -> SurveySettings:
    row = await current_connection().fetchrow(f"select {', '.join(SETTINGS)}, auto_since from survey_settings")
    return SurveySettings(**dict(row)) if row else SurveySettings()


async def ensure_settings(tenant_id: Any) -> None:
    await current_connection().execute(
        "insert into survey_settings (tenant) values ($1) on conflict (tenant) do nothing", tenant_id)


async def save_settings(tenant_id: Any, values: dict[str, Any], *, start_auto_now: bool) -> None:
    """`start_auto_now`: automatic sending was just turned on, and never reaches back before now."""
    since = "now()" if start_auto_now else "survey_settings.auto_since"
    await current_connection().execute(
        f"""insert into survey_settings (tenant, {', '.join(SETTINGS)}) values ($1, $2, $3, $4, $5, $6, $7)
            on conflict (tenant) do update set {', '.join(f'{f} = excluded.{f}' for f in SETTINGS)},
            auto_since = {since}, updated_at = now()""",
        tenant_id, *(values[f] for f in SETTINGS))


async def surveys_with_counts() -> list[Survey]:
    rows = await current_connection().fetch(
        f"""select {SURVEY_COLUMNS}, (select count(*) from survey_response r where r.survey = s.id) as responses
            from survey s order by s.created_at""")
    return [Survey(**dict(r)) for r in rows]


async def recent_campaigns(limit: int = 20) -> list[Campaign]:
    rows = await current_connection().fetch(
        f"""select {CAMPAIGN_COLUMNS}, {TITLES} from survey_campaign c join survey s on s.id = c.survey
            order by c.created_at desc limit {int(limit)}""")
    return [Campaign(**dict(r)) for r in rows]


async def service_types() -> list[str]:
    return [r["service_type"] for r in await current_connection().fetch(
        "select distinct service_type from service_delivery order by 1")]


async def survey(survey_id: uuid.UUID) -> Survey | None:
    """The survey with its current questions and how many answered them."""
    row = await current_connection().fetchrow(
        f"""select {SURVEY_COLUMNS}, v.questions, (select count(*) from survey_response r where r.survey = s.id
              and r.version = s.current_version) as answered
            from survey s join survey_version v on v.survey = s.id and v.number = s.current_version
            where s.id = $1""", survey_id)
    return Survey(**{**dict(row), "questions": json_value(row["questions"])}) if row else None


async def lock_survey(survey_id: uuid.UUID) -> None:
    await current_connection().execute("select 1 from survey where id = $1 for update", survey_id)


async def survey_exists(survey_id: uuid.UUID) -> bool:
    return bool(await current_connection().fetchval("select 1 from survey where id = $1", survey_id))


async def active_survey() -> uuid.UUID | None:
    return await current_connection().fetchval("select id from survey where is_active")


async def deactivate_others(survey_id: uuid.UUID) -> None:
    await current_connection().execute("update survey set is_active = false where id <> $1 and is_active", survey_id)


async def update_survey(survey_id: uuid.UUID, texts: dict[str, str], *, anonymous_allowed: bool, is_active: bool,
                        version: int) -> None:
    await current_connection().execute(
        """update survey set title_ar = $2, title_en = $3, intro_ar = $4, intro_en = $5, anonymous_allowed = $6,
             is_active = $7, current_version = $8, updated_at = now() where id = $1""",
        survey_id, texts["title_ar"], texts["title_en"], texts["intro_ar"], texts["intro_en"], anonymous_allowed,
        is_active, version)


# --- invitations ---------------------------------------------------------------------------------


async def insert_invitations(tenant_id: Any, survey_id: uuid.UUID, campaign: Any, link_days: int,
                             ids: list[uuid.UUID], people: list[dict[str, Any]],
                             token_hashes: list[str]) -> set[uuid.UUID]:
    """One statement for the batch; those this service or campaign already invited are skipped. The
    ids written."""
    def col(key: str) -> list[Any]:
        return [p.get(key) for p in people]

    def text(key: str) -> list[str]:
        return [p.get(key) or "" for p in people]

    return {r["id"] for r in await current_connection().fetch(
        """insert into survey_invitation (id, tenant, survey, beneficiary, request, service_delivery, campaign,
             service_type, intake_channel, staff, channel, language, mobile, email, token_hash, expires_at)
           select i.id, $1, $2, i.beneficiary, i.request, i.delivery, $3, i.service_type, i.intake_channel, i.staff,
                  i.channel, i.language, i.mobile, i.email, i.token_hash, now() + $4 * interval '1 day'
           from unnest($5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[], $9::text[], $10::text[], $11::uuid[],
                       $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
                as i(id, beneficiary, request, delivery, service_type, intake_channel, staff, channel, language,
                     mobile, email, token_hash)
           on conflict do nothing returning id""",
        tenant_id, survey_id, campaign, link_days, ids, col("beneficiary"), col("request"), col("delivery"),
        text("service_type"), text("intake_channel"), col("staff"), col("channel"), col("language"), text("mobile"),
        text("email"), token_hashes)}


async def set_invitation_outboxes(ids: list[uuid.UUID], outboxes: list[Any]) -> None:
    await current_connection().execute(
        """update survey_invitation i set outbox = u.outbox from unnest($1::uuid[], $2::uuid[]) as u(id, outbox)
           where i.id = u.id""", ids, outboxes)


SQL_DUE_SERVICES = """
    select sd.id, sd.request, sd.beneficiary, sd.service_type, sd.delivered_by, r.channel_label, r.contact_mobile,
           r.contact_email, r.contact_channel, r.contact_language
    from service_delivery sd join support_request r on r.id = sd.request
    where sd.recorded_at >= $1
      and r.imported_from is null  -- a past request imported from a spreadsheet is never surveyed
      and sd.recorded_at > now() - ($2 + 14) * interval '1 day'
      -- delay days after the service: its day (Riyadh), but never before it was recorded
      and greatest(sd.recorded_at, sd.delivered_on::timestamp at time zone 'Asia/Riyadh')
          + $2 * interval '1 day' <= now()
      and not exists (select 1 from survey_invitation i where i.service_delivery = sd.id)
      and not exists (select 1 from survey_invitation i where i.beneficiary = sd.beneficiary
                      and i.created_at > now() - $3 * interval '1 day')
    order by sd.recorded_at limit 200
"""


async def due_services(since: dt.datetime, delay_days: int, dedupe_days: int) -> list[Served]:
    """Services whose survey is due, at most one per person in `dedupe_days`."""
    return [Served(**dict(r)) for r in await current_connection().fetch(
        SQL_DUE_SERVICES, since, delay_days, dedupe_days)]


async def due_reminders(reminder_days: int) -> list[Invitation]:
    """Invitations still open `reminder_days` after they were sent and never reminded, locked."""
    rows = await current_connection().fetch(
        f"""select {INVITATION_COLUMNS} from survey_invitation where not answered and reminded_at is null
            and expires_at > now() and sent_at <= now() - $1 * interval '1 day'
            for update skip locked limit 200""", reminder_days)
    return [Invitation(**dict(r)) for r in rows]


async def set_reminded(invitation_id: uuid.UUID, outbox: Any) -> None:
    await current_connection().execute(
        "update survey_invitation set reminded_at = now(), reminder_outbox = $2 where id = $1", invitation_id, outbox)


async def invitation_by_token_hash(digest: str, *, lock: bool = False) -> Invitation | None:
    row = await current_connection().fetchrow(
        f"select {INVITATION_COLUMNS} from survey_invitation where token_hash = $1{' for update' if lock else ''}",
        digest)
    return Invitation(**dict(row)) if row else None


# --- campaigns ---------------------------------------------------------------------------------------

SQL_CAMPAIGN_TARGETS = """
    select distinct on (sd.beneficiary) sd.beneficiary, sd.id, sd.request, sd.service_type, sd.delivered_by,
           r.channel_label, r.contact_mobile, r.contact_email, r.contact_channel, r.contact_language
    from service_delivery sd join support_request r on r.id = sd.request
    where sd.delivered_on between $1 and $2 and ($3 = '' or sd.service_type = $3)
      and r.imported_from is null  -- nor past requests imported from a spreadsheet
      and ($4::uuid is null or sd.beneficiary > $4)
    order by sd.beneficiary, sd.delivered_on desc
"""


async def count_campaign_targets(period_from: dt.date, period_to: dt.date, service_type: str) -> int:
    return await current_connection().fetchval(f"select count(*) from ({SQL_CAMPAIGN_TARGETS}) t", period_from,
                                               period_to, service_type, None)


async def campaign_targets(c: Campaign, limit: int) -> list[Served]:
    """The next people of a campaign after its cursor, one service each (their latest in the period)."""
    rows = await current_connection().fetch(f"{SQL_CAMPAIGN_TARGETS} limit {int(limit)}", c.period_from,
                                            c.period_to, c.service_type, c.cursor)
    return [Served(**dict(r)) for r in rows]


async def insert_campaign(tenant_id: Any, survey_id: uuid.UUID, name: str, service_type: str,
                          period_from: dt.date, period_to: dt.date, total: int, created_by: Any) -> uuid.UUID:
    """Running, or done at once when there is nobody to invite."""
    return await current_connection().fetchval(
        """insert into survey_campaign (tenant, survey, name, service_type, period_from, period_to, total,
             status, created_by, finished_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, case when $7 = 0 then now() end) returning id""",
        tenant_id, survey_id, name, service_type, period_from, period_to, total, "running" if total else "done",
        created_by)


async def campaign_exists(campaign_id: uuid.UUID) -> bool:
    return bool(await current_connection().fetchval("select 1 from survey_campaign where id = $1", campaign_id))


async def change_campaign_status(campaign_id: uuid.UUID, status: str, before: str) -> bool:
    """Whether it changed (it was `before`)."""
    return bool(await current_connection().fetchval(
        "update survey_campaign set status = $2 where id = $1 and status = $3 returning 1", campaign_id, status,
        before))


async def campaign_with_progress(campaign_id: uuid.UUID) -> Campaign | None:
    row = await current_connection().fetchrow(
        f"""select {CAMPAIGN_COLUMNS}, {TITLES},
              (select count(*) from survey_invitation i join outbox o on o.id = i.outbox
               where i.campaign = c.id and o.status = 'sent') as delivered,
              (select count(*) from survey_invitation i where i.campaign = c.id and i.answered) as answered
            from survey_campaign c join survey s on s.id = c.survey where c.id = $1""", campaign_id)
    return Campaign(**dict(row)) if row else None


async def lock_running_campaign(campaign_id: uuid.UUID) -> Campaign | None:
    """None when paused, done, or another worker has this batch."""
    row = await current_connection().fetchrow(
        f"""select {CAMPAIGN_COLUMNS} from survey_campaign c
            where c.id = $1 and c.status = 'running' for update skip locked""", campaign_id)
    return Campaign(**dict(row)) if row else None


async def advance_campaign(campaign_id: uuid.UUID, taken: int, cursor: uuid.UUID | None, done: bool) -> None:
    await current_connection().execute(
        """update survey_campaign set invited = invited + $2, cursor = coalesce($3, cursor),
             status = case when $4 then 'done' else status end,
             finished_at = case when $4 then now() else finished_at end where id = $1""",
        campaign_id, taken, cursor, done)


async def running_campaigns_across_tenants() -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(campaign, tenant) of every running campaign of an active tenant: in a platform scope, no personal data."""
    rows = await current_connection().fetch(
        """select c.id, c.tenant from survey_campaign c join tenant t on t.id = c.tenant
           where c.status = 'running' and t.status = 'active'""")
    return [(r["id"], r["tenant"]) for r in rows]


async def tenant_info(tenant_id: Any) -> TenantInfo:
    t = await Tenant.select(Tenant.id, Tenant.slug, Tenant.kind, Tenant.name_ar, Tenant.name_en, Tenant.status,
                            Tenant.status_reason).where(Tenant.id == tenant_id).first()
    assert t is not None, tenant_id  # a campaign's tenant (foreign key)
    return TenantInfo(**t)


async def active_tenants() -> list[TenantInfo]:
    rows = await Tenant.select(Tenant.id, Tenant.slug, Tenant.kind, Tenant.name_ar, Tenant.name_en, Tenant.status,
                               Tenant.status_reason).where(Tenant.status == "active")
    return [TenantInfo(**row) for row in rows]


# --- answering ---------------------------------------------------------------------------------------


async def insert_response(tenant_id: Any, survey: Survey, inv: Invitation, *, anonymous: bool) -> uuid.UUID:
    """An anonymous response keeps neither the invitation nor the person."""
    return await current_connection().fetchval(
        """insert into survey_response (tenant, survey, version, invitation, beneficiary, anonymous, service_type,
             intake_channel, staff, campaign) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id""",
        tenant_id, inv.survey, survey.current_version, None if anonymous else inv.id,
        None if anonymous else inv.beneficiary, anonymous, inv.service_type, inv.intake_channel, inv.staff,
        inv.campaign)


async def insert_answer(tenant_id: Any, response_id: uuid.UUID, key: str, answer: dict[str, Any]) -> None:
    await current_connection().execute(
        """insert into survey_answer (tenant, response, question, qtype, score, text)
           values ($1, $2, $3, $4, $5, $6)""", tenant_id, response_id, key, answer["type"], answer.get("score"),
        answer.get("text", ""))


async def set_answered(invitation_id: uuid.UUID, answered_at: dt.datetime | None) -> None:
    await current_connection().execute(
        "update survey_invitation set answered = true, answered_at = $2 where id = $1", invitation_id, answered_at)


async def beneficiary_name(beneficiary_id: uuid.UUID) -> str:
    return await current_connection().fetchval("select name from beneficiary where id = $1", beneficiary_id) or ""


# --- results ---------------------------------------------------------------------------------------
# One filter for every results read: the survey, then the period, service and channel chosen. Raw SQL:
# the reads group and join answers to responses, which Piccolo's builder does not say more plainly.


@dataclasses.dataclass
class Filters:
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    service: str = ""
    channel: str = ""


@dataclasses.dataclass(frozen=True)
class Rated:
    """The average rating and the number of responses of one group (a month, a service, a channel)."""

    g: Any
    value: float | None
    n: int


@dataclasses.dataclass(frozen=True)
class ScoreCount:
    question: str
    score: int
    n: int


@dataclasses.dataclass(frozen=True)
class TextAnswer:
    question: str
    text: str
    submitted_on: dt.date
    service_type: str


@dataclasses.dataclass(frozen=True)
class StaffRating:
    staff: uuid.UUID
    name: str | None
    value: float | None
    n: int


@dataclasses.dataclass(frozen=True)
class ResponseRow:
    id: uuid.UUID
    submitted_on: dt.date
    version: int
    service_type: str
    intake_channel: str
    anonymous: bool


@dataclasses.dataclass(frozen=True)
class AnswerRow:
    response: uuid.UUID
    question: str
    qtype: str
    score: int | None
    text: str


# What a rating read may group by: constants, never the visitor's words.
GROUPS = {"month": "date_trunc('month', r.submitted_on)::date", "service": "r.service_type",
          "channel": "r.intake_channel"}


def _where(survey_id: uuid.UUID, f: Filters) -> tuple[str, list[Any]]:
    where, args = ["r.survey = $1"], [survey_id]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.period_from:
        where.append(f"r.submitted_on >= {arg(f.period_from)}::date")
    if f.period_to:
        where.append(f"r.submitted_on <= {arg(f.period_to)}::date")
    if f.service:
        where.append(f"r.service_type = {arg(f.service)}")
    if f.channel:
        where.append(f"r.intake_channel = {arg(f.channel)}")
    return " and ".join(where), args


async def questions_of(survey_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """Every question ever asked in this survey, by key; the latest wording wins."""
    out: dict[str, dict[str, Any]] = {}
    for v in await current_connection().fetch(
            "select questions from survey_version where survey = $1 order by number", survey_id):
        for q in json_value(v["questions"]):
            out.pop(q["key"], None)
            out[q["key"]] = q
    return out


async def response_count(survey_id: uuid.UUID, f: Filters) -> int:
    where, args = _where(survey_id, f)
    return await current_connection().fetchval(f"select count(*) from survey_response r where {where}", *args)


async def overall_rating(survey_id: uuid.UUID, f: Filters) -> float | None:
    where, args = _where(survey_id, f)
    return await current_connection().fetchval(
        f"""select avg(a.score)::float from survey_response r join survey_answer a on a.response = r.id
            and a.qtype = 'rating' where {where}""", *args)


async def ratings_by(survey_id: uuid.UUID, f: Filters, group: str) -> list[Rated]:
    """The average rating per `group` (a key of GROUPS), in its order."""
    where, args = _where(survey_id, f)
    rows = await current_connection().fetch(
        f"""select {GROUPS[group]} as g, avg(a.score)::float as value, count(distinct r.id) as n
            from survey_response r join survey_answer a on a.response = r.id and a.qtype = 'rating'
            where {where} group by 1 order by 1""", *args)
    return [Rated(**dict(r)) for r in rows]


async def score_counts(survey_id: uuid.UUID, f: Filters) -> list[ScoreCount]:
    where, args = _where(survey_id, f)
    rows = await current_connection().fetch(
        f"""select a.question, a.score, count(*) as n from survey_response r join survey_answer a
            on a.response = r.id where {where} and a.score is not null group by 1, 2""", *args)
    return [ScoreCount(**dict(r)) for r in rows]


async def text_answers(survey_id: uuid.UUID, f: Filters, limit: int = 100) -> list[TextAnswer]:
    """The latest written answers."""
    where, args = _where(survey_id, f)
    rows = await current_connection().fetch(
        f"""select a.question, a.text, r.submitted_on, r.service_type from survey_response r
            join survey_answer a on a.response = r.id
            where {where} and a.qtype = 'text' and a.text <> '' order by r.submitted_on desc limit {int(limit)}""",
        *args)
    return [TextAnswer(**dict(r)) for r in rows]


async def staff_ratings(survey_id: uuid.UUID, f: Filters) -> list[StaffRating]:
    where, args = _where(survey_id, f)
    rows = await current_connection().fetch(
        f"""select r.staff, u.name, avg(a.score)::float as value, count(distinct r.id) as n
            from survey_response r join survey_answer a on a.response = r.id and a.qtype = 'rating'
            left join staff_user u on u.id = r.staff
            where {where} and r.staff is not null group by 1, 2""", *args)
    return [StaffRating(**dict(r)) for r in rows]


async def answered_service_types(survey_id: uuid.UUID) -> list[str]:
    """The services this survey's responses name (the filter's choices)."""
    return [r["service_type"] for r in await current_connection().fetch(
        "select distinct service_type from survey_response where survey = $1 and service_type <> '' order by 1",
        survey_id)]


async def answered_channels(survey_id: uuid.UUID) -> list[str]:
    return [r["intake_channel"] for r in await current_connection().fetch(
        "select distinct intake_channel from survey_response where survey = $1 and intake_channel <> '' order by 1",
        survey_id)]


async def responses(survey_id: uuid.UUID, f: Filters) -> list[ResponseRow]:
    where, args = _where(survey_id, f)
    rows = await current_connection().fetch(
        f"""select r.id, r.submitted_on, r.version, r.service_type, r.intake_channel, r.anonymous
            from survey_response r where {where} order by r.submitted_on""", *args)
    return [ResponseRow(**dict(r)) for r in rows]


async def answers(survey_id: uuid.UUID, f: Filters) -> list[AnswerRow]:
    where, args = _where(survey_id, f)
    rows = await current_connection().fetch(
        f"""select a.response, a.question, a.qtype, a.score, a.text from survey_response r
            join survey_answer a on a.response = r.id where {where}""", *args)
    return [AnswerRow(**dict(r)) for r in rows]
