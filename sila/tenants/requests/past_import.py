"""A charity's past support requests from its spreadsheet: the requests area's kind of bulk import
(the pipeline — upload, mapping, preview, worker, progress, rejected-rows report, audit — is
`sila.tenants.beneficiaries.imports`; this module says what a row is and how a batch is written).

Per row: the applicant's ID number, the day submitted (Hijri or Gregorian), the kind of support
(and the need in words), the outcome — accepted, declined with its reason, or served with the
service and its day — and an optional amount. Each row becomes one request:

- linked to the beneficiary file with that ID number (the keyed hash look-up); when there is none
  and the row carries the applicant's name and mobile, a file is opened for them (counted apart);
  without them the row is rejected, saying to add them or to import the beneficiaries first;
- with a reference from the request area's generator (the year of submission in front), pinned to
  the tenant's policy version in force (its steps), on the `imported` channel, `imported_from`
  naming the import: no review window (`due_at` NULL), so the queue, reminders, reports and the
  governance numbers never count it overdue or decided late (requests/clock.py, reports/queries.py);
- at its end stage: `closed` (accepted or served, with a service record for served) or `rejected`
  (declined, the reason kept), the decision records as the workflow writes them, decided on the
  decision day given (else the service day, else the day submitted);
- with one stage history entry, `request.imported`, by the admin who uploaded, naming the file.

Written with SQL in bulk, never through intake: no message, no webhook (the trigger skips imported
rows), no survey (the surveys' scans leave imported services out). A request is the same as
another when the ID number, the day submitted and the kind of support are (`import_key`, a keyed
hash, unique per tenant): a second one in the file is rejected naming the first row, one already
imported (this file again, or another) is rejected naming its reference.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

import asyncpg

from sila.platform import crypto, i18n
from sila.platform.dates import RIYADH
from sila.platform.db import tenant_scope
from sila.platform.i18n import N_
from sila.platform.search import name_key
from sila.tenants.beneficiaries import imports
from sila.tenants.beneficiaries.forms import ImportRow
from sila.tenants.requests.forms import PAST_REQUEST_FIELDS, PastRequestRow, check_past_request
from sila.tenants.requests.services.common import new_reference
from sila.tenants.requests.terms import PolicyTerms, terms_in_force

CHANNEL = "imported"
CHANNEL_LABEL_AR = "سجل سابق مستورد"  # stored like the policy's channel labels (Arabic); pages translate the key
CHANNEL_LABEL = N_("Imported from earlier records")
STAGE = {"accepted": "closed", "served": "closed", "declined": "rejected"}
DECISION = {"accepted": "accepted", "served": "accepted", "declined": "rejected"}

MSG_NO_POLICY = N_("Publish the charity's policy first: every imported request is pinned to the version in force.")
MSG_SAME_REQUEST = N_("The same request (ID number, day submitted and kind of support) is in row %(row)s of this file.")
MSG_ALREADY = N_("This request was already imported, as %(reference)s.")
MSG_ALREADY_NOW = N_("This request was imported meanwhile, from another file.")
MSG_NO_FILE = N_("No beneficiary file has this ID number: add the applicant's name and mobile to the row, or import "
                 "the beneficiaries first.")


@dataclasses.dataclass(frozen=True)
class Context:
    terms: PolicyTerms
    actor_user: uuid.UUID | None
    actor_label: str
    file_name: str


def key(row: PastRequestRow) -> str:
    assert row.submitted_on is not None
    return f"{row.id_number}|{row.submitted_on.isoformat()}|{name_key(row.support_kind)}"


async def startable(tenant_id: Any) -> str | None:
    return None if await terms_in_force(tenant_id) else MSG_NO_POLICY


async def prepare(tid: uuid.UUID, job: Any) -> Context:
    terms = await terms_in_force(tid)
    if terms is None:
        raise imports.Refused(MSG_NO_POLICY)
    label = ""
    if job["uploaded_by"]:
        async with tenant_scope(tid) as tx:
            label = await tx.connection.fetchval("select coalesce(nullif(name, ''), email) from staff_user where id = $1",
                                                 job["uploaded_by"]) or ""
    return Context(terms, job["uploaded_by"], label, job["file_name"])


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), RIYADH)


INSERT_REQUESTS = """
insert into support_request (tenant, reference, beneficiary, channel, channel_label, policy_version_number, steps,
    review_window_basis, stage, need, contact_name, contact_mobile, contact_email, contact_channel, contact_language,
    submitted_at, decision, decision_reason, decided_at, closed_at, created_by, imported_from, import_key)
select $1, t.reference, t.beneficiary, $2, $3, $4, $5::text[], $6, t.stage, t.need, t.contact_name, t.contact_mobile,
       t.contact_email, t.contact_channel, t.contact_language, t.submitted_at, t.decision, t.decision_reason,
       t.decided_at, t.decided_at, $7, $8, t.import_key
from unnest($9::text[], $10::uuid[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
            $17::text[], $18::timestamptz[], $19::text[], $20::text[], $21::timestamptz[], $22::text[])
  as t(reference, beneficiary, stage, need, contact_name, contact_mobile, contact_email, contact_channel,
       contact_language, submitted_at, decision, decision_reason, decided_at, import_key)
on conflict (tenant, import_key) where import_key is not null do nothing
returning id, import_key, reference, beneficiary, stage, decision
"""
INSERT_SERVICES = """
insert into service_delivery (tenant, request, beneficiary, service_type, delivered_on, amount, delivered_by_name)
select $1, t.request, t.beneficiary, t.service_type, t.delivered_on, t.amount, $2
from unnest($3::uuid[], $4::uuid[], $5::text[], $6::date[], $7::numeric[]) as t(request, beneficiary, service_type,
                                                                                delivered_on, amount)
"""
INSERT_HISTORY = """
insert into audit_entry (tenant, actor_user, actor_label, action, target_type, target_id, after)
select $1, $2, $3, 'request.imported', 'support_request', t.id::text, t.after::jsonb
from unnest($4::uuid[], $5::text[]) as t(id, after)
"""


# Look-ups of a batch's keys join an unnest of the column's own type (beneficiary.id_hash is
# char(64): compared as text, its index cannot serve, and while a growing table's statistics are
# stale the planner filtered every file through the whole array: 7 s of 9 in the bench).
async def _files(c: Any, hashes: list[str]) -> dict[str, Any]:
    return {r["id_hash"]: r for r in await c.fetch(
        """select b.id, b.id_hash, b.name, coalesce(b.mobile, '') as mobile, coalesce(b.email, '') as email,
                  b.preferred_channel, b.preferred_language
           from unnest($1::bpchar[]) as k(id_hash) join beneficiary b on b.id_hash = k.id_hash  -- char(64)
           where b.erased_at is null""", hashes)}


async def _references(c: Any, days: list[dt.date]) -> list[str]:
    """A fresh reference per row (the year it was submitted in front), none already taken."""
    refs = [new_reference(_at(d)) for d in days]
    while True:
        taken = {r["reference"] for r in await c.fetch(
            """select r.reference from unnest($1::text[]) as k(reference)
               join support_request r on r.reference = k.reference""", refs)}
        seen: set[str] = set()
        again = False
        for i, ref in enumerate(refs):
            if ref in taken or ref in seen:
                refs[i], again = new_reference(_at(days[i])), True
            seen.add(refs[i])
        if not again:
            return refs


async def write(c: Any, tid: uuid.UUID, iid: uuid.UUID, ctx: Context, good: list[imports.Good]) -> imports.Written:
    written = imports.Written()
    keys = [crypto.lookup_hash(tid, "past-request|" + key(g.value)) for g in good]
    done = {r["import_key"]: r["reference"] for r in await c.fetch(
        """select r.import_key, r.reference from unnest($1::text[]) as k(import_key)
           join support_request r on r.import_key = k.import_key""", keys)}
    rows: list[tuple[imports.Good, str, str]] = []  # (row, import key, ID hash)
    for g, k in zip(good, keys, strict=True):
        if k in done:
            written.rejected.append((g, {"id_number": [i18n.gettext(MSG_ALREADY, reference=done[k])]}))
        else:
            rows.append((g, k, crypto.lookup_hash(tid, g.value.id_number)))
    files = await _files(c, sorted({h for _, _, h in rows}))
    # Applicants Sila does not know yet: a file from the row's name and mobile, when it has both.
    new: dict[str, ImportRow] = {}
    for g, _, h in rows:
        v = g.value
        if h not in files and h not in new and v.name and v.mobile:
            new[h] = ImportRow.model_construct(id_number=v.id_number, name=v.name, mobile=v.mobile, email="", city="",
                                               category="", household_size=None, registered_on=None)
    if new:
        columns = zip(*(imports._encrypted(tid, r) for r in new.values()), strict=True)
        written.files_created = len(await c.fetch(imports.INSERT, tid, *[list(col) for col in columns]))
        files |= await _files(c, list(new))
    linked = []
    for g, k, h in rows:
        if h in files:
            linked.append((g, k, files[h]))
        else:
            written.rejected.append((g, {"id_number": [i18n.gettext(MSG_NO_FILE)]}))
    if not linked:
        return written
    terms = ctx.terms
    values = [g.value for g, _, _ in linked]
    decided = [v.decided_on or v.served_on or v.submitted_on for v in values]
    for attempt in range(5):
        refs = await _references(c, [v.submitted_on for v in values])
        try:
            async with c.transaction():  # a savepoint: a reference taken meanwhile is drawn again
                inserted = await c.fetch(
                    INSERT_REQUESTS, tid, CHANNEL, CHANNEL_LABEL_AR, terms.number, list(terms.workflow.steps),
                    terms.review_window_basis, ctx.actor_user, iid, refs, [f["id"] for _, _, f in linked],
                    [STAGE[v.outcome] for v in values],
                    [v.support_kind + ("\n\n" + v.need if v.need and v.need != v.support_kind else "") for v in values],
                    [v.name or f["name"] for v, (_, _, f) in zip(values, linked, strict=True)],
                    [v.mobile or f["mobile"] for v, (_, _, f) in zip(values, linked, strict=True)],
                    [f["email"] for _, _, f in linked], [f["preferred_channel"] for _, _, f in linked],
                    [f["preferred_language"] for _, _, f in linked], [_at(v.submitted_on) for v in values],
                    [DECISION[v.outcome] for v in values], [v.reason for v in values], [_at(d) for d in decided],
                    [k for _, k, _ in linked])
            break
        except asyncpg.UniqueViolationError as exc:
            if attempt == 4 or "reference" not in str(exc.constraint_name or ""):
                raise
    by_key = {r["import_key"]: r for r in inserted}
    served: list[tuple[Any, ...]] = []
    history: list[tuple[uuid.UUID, str]] = []
    for (g, k, _), v in zip(linked, values, strict=True):
        r = by_key.get(k)
        if r is None:  # imported meanwhile by another run
            written.rejected.append((g, {"id_number": [i18n.gettext(MSG_ALREADY_NOW)]}))
            continue
        written.imported += 1
        if v.outcome == "served":
            served.append((r["id"], r["beneficiary"], v.service or v.support_kind, v.served_on, v.amount))
        history.append((r["id"], json.dumps({
            "reference": r["reference"], "stage": r["stage"], "decision": r["decision"], "file": ctx.file_name,
            "import": str(iid), "row": g.number, "policy_version": terms.number}, ensure_ascii=False)))
    if served:
        await c.execute(INSERT_SERVICES, tid, ctx.actor_label, *[list(col) for col in zip(*served, strict=True)])
    if history:
        await c.execute(INSERT_HISTORY, tid, ctx.actor_user, ctx.actor_label,
                        *[list(col) for col in zip(*history, strict=True)])
    return written


KIND = imports.Kind(code="past_requests", title=N_("Import past requests"), label=N_("Past requests"),
                    fields=PAST_REQUEST_FIELDS,
                    row=PastRequestRow, key=key, same_in_file=MSG_SAME_REQUEST, prepare=prepare, write=write,
                    check=check_past_request, startable=startable)
