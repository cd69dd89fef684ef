"""Bulk import from a CSV or XLSX file (issue 18): one pipeline, two kinds of rows (`KINDS`):
existing beneficiaries (this module's `BENEFICIARIES`) and a charity's past support requests
(`sila.tenants.requests.past_import.KIND`, which writes requests, so it lives in that area).
Upload, mapping with a preview, the worker's run, progress, the rejected-rows report and the
audit are this module's, whatever the kind; a kind brings its fields, its row form, what makes two
rows the same, and how a batch of good rows is written.

The admin uploads a file (kept on its row: tenant-owned, forced RLS), maps its columns to Sila's
fields with a preview (the mapping guessed from the header names, Arabic or English), confirms
the charity may hold the data, and a Celery worker (`tasks.run_import`) reads every row.

Per row, not all or nothing: a row either becomes a whole beneficiary file or is not written at
all, and every row that was not written is in the rejected-rows report (its original cells and
what to fix), which the admin downloads, corrects and uploads again. Spreadsheets of years of
beneficiaries always hold some bad rows; refusing 49,990 good rows for ten typos would only move
the work back to the spreadsheet, and the report already says exactly which rows are missing.

Idempotent: the ID number's keyed hash is the file's identity (`UNIQUE (tenant, id_hash)`, the
same look-up as intake), rows are inserted with `ON CONFLICT DO NOTHING`, so an ID that already has
a file is counted as "already in Sila" and left unchanged — running the same file (or the fixed
report holding rows that were imported meanwhile) twice creates nothing twice. A second row with
the same ID within the file is rejected, naming the first. Staff-kept files are never overwritten
by an import.

Fast and flat: the file is read as a stream (csv over a decoding wrapper; openpyxl read-only),
rows are validated by the intake form's rules (`forms.ImportRow` through `parse_form`) and
written in batches of BATCH with one `INSERT … SELECT FROM unnest(…)` each, committed with the
run's progress, so a worker killed mid-file resumes after the last committed batch.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from sila.platform import audit, crypto, i18n, spreadsheet
from sila.platform.dates import RIYADH
from sila.platform.db import after_commit, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.forms import FormErrors, parse_form
from sila.platform.i18n import N_
from sila.platform.identity import id_kind
from sila.platform.search import name_key
from sila.platform.spreadsheet import SheetError
from sila.tenants.beneficiaries.forms import IMPORT_FIELDS, ImportField, ImportRow
from sila.tenants.beneficiaries.queries import ImportRecord, get_import_in_tenant
from sila.tenants.beneficiaries.services import ID_FIELD

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # below bodies.UPLOAD_BODY_LIMIT, so a larger file gets its message here
MAX_ROWS = 100_000
BATCH = 1000
PREVIEW_ROWS = 5
STALE = "15 minutes"  # a run claimed longer ago than this, with no worker left, is taken over

STATUS = {"mapping": N_("Waiting for the columns to be matched"), "queued": N_("Waiting for a worker"),
          "running": N_("Importing"), "done": N_("Finished"), "failed": N_("Stopped")}
MSG_TOO_BIG = N_("The file is larger than %(mb)s MB. Split it into smaller files and upload each.")
MSG_TOO_MANY = N_("The file has more than %(rows)s rows. Split it into smaller files and upload each.")
MSG_NO_FILE = N_("Choose a CSV or XLSX file.")
MSG_SAME_IN_FILE = N_("The same ID number is in row %(row)s of this file.")
MSG_CELL_TOO_LONG = N_("A cell of this row is longer than %(n)s characters.")
MSG_NOT_STARTED = N_("This import has already been started.")
MSG_STOPPED = N_("The file could not be read past row %(row)s: %(reason)s")
MSG_KIND = N_("Choose what the file holds.")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class NotStartable(Exception):
    """The import is no longer waiting for its mapping (started, finished): the page offers nothing."""


class Refused(Exception):
    """The kind cannot run now (e.g. past requests before a policy is published): msgid, variables."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid, self.params = msgid, params


# --- the kinds ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Good:
    """A row that passed its form: where it was in the file, its cells (for a later rejection)."""

    number: int
    cells: list[str]
    value: Any


@dataclasses.dataclass
class Written:
    """What a kind's writer did with one batch of good rows, in the batch's transaction."""

    imported: int = 0
    existing: int = 0
    files_created: int = 0
    rejected: list[tuple[Good, dict[str, list[str]]]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Kind:
    code: str  # beneficiary_import.kind
    title: str  # msgid: the page's heading
    label: str  # msgid: what the file holds, on the upload form and the list of imports
    fields: dict[str, ImportField]
    row: type[Any]  # a forms.Form: one row, by the form layer
    key: Callable[[Any], str]  # what makes two rows of one file the same
    same_in_file: str  # msgid with %(row)s: the first row it was seen in
    # (tenant, import row) -> the run's context, in the run's first transaction; Refused stops it.
    prepare: Callable[[uuid.UUID, Any], Awaitable[Any]]
    # (connection, tenant, import, context, good rows) -> Written, inside the batch's transaction.
    write: Callable[[Any, uuid.UUID, uuid.UUID, Any, list[Good]], Awaitable[Written]]
    check: Callable[[Any, FormErrors], None] | None = None  # rules over the whole row
    # tenant -> a msgid when the kind cannot start now (the page says it), else None.
    startable: Callable[[Any], Awaitable[str | None]] | None = None


def kinds() -> dict[str, Kind]:
    """Every kind by its code. The past requests' kind writes requests, so it is the requests
    area's; it is looked up here when needed (that area imports this one)."""
    from sila.tenants.requests import past_import

    return {BENEFICIARIES.code: BENEFICIARIES, past_import.KIND.code: past_import.KIND}


def kind_of(code: str) -> Kind:
    return kinds().get(code) or BENEFICIARIES


def visible(text: str) -> str:
    """A cell as it can be stored and shown: control characters (NUL first) made U+FFFD, cut."""
    return _CONTROL.sub("\ufffd", text)[:spreadsheet.MAX_CELL]


# --- the mapping guess -------------------------------------------------------------------------


def _header_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name_key(text)).replace("_", " ").split())


@dataclasses.dataclass(frozen=True)
class _Candidate:
    score: float
    field: str
    column: int


def guess_mapping(headers: list[str], fields: dict[str, ImportField] | None = None) -> dict[str, int]:
    """Sila field -> column index, from the header names: an exact name (Arabic or English, hamza,
    diacritics, case and punctuation aside) first, then the closest (rapidfuzz, 85 or more); each
    column and each field used once, best matches first."""
    from rapidfuzz import fuzz

    keys = [_header_key(h) for h in headers]
    candidates = []
    for code, field in (IMPORT_FIELDS if fields is None else fields).items():
        names = [_header_key(n) for n in field.headers]
        for column, key in enumerate(keys):
            if not key:
                continue
            best = 100.0 if key in names else max(fuzz.ratio(key, n) for n in names)
            if best >= 85:
                candidates.append(_Candidate(best, code, column))
    mapping: dict[str, int] = {}
    for c in sorted(candidates, key=lambda c: (-c.score, c.column)):
        if c.field not in mapping and c.column not in mapping.values():
            mapping[c.field] = c.column
    return mapping


# --- the page's side: upload, preview, start, list, report ---------------------------------------


def read_upload(content: bytes) -> tuple[str, str, list[str], int]:
    """(format, encoding, headers, rows estimate) of an uploaded file, or SheetError."""
    if len(content) > MAX_BYTES:
        raise SheetError(MSG_TOO_BIG, mb=MAX_BYTES // (1024 * 1024))
    fmt = spreadsheet.sniff_sheet(content)
    if fmt is None:
        raise SheetError(spreadsheet.MSG_NOT_A_SHEET)
    encoding = spreadsheet.detect_encoding(content) if fmt == "csv" else ""
    rows = spreadsheet.read_rows(content, fmt, encoding)
    header = next((r for r in rows if any(c.strip() for c in r)), None)
    if header is None:
        raise SheetError(spreadsheet.MSG_EMPTY)
    headers = [visible(h).strip()[:200] for h in header]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise SheetError(spreadsheet.MSG_EMPTY)
    estimate = content.count(b"\n") if fmt == "csv" else max(0, spreadsheet.xlsx_row_estimate(content) - 1)
    if estimate > MAX_ROWS + 1:
        raise SheetError(MSG_TOO_MANY, rows=f"{MAX_ROWS:,}")
    return fmt, encoding, headers, max(estimate, 1)


async def upload(tenant_id: Any, file_name: str, content: bytes, *, actor: Any, address: str,
                 kind: str = "beneficiaries") -> uuid.UUID:
    """Keep the file for mapping (SheetError when it cannot be read), audited."""
    the_kind = kinds()[kind]
    fmt, encoding, headers, estimate = read_upload(content)
    name = visible(file_name or "").replace("\ufffd", "").strip()[:200] or f"import.{fmt}"
    digest = hashlib.sha256(content).hexdigest()
    async with tenant_scope(tenant_id) as tx:
        import_id = await tx.connection.fetchval(
            """insert into beneficiary_import (tenant, file_name, file_format, encoding, content, size_bytes, sha256,
                 headers, mapping, language, rows_estimate, uploaded_by, kind)
               values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13) returning id""",
            parse_uuid(tenant_id), name, fmt, encoding, content, len(content), digest,
            json.dumps(headers, ensure_ascii=False), json.dumps(guess_mapping(headers, the_kind.fields)),
            i18n.get_language(), estimate,
            None if getattr(actor, "support_grant", None) else parse_uuid(getattr(actor, "id", None)), kind)
        await audit.record(tenant_id, "beneficiary.import_uploaded", **audit.actor_fields(actor),
                           target_type="beneficiary_import", target_id=import_id, address=address,
                           after={"file": name, "bytes": len(content), "format": fmt, "encoding": encoding,
                                  "sha256": digest, "kind": kind})
    return import_id


async def preview(tenant_id: Any, import_id: Any) -> list[list[str]]:
    """The first PREVIEW_ROWS rows under the header, as the file has them (padded to the header)."""
    iid = parse_uuid(import_id)
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(
            "select content, file_format, encoding, headers from beneficiary_import where id = $1", iid) \
            if iid else None
    if row is None:
        raise NotFound(import_id)
    width = len(json.loads(row["headers"]) if isinstance(row["headers"], str) else row["headers"])
    shown: list[list[str]] = []
    try:
        for cells in _data_rows(bytes(row["content"]), row["file_format"], row["encoding"]):
            shown.append([visible(c) for c in (cells[1] + [""] * width)[:width]])
            if len(shown) == PREVIEW_ROWS:
                break
    except SheetError:
        pass  # the run will say where it broke; the preview shows what could be read
    return shown


async def start(tenant_id: Any, import_id: Any, mapping: dict[str, int], *, actor: Any, address: str) -> None:
    """Save the mapping and hand the import to a worker; NotStartable unless it awaits its mapping,
    Refused when its kind cannot run now."""
    iid, tid = parse_uuid(import_id), parse_uuid(tenant_id)
    record = await get_import_in_tenant(tenant_id, import_id)  # NotFound first
    the_kind = kind_of(record.kind)
    if the_kind.startable is not None and record.status == "mapping":
        if (msgid := await the_kind.startable(tid)) is not None:
            raise Refused(msgid)
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(
            """update beneficiary_import set mapping = $2::jsonb, status = 'queued'
               where id = $1 and status = 'mapping' returning file_name""", iid, json.dumps(mapping))
        if row is None:
            await get_import_in_tenant(tenant_id, import_id)  # NotFound first
            raise NotStartable(import_id)
        await audit.record(tenant_id, "beneficiary.import_started", **audit.actor_fields(actor),
                           target_type="beneficiary_import", target_id=iid, address=address,
                           after={"file": row["file_name"], "mapping": mapping, "lawful_basis_confirmed": True,
                                  "kind": record.kind})
        after_commit(lambda: dispatch(iid, tid))


def dispatch(import_id: Any, tenant_id: Any) -> None:
    try:
        from sila.tenants.beneficiaries.tasks import run_import

        run_import.apply_async(args=[str(import_id), str(tenant_id)], retry=False)
    except Exception as exc:  # Redis away: the row stays queued; the page's "try again" re-dispatches
        log.warning("import %s not handed to the broker (%s)", import_id, exc)




async def rejected_report(tenant_id: Any, import_id: Any, *, actor: Any, address: str, fmt: str) -> \
        tuple[ImportRecord, list[str], list[list[str]]]:
    """The rejected rows as the file had them, and beside them the row number and what to fix
    (in the language the import ran in); audited, since it carries personal data out."""
    record = await get_import_in_tenant(tenant_id, import_id)
    if record.status not in ("done", "failed"):
        raise NotFound(import_id)
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            """select row_number, cells, problems from beneficiary_import_rejection where import = $1
               order by row_number""", record.id)
        await audit.record(tenant_id, "beneficiary.import_report_downloaded", **audit.actor_fields(actor),
                           target_type="beneficiary_import", target_id=record.id, address=address,
                           after={"file": record.file_name, "rows": len(rows), "format": fmt})
    width = len(record.headers)
    g = i18n.gettext
    headers = [*record.headers, g("Row in the uploaded file"), g("What to fix")]
    out = []
    for r in rows:
        cells = json.loads(r["cells"]) if isinstance(r["cells"], str) else r["cells"]
        out.append([*(cells + [""] * width)[:width], str(r["row_number"]), r["problems"]])
    return record, headers, out


# --- the worker's side -----------------------------------------------------------------------------


def _data_rows(content: bytes, fmt: str, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """(row number in the file, cells) of every row after the header; blank rows skipped."""
    rows = spreadsheet.read_rows(content, fmt, encoding)
    number = 0
    header_seen = False
    for number, cells in enumerate(rows, start=1):
        if not any(c.strip() for c in cells):
            continue
        if not header_seen:
            header_seen = True
            continue
        yield number, cells


@dataclasses.dataclass
class _Batch:
    kind: Kind
    context: Any = None
    mapping: dict[str, int] = dataclasses.field(default_factory=dict)
    headers: list[str] = dataclasses.field(default_factory=list)
    good: list[Good] = dataclasses.field(default_factory=list)
    rejected: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)

    def again(self) -> _Batch:
        return _Batch(self.kind, self.context, self.mapping, self.headers)

    def reject(self, number: int, cells: list[str], errors: dict[str, list[str]]) -> None:
        self.rejected.append((number, json.dumps([visible(c) for c in cells], ensure_ascii=False),
                              _problems(errors, self.mapping, self.headers, self.kind.fields)))


def _problems(errors: dict[str, list[str]], mapping: dict[str, int], headers: list[str],
              fields: dict[str, ImportField] | None = None) -> str:
    fields = IMPORT_FIELDS if fields is None else fields
    parts = []
    for code, messages in errors.items():
        column = mapping.get(code)
        label = headers[column] if column is not None and column < len(headers) and headers[column] else \
            i18n.gettext(fields[code].label) if code in fields else ""
        parts.append(f"{label}: {' '.join(messages)}" if label else " ".join(messages))
    return " | ".join(parts)


def check_row(cells: list[str], mapping: dict[str, int], kind: Kind | None = None) -> tuple[Any, dict[str, list[str]]]:
    """One row read by its kind's form (the intake form's rules for beneficiaries), the errors
    translated into the current language."""
    kind = kind or BENEFICIARIES
    values = {code: (cells[column] if column < len(cells) else "") for code, column in mapping.items()}
    parsed = parse_form(kind.row, values, check=kind.check)
    return parsed.value, dict(parsed.errors)


def _encrypted(tenant_id: Any, row: ImportRow) -> tuple[Any, ...]:
    number = row.id_number
    registered = dt.datetime.combine(row.registered_on, dt.time(), RIYADH) if row.registered_on else None
    return (crypto.encrypt(tenant_id, ID_FIELD, number), crypto.lookup_hash(tenant_id, number), number[-4:],
            id_kind(number), row.name, name_key(row.name), row.mobile, row.email, row.city, row.category,
            row.household_size, registered)


INSERT = """
insert into beneficiary (tenant, id_number_enc, id_hash, id_last4, id_kind, name, name_key, mobile, email, city,
                         category, household_size, registered_at)
select $1, * from unnest($2::bytea[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                         $9::text[], $10::text[], $11::text[], $12::int[], $13::timestamptz[])
on conflict (tenant, id_hash) do nothing
returning id
"""
INSERT_REJECTED = """
insert into beneficiary_import_rejection (tenant, import, row_number, cells, problems)
select $1, $2, n, c::jsonb, p from unnest($3::int[], $4::text[], $5::text[]) as r(n, c, p)
on conflict (tenant, import, row_number) do nothing
"""


async def _write_beneficiaries(c: Any, tid: uuid.UUID, iid: uuid.UUID, context: Any, good: list[Good]) -> Written:
    """New files by the keyed ID hash; an ID that already has one is left unchanged ("existing")."""
    inserted = await c.fetch(INSERT, tid, *[list(col) for col in zip(*(_encrypted(tid, g.value) for g in good),
                                                                     strict=True)])
    return Written(imported=len(inserted), existing=len(good) - len(inserted))


async def _no_context(tid: uuid.UUID, job: Any) -> None:
    return None


BENEFICIARIES = Kind(code="beneficiaries", title=N_("Import beneficiaries"), label=N_("Beneficiaries"),
                     fields=IMPORT_FIELDS, row=ImportRow,
                     key=lambda value: value.id_number, same_in_file=MSG_SAME_IN_FILE, prepare=_no_context,
                     write=_write_beneficiaries)
COUNTS = ("imported", "existing", "rejected", "files_created")


async def _commit(tid: uuid.UUID, iid: uuid.UUID, batch: _Batch, rows_done: int, counts: dict[str, int]) -> None:
    """One batch: what its kind writes, its rejected rows and the run's progress, in one transaction."""
    async with tenant_scope(tid) as tx:
        c = tx.connection
        if batch.good:
            written = await batch.kind.write(c, tid, iid, batch.context, batch.good)
            counts["imported"] += written.imported
            counts["existing"] += written.existing
            counts["files_created"] += written.files_created
            for g, errors in written.rejected:
                batch.reject(g.number, g.cells, errors)
        if batch.rejected:
            await c.execute(INSERT_REJECTED, tid, iid, *[list(col) for col in zip(*batch.rejected, strict=True)])
            counts["rejected"] += len(batch.rejected)
        await c.execute(
            """update beneficiary_import set rows_done = $2, imported = $3, existing = $4, rejected = $5,
                 files_created = $6 where id = $1""",
            iid, rows_done, counts["imported"], counts["existing"], counts["rejected"], counts["files_created"])


async def run(import_id: Any, tenant_id: Any) -> bool:
    """Import a queued file. Idempotent: a finished import, one running in a live worker, or one
    that is gone is left alone; a stale run resumes after its last committed batch."""
    iid, tid = parse_uuid(import_id), parse_uuid(tenant_id)
    if iid is None or tid is None:
        return False
    async with tenant_scope(tid) as tx:
        job = await tx.connection.fetchrow(
            f"""update beneficiary_import set status = 'running', started_at = now()
               where id = $1 and (status = 'queued' or (status = 'running' and started_at < now() - interval '{STALE}'))
               returning id, content, file_format, encoding, headers, mapping, language, rows_done, imported,
                         existing, rejected, files_created, file_name, uploaded_by, kind""", iid)
    if job is None:
        return False
    kind = kind_of(job["kind"])
    headers = json.loads(job["headers"]) if isinstance(job["headers"], str) else job["headers"]
    mapping = json.loads(job["mapping"]) if isinstance(job["mapping"], str) else job["mapping"]
    counts = {k: job[k] for k in COUNTS}
    resume_after = job["rows_done"]
    seen: dict[str, int] = {}  # the kind's key -> the row it was first seen in (duplicates within the file)
    batch, number, read = _Batch(kind, None, mapping, headers), 0, 0
    try:
        with i18n.language(job["language"]):
            batch.context = await kind.prepare(tid, job)
            for number, cells in _data_rows(bytes(job["content"]), job["file_format"], job["encoding"]):
                read += 1
                if read > MAX_ROWS:
                    raise SheetError(MSG_TOO_MANY, rows=f"{MAX_ROWS:,}")
                value, errors = check_row(cells, mapping, kind)
                first = seen.setdefault(kind.key(value), number) if value else number
                if number <= resume_after:
                    continue  # committed by an earlier run (its key still counted as seen above)
                if value is not None and first != number:
                    errors, value = {"id_number": [i18n.gettext(kind.same_in_file, row=first)]}, None
                if any(len(c) > spreadsheet.MAX_CELL for c in cells):
                    errors.setdefault("__all__", []).append(i18n.gettext(MSG_CELL_TOO_LONG, n=spreadsheet.MAX_CELL))
                    value = None
                if value is None:
                    batch.reject(number, cells, errors)
                else:
                    batch.good.append(Good(number, cells, value))
                if len(batch.good) + len(batch.rejected) >= BATCH:
                    await _commit(tid, iid, batch, number, counts)
                    batch = batch.again()
            await _commit(tid, iid, batch, max(number, resume_after), counts)
        status, error = "done", ""
    except SheetError as exc:
        await _commit(tid, iid, batch, max(number, resume_after), counts)  # what was read before it broke
        with i18n.language(job["language"]):
            error = i18n.gettext(MSG_STOPPED, row=number, reason=i18n.gettext(exc.msgid, **exc.params))
        status = "failed"
    except Refused as exc:  # the kind cannot run (nothing was written)
        with i18n.language(job["language"]):
            error = i18n.gettext(exc.msgid, **exc.params)
        status = "failed"
    except Exception as exc:
        log.exception("import %s failed", iid)
        status, error = "failed", type(exc).__name__
    async with tenant_scope(tid) as tx:
        await tx.connection.execute(
            "update beneficiary_import set status = $2, error = $3, finished_at = now() where id = $1",
            iid, status, error)
        await audit.record(tid, "beneficiary.import_finished", actor_label="—", target_type="beneficiary_import",
                           target_id=iid, after={"file": job["file_name"], "status": status, **counts,
                                                 "kind": kind.code, "uploaded_by": str(job["uploaded_by"] or "")})
    return status == "done"
