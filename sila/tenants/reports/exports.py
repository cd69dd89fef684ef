"""Exports staff open in a spreadsheet: requests, beneficiaries, complaints and suggestions, survey
answers; as CSV or XLSX (`sila.platform.spreadsheet`: right-to-left sheets, formulas escaped).

ID numbers are masked to their last four digits unless the exporter may reveal them (the same
roles as the file's "show the full number", never platform support); every export is audited
with what was exported, how many rows and whether full ID numbers went out.

Exports are read through a server-side cursor, BATCH rows at a time, and leave as they are read
(`spreadsheet.csv_stream`, `spreadsheet.xlsx_file`): a 100,000-row export holds one batch in
memory, not the list (numbers: `python -m bench run --only exports`). The audit entry is
committed before the first byte leaves, so a download broken off half way is still on record."""
from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sila.platform import audit, crypto, i18n
from sila.platform.dates import to_riyadh
from sila.platform.db import json_value, tenant_scope
from sila.platform.i18n import N_
from sila.platform.identity import mask_id
from sila.platform.roles import Role
from sila.tenants.feedback.services import KINDS, STATUSES
from sila.tenants.policy import custom_fields
from sila.tenants.policy import services as policy_services
from sila.tenants.reports.period import Period
from sila.tenants.requests.workflow import STAGE_LABELS

ID_FIELD = crypto.column_field("beneficiary", "id_number_enc", {})
REVEALERS = (Role.relations_officer, Role.social_researcher, Role.admin)  # as the beneficiary file's reveal
FORMATS = ("csv", "xlsx")
BATCH = 500  # rows per round trip of the cursor


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


def _when(value: Any) -> str:
    return "" if value is None else to_riyadh(value).strftime("%Y-%m-%d %H:%M")


@dataclasses.dataclass
class Source:
    """What one export reads: its columns, its query, and how a row becomes the cells of a line."""

    headers: list[str]
    sql: str
    args: tuple[Any, ...]
    cells: Callable[[Any], list[Any]]
    # Columns known only from the database (the charity's own questions): added in the export's
    # tenant scope before anything is read.
    extend: Callable[[Source], Awaitable[None]] | None = None


def _requests(period: Period, tid: Any, reveal: bool) -> Source:
    g = i18n.gettext
    return Source(
        [g("Reference"), g("Received"), g("Channel"), g("Stage"), g("Decision"), g("Decided"),
         g("Decision due"), g("Need"), g("Beneficiary"), g("ID number"), g("Category"), g("Assigned to")],
        """select r.reference, r.submitted_at, r.channel_label, r.stage, r.decision, r.decided_at, r.due_at,
                  r.need, b.name, b.id_last4, b.category, a.name as assignee, r.policy_version_number,
                  r.custom_answers
           from support_request r join beneficiary b on b.id = r.beneficiary
           left join staff_user a on a.id = r.assignee
           where r.submitted_at >= $1 and r.submitted_at < $2 order by r.submitted_at, r.id""",
        (period.start, period.end),
        lambda r: [r["reference"], _when(r["submitted_at"]), r["channel_label"],
                   i18n.gettext(STAGE_LABELS.get(r["stage"], r["stage"])), r["decision"] or "", _when(r["decided_at"]),
                   _when(r["due_at"]), r["need"], r["name"], mask_id(r["id_last4"]), r["category"],
                   r["assignee"] or ""],
        extend=_answer_columns)


async def _answer_columns(source: Source) -> None:
    """A column per question of the charity's own form across its versions, every request read with
    the questions of the version it pins."""
    lang = i18n.get_language()
    versions = await policy_services.form_questions_in_scope()
    columns = custom_fields.export_columns(versions, lang)
    cells = source.cells
    source.headers = source.headers + [header for _, header in columns]
    source.cells = lambda r: cells(r) + custom_fields.export_cells(
        columns, versions.get(r["policy_version_number"], []), json_value(r["custom_answers"]), lang)


def _beneficiaries(period: Period, tid: Any, reveal: bool) -> Source:
    g = i18n.gettext
    return Source(
        [g("Name"), g("ID number"), g("ID type"), g("Mobile"), g("Email"), g("City"), g("Category"),
         g("Household size"), g("Registered"), g("File opened")],
        """select name, id_number_enc, id_last4, id_kind, mobile, email, city, category, household_size,
                  registered_at, created_at from beneficiary order by created_at, id""", (),
        lambda r: [r["name"], crypto.decrypt(tid, ID_FIELD, bytes(r["id_number_enc"])) if reveal
                   else mask_id(r["id_last4"]), r["id_kind"], r["mobile"], r["email"], r["city"], r["category"],
                   r["household_size"] if r["household_size"] is not None else "", _when(r["registered_at"]),
                   _when(r["created_at"])])


def _feedback(period: Period, tid: Any, reveal: bool) -> Source:
    g = i18n.gettext
    return Source(
        [g("Reference"), g("Type"), g("Status"), g("Received"), g("Text"), g("Name"), g("Mobile"),
         g("Email"), g("Answer"), g("Answered"), g("Closed")],
        """select reference, kind, status, created_at, body, name, mobile, email, answer, answered_at, closed_at
           from feedback where created_at >= $1 and created_at < $2 order by created_at, id""",
        (period.start, period.end),
        lambda r: [r["reference"], i18n.gettext(KINDS.get(r["kind"], r["kind"])),
                   i18n.gettext(STATUSES.get(r["status"], r["status"])), _when(r["created_at"]), r["body"], r["name"],
                   r["mobile"], r["email"], r["answer"], _when(r["answered_at"]), _when(r["closed_at"])])


def _survey_answers(period: Period, tid: Any, reveal: bool) -> Source:
    g = i18n.gettext
    en = i18n.get_language() == "en"
    return Source(
        [g("Response"), g("Survey"), g("Day"), g("Service"), g("Channel"), g("Anonymous"), g("Question"),
         g("Type"), g("Score"), g("Text")],
        """select left(r.id::text, 8) as response, s.title_ar, s.title_en, r.submitted_on, r.service_type,
                  r.intake_channel, r.anonymous, a.question, a.qtype, a.score, a.text
           from survey_response r join survey s on s.id = r.survey join survey_answer a on a.response = r.id
           where r.submitted_on >= $1 and r.submitted_on < $2 order by r.submitted_on, r.id, a.question""",
        (period.first_day, period.end_day),
        lambda r: [r["response"], (r["title_en"] if en and r["title_en"] else r["title_ar"]),
                   r["submitted_on"].isoformat(), r["service_type"], r["intake_channel"],
                   i18n.gettext("Yes") if r["anonymous"] else i18n.gettext("No"), r["question"], r["qtype"],
                   r["score"] if r["score"] is not None else "", r["text"]])


SOURCES: dict[str, Callable[[Period, Any, bool], Source]] = {
    "requests": _requests, "beneficiaries": _beneficiaries, "feedback": _feedback, "survey_answers": _survey_answers}


async def start(tenant_id: Any, code: str, period: Period, *, reveal: bool, user: Any, fmt: str,
                address: str) -> Source:
    """Audit one export (committed here, before anything is sent) and return what it reads. The
    entry counts the rows the export holds at this moment."""
    export = EXPORTS[code]
    full_ids = bool(reveal and code == "beneficiaries")
    source = SOURCES[code](period, tenant_id, full_ids)
    async with tenant_scope(tenant_id) as tx:
        if source.extend is not None:
            await source.extend(source)
        count = await tx.connection.fetchval(f"select count(*) from ({source.sql}) q", *source.args)
        await audit.record(tenant_id, f"export.{code}", **audit.actor_fields(user), target_type="export",
                           target_id=code, address=address,
                           after={"format": fmt, "rows": count,
                                  "period": [period.first_day, period.last_day] if export.by_period else None,
                                  "full_id_numbers": full_ids})
    return source


async def rows(tenant_id: Any, source: Source) -> AsyncIterator[list[list[Any]]]:
    """The export's lines, BATCH at a time, from a server-side cursor in one tenant transaction.

    The transaction lives in its own task, handing batches over a queue of two: a streamed
    response's iterator may be dropped unfinished (the browser went away) and finalised later
    in another context, where a scope could not be closed; the reader task is simply cancelled,
    and its scope ends (rolled back) in the task that opened it."""
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=2)

    async def read() -> None:
        try:
            async with tenant_scope(tenant_id) as tx:
                cursor = await tx.connection.cursor(source.sql, *source.args)
                while batch := await cursor.fetch(BATCH):
                    await queue.put([source.cells(r) for r in batch])
            await queue.put(None)
        except Exception as exc:  # handed to the reader of the queue, which raises it
            await queue.put(exc)

    reader = asyncio.create_task(read())
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        reader.cancel()
