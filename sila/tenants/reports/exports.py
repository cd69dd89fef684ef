"""Exports staff open in a spreadsheet: requests, beneficiaries, complaints and suggestions, survey
answers; as CSV or XLSX (`sila.platform.spreadsheet`: right-to-left sheets, formulas escaped).

ID numbers are masked to their last four digits unless the exporter may reveal them (the same
roles as the file's "show the full number", never platform support); every export is audited
with what was exported, how many rows and whether full ID numbers went out."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from sila.platform import audit, crypto, i18n
from sila.platform.dates import to_riyadh
from sila.platform.db import tenant_scope
from sila.platform.i18n import N_
from sila.platform.identity import mask_id
from sila.platform.roles import Role
from sila.tenants.policy import custom_fields
from sila.tenants.policy import services as policy_services
from sila.tenants.reports.period import Period

ID_FIELD = crypto.column_field("beneficiary", "id_number_enc", {})
REVEALERS = (Role.relations_officer, Role.social_researcher, Role.admin)  # as the beneficiary file's reveal
FORMATS = ("csv", "xlsx")


@dataclasses.dataclass(frozen=True)
class Export:
    code: str
    title: str  # msgid
    roles: tuple[Role, ...]
    by_period: bool


EXPORTS = {e.code: e for e in (
    Export("requests", N_("Support requests"), (Role.admin, Role.relations_officer), True),
    Export("beneficiaries", N_("Beneficiaries"), (Role.admin, Role.relations_officer, Role.social_researcher), False),
    Export("feedback", N_("Suggestions and complaints"), (Role.admin, Role.relations_officer), True),
    Export("survey_answers", N_("Survey answers"), (Role.admin,), True),
)}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _when(value: Any) -> str:
    return "" if value is None else to_riyadh(value).strftime("%Y-%m-%d %H:%M")


@dataclasses.dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]


async def _requests(c: Any, period: Period, tid: Any, reveal: bool) -> Table:
    from sila.tenants.requests.workflow import STAGE_LABELS

    rows = await c.fetch(
        """select r.reference, r.submitted_at, r.channel_label, r.stage, r.decision, r.decided_at, r.due_at,
                  r.need, b.name, b.id_last4, b.category, a.name as assignee, r.policy_version_number,
                  r.custom_answers
           from support_request r join beneficiary b on b.id = r.beneficiary
           left join staff_user a on a.id = r.assignee
           where r.submitted_at >= $1 and r.submitted_at < $2 order by r.submitted_at""", period.start, period.end)
    g = i18n.gettext
    lang = i18n.get_language()
    # The charity's own questions: a column each, every request read with its pinned version's.
    versions = await policy_services.form_questions_in_scope()
    columns = custom_fields.export_columns(versions, lang)
    return Table([g("Reference"), g("Received"), g("Channel"), g("Stage"), g("Decision"), g("Decided"),
                  g("Decision due"), g("Need"), g("Beneficiary"), g("ID number"), g("Category"), g("Assigned to")]
                 + [header for _, header in columns],
                 [[r["reference"], _when(r["submitted_at"]), r["channel_label"], g(STAGE_LABELS.get(r["stage"], r["stage"])),
                   r["decision"] or "", _when(r["decided_at"]), _when(r["due_at"]), r["need"], r["name"],
                   mask_id(r["id_last4"]), r["category"], r["assignee"] or ""]
                  + custom_fields.export_cells(columns, versions.get(r["policy_version_number"], []),
                                               _json(r["custom_answers"]), lang) for r in rows])


async def _beneficiaries(c: Any, period: Period, tid: Any, reveal: bool) -> Table:
    rows = await c.fetch(
        """select name, id_number_enc, id_last4, id_kind, mobile, email, city, category, household_size,
                  registered_at, created_at from beneficiary order by created_at""")
    g = i18n.gettext
    return Table([g("Name"), g("ID number"), g("ID type"), g("Mobile"), g("Email"), g("City"), g("Category"),
                  g("Household size"), g("Registered"), g("File opened")],
                 [[r["name"], crypto.decrypt(tid, ID_FIELD, bytes(r["id_number_enc"])) if reveal
                   else mask_id(r["id_last4"]), r["id_kind"], r["mobile"], r["email"], r["city"], r["category"],
                   r["household_size"] if r["household_size"] is not None else "", _when(r["registered_at"]),
                   _when(r["created_at"])] for r in rows])


async def _feedback(c: Any, period: Period, tid: Any, reveal: bool) -> Table:
    from sila.tenants.feedback.services import KINDS, STATUSES

    rows = await c.fetch(
        """select reference, kind, status, created_at, body, name, mobile, email, answer, answered_at, closed_at
           from feedback where created_at >= $1 and created_at < $2 order by created_at""", period.start, period.end)
    g = i18n.gettext
    return Table([g("Reference"), g("Type"), g("Status"), g("Received"), g("Text"), g("Name"), g("Mobile"),
                  g("Email"), g("Answer"), g("Answered"), g("Closed")],
                 [[r["reference"], g(KINDS.get(r["kind"], r["kind"])), g(STATUSES.get(r["status"], r["status"])),
                   _when(r["created_at"]), r["body"], r["name"], r["mobile"], r["email"], r["answer"],
                   _when(r["answered_at"]), _when(r["closed_at"])] for r in rows])


async def _survey_answers(c: Any, period: Period, tid: Any, reveal: bool) -> Table:
    rows = await c.fetch(
        """select left(r.id::text, 8) as response, s.title_ar, s.title_en, r.submitted_on, r.service_type,
                  r.intake_channel, r.anonymous, a.question, a.qtype, a.score, a.text
           from survey_response r join survey s on s.id = r.survey join survey_answer a on a.response = r.id
           where r.submitted_on >= $1 and r.submitted_on < $2 order by r.submitted_on, r.id, a.question""",
        period.first_day, period.end_day)
    g = i18n.gettext
    en = i18n.get_language() == "en"
    return Table([g("Response"), g("Survey"), g("Day"), g("Service"), g("Channel"), g("Anonymous"), g("Question"),
                  g("Type"), g("Score"), g("Text")],
                 [[r["response"], (r["title_en"] if en and r["title_en"] else r["title_ar"]), r["submitted_on"].isoformat(),
                   r["service_type"], r["intake_channel"], g("Yes") if r["anonymous"] else g("No"), r["question"],
                   r["qtype"], r["score"] if r["score"] is not None else "", r["text"]] for r in rows])


BUILDERS: dict[str, Callable[..., Any]] = {"requests": _requests, "beneficiaries": _beneficiaries,
                                           "feedback": _feedback, "survey_answers": _survey_answers}


async def build(tenant_id: Any, code: str, period: Period, *, reveal: bool, user: Any, fmt: str,
                address: str) -> Table:
    """The rows of one export, and its audit entry, in one transaction."""
    export = EXPORTS[code]
    async with tenant_scope(tenant_id) as tx:
        table = await BUILDERS[code](tx.connection, period, tenant_id, reveal and code == "beneficiaries")
        await audit.record(tenant_id, f"export.{code}", **audit.actor_fields(user), target_type="export", target_id=code, address=address,
                           after={"format": fmt, "rows": len(table.rows),
                                  "period": [period.first_day, period.last_day] if export.by_period else None,
                                  "full_id_numbers": bool(reveal and code == "beneficiaries")})
    return table
