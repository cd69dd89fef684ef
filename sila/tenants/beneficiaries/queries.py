"""The beneficiaries area's data access, returning typed records: the person's file, its consents and
history, the rights requests (these run in the caller's open tenant scope, as the other areas' typed
queries do), and the imports' records (sila.tenants.beneficiaries.imports; those open their own scope)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any, Self

from sila.platform import i18n, spreadsheet
from sila.platform.db import current_connection, json_value, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.identity import mask_id


@dataclasses.dataclass(frozen=True)
class ImportRecord:
    """An import as its pages show it (no file content)."""

    id: uuid.UUID
    file_name: str
    file_format: str
    encoding: str
    size_bytes: int
    headers: list[str]
    mapping: dict[str, int]
    status: str
    rows_estimate: int
    rows_done: int
    imported: int
    existing: int
    rejected: int
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    kind: str = "beneficiaries"  # or "past_requests" (imports.KINDS)
    files_created: int = 0

    @property
    def busy(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def progress(self) -> int:
        if self.status == "done":
            return 100
        if not self.rows_estimate:
            return 0
        return min(99, self.rows_done * 100 // self.rows_estimate)

    @property
    def encoding_label(self) -> str:
        label = spreadsheet.ENCODING_LABELS.get(self.encoding)
        return i18n.gettext(label) if label else ""


COLUMNS = ("id, file_name, file_format, encoding, size_bytes, headers, mapping, status, rows_estimate, rows_done, "
           "imported, existing, rejected, error, created_at, finished_at, kind, files_created")


def _record(row: Any) -> ImportRecord:
    d = dict(row)
    for k in ("headers", "mapping"):
        if isinstance(d[k], str):
            d[k] = json.loads(d[k])
    return ImportRecord(**d)


async def imports(tenant_id: Any, limit: int = 20) -> list[ImportRecord]:
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            f"select {COLUMNS} from beneficiary_import order by created_at desc limit $1", limit)
    return [_record(r) for r in rows]


async def get_import_in_tenant(tenant_id: Any, import_id: Any) -> ImportRecord:
    iid = parse_uuid(import_id)
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(f"select {COLUMNS} from beneficiary_import where id = $1", iid) \
            if iid else None
    if row is None:
        raise NotFound(import_id)
    return _record(row)


# --- the person's file ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BeneficiaryFile:
    """A file as staff see it: no ciphertext, no keyed hash; the ID as its last four digits."""

    id: uuid.UUID
    tenant: uuid.UUID
    id_last4: str
    id_kind: str
    name: str
    mobile: str
    email: str
    preferred_channel: str
    preferred_language: str
    city: str
    category: str
    household_size: int | None
    details: dict[str, Any]
    registered_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    restricted_at: dt.datetime | None
    restricted_reason: str
    consent_withdrawn_at: dt.datetime | None
    consent_withdrawn_channel: str
    erased_at: dt.datetime | None

    @property
    def id_masked(self) -> str:
        return mask_id(self.id_last4)

    @classmethod
    def of(cls, row: Any) -> Self:
        """From a row of the table (`select *`): the columns this record does not hold are left out."""
        d = {f.name: row[f.name] for f in dataclasses.fields(cls)}
        d["details"] = json_value(d["details"]) or {}
        return cls(**d)


@dataclasses.dataclass(frozen=True)
class LockedFile(BeneficiaryFile):
    """The file locked for a change, with the encrypted ID number the change may need."""

    id_number_enc: bytes | None = None


CONTACT_FIELDS = ("name", "mobile", "email", "preferred_channel", "preferred_language", "city", "category",
                  "household_size")  # what intake and correction may change; constants named in the SQL below


async def insert_file(tenant_id: Any, id_number_enc: bytes, id_hash: str, id_last4: str, id_kind: str,
                      fields: dict[str, Any], name_key: str) -> uuid.UUID | None:
    """The new file's id; None when this ID number has a file already."""
    return await current_connection().fetchval(
        """insert into beneficiary (tenant, id_number_enc, id_hash, id_last4, id_kind, name, mobile, email,
             preferred_channel, preferred_language, city, category, household_size, name_key)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           on conflict (tenant, id_hash) do nothing returning id""",
        tenant_id, id_number_enc, id_hash, id_last4, id_kind, *(fields[k] for k in CONTACT_FIELDS), name_key)


async def file_by_hash_for_update(id_hash: str) -> BeneficiaryFile:
    """The file of this keyed hash (it exists: the insert just met it), locked."""
    row = await current_connection().fetchrow("select * from beneficiary where id_hash = $1 for update", id_hash)
    return BeneficiaryFile.of(row)


async def file_for_update(beneficiary_id: uuid.UUID) -> LockedFile | None:
    row = await current_connection().fetchrow("select * from beneficiary where id = $1 for update", beneficiary_id)
    return LockedFile.of(row) if row else None


async def file(beneficiary_id: uuid.UUID) -> BeneficiaryFile | None:
    row = await current_connection().fetchrow("select * from beneficiary where id = $1", beneficiary_id)
    return BeneficiaryFile.of(row) if row else None


async def update_details(beneficiary_id: uuid.UUID, changed: dict[str, Any], name_key: str) -> None:
    """`changed`: columns of CONTACT_FIELDS (never the visitor's words as names) and their new values."""
    assert set(changed) <= set(CONTACT_FIELDS), changed
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(changed, start=2))
    await current_connection().execute(
        f"update beneficiary set {sets}, name_key = ${len(changed) + 2}, updated_at = now() where id = $1",
        beneficiary_id, *changed.values(), name_key)


async def files_by_hash(id_hash: str) -> list[BeneficiaryFile]:
    rows = await current_connection().fetch("select * from beneficiary where id_hash = $1", id_hash)
    return [BeneficiaryFile.of(r) for r in rows]


async def files_by_name(patterns: list[str], limit: int) -> list[BeneficiaryFile]:
    """Files whose name key matches every one of the LIKE `patterns`, by name."""
    rows = await current_connection().fetch(
        "select * from beneficiary where name_key like all($1::text[]) order by name limit $2", patterns, limit)
    return [BeneficiaryFile.of(r) for r in rows]


async def recent_files(limit: int) -> list[BeneficiaryFile]:
    rows = await current_connection().fetch("select * from beneficiary order by updated_at desc limit $1", limit)
    return [BeneficiaryFile.of(r) for r in rows]


async def mark_registered(beneficiary_id: Any) -> None:
    await current_connection().execute(
        "update beneficiary set registered_at = coalesce(registered_at, now()), updated_at = now() where id = $1",
        beneficiary_id)


async def set_restricted(beneficiary_id: uuid.UUID, restricted: bool, reason: str) -> None:
    await current_connection().execute(
        """update beneficiary set restricted_at = case when $2 then coalesce(restricted_at, now()) end,
             restricted_reason = case when $2 then $3 else '' end, updated_at = now() where id = $1""",
        beneficiary_id, restricted, reason)


async def set_consent_withdrawn(beneficiary_id: uuid.UUID, at: dt.datetime, channel: str) -> None:
    await current_connection().execute(
        """update beneficiary set consent_withdrawn_at = $2, consent_withdrawn_channel = $3, updated_at = now()
           where id = $1""", beneficiary_id, at, channel)


# --- consents and history ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Consent:
    id: uuid.UUID
    beneficiary: uuid.UUID
    purpose: str
    form: str
    policy_version_number: int | None
    text: str
    channel: str
    given_at: dt.datetime
    recorded_by: uuid.UUID | None
    address: str


async def insert_consent(tenant_id: Any, beneficiary_id: Any, *, purpose: str, form: str,
                         policy_version_number: int | None, text: str, channel: str, recorded_by: Any,
                         address: str = "", given_at: dt.datetime | None = None) -> None:
    await current_connection().execute(
        """insert into beneficiary_consent (tenant, beneficiary, purpose, form, policy_version_number, text,
             channel, recorded_by, address, given_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, now()))""",
        tenant_id, beneficiary_id, purpose, form, policy_version_number, text, channel, recorded_by, address,
        given_at)


async def consents(beneficiary_id: Any) -> list[Consent]:
    rows = await current_connection().fetch(
        f"""select {', '.join(f.name for f in dataclasses.fields(Consent))} from beneficiary_consent
            where beneficiary = $1 order by given_at desc""", beneficiary_id)
    return [Consent(**dict(r)) for r in rows]


@dataclasses.dataclass(frozen=True)
class RequestLine:
    """One of the person's support requests, as their file lists it."""

    id: uuid.UUID
    reference: str
    channel_label: str
    stage: str
    decision: str | None
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class ServiceLine:
    """A service delivered to the person, with its request's reference."""

    id: uuid.UUID
    request: uuid.UUID
    reference: str
    service_type: str
    delivered_on: dt.date
    amount: Any  # Decimal or None
    description: str
    delivered_by_name: str
    recorded_at: dt.datetime


async def requests_of(beneficiary_id: Any) -> list[RequestLine]:
    rows = await current_connection().fetch(
        f"""select {', '.join(f.name for f in dataclasses.fields(RequestLine))} from support_request
            where beneficiary = $1 order by submitted_at desc""", beneficiary_id)
    return [RequestLine(**dict(r)) for r in rows]


async def services_of(beneficiary_id: Any) -> list[ServiceLine]:
    rows = await current_connection().fetch(
        """select s.id, s.request, r.reference, s.service_type, s.delivered_on, s.amount, s.description,
                  s.delivered_by_name, s.recorded_at
           from service_delivery s join support_request r on r.id = s.request
           where s.beneficiary = $1 order by s.delivered_on desc, s.recorded_at desc""", beneficiary_id)
    return [ServiceLine(**dict(r)) for r in rows]


# --- rights requests (PDPL) -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RightsRequest:
    id: uuid.UUID
    beneficiary: uuid.UUID
    kind: str
    channel: str
    received_on: dt.date
    due_on: dt.date
    note: str
    status: str
    outcome: str
    recorded_by: uuid.UUID | None
    recorded_at: dt.datetime
    closed_by: uuid.UUID | None
    closed_at: dt.datetime | None
    recorded_by_name: str
    closed_by_name: str


async def rights_requests(beneficiary_id: uuid.UUID) -> list[RightsRequest]:
    rows = await current_connection().fetch(
        """select q.id, q.beneficiary, q.kind, q.channel, q.received_on, q.due_on, q.note, q.status, q.outcome,
                  q.recorded_by, q.recorded_at, q.closed_by, q.closed_at,
                  coalesce(nullif(u.name, ''), u.email, '') as recorded_by_name,
                  coalesce(nullif(c.name, ''), c.email, '') as closed_by_name
           from beneficiary_rights_request q left join staff_user u on u.id = q.recorded_by
             left join staff_user c on c.id = q.closed_by
           where q.beneficiary = $1 order by q.received_on desc, q.recorded_at desc""", beneficiary_id)
    return [RightsRequest(**dict(r)) for r in rows]


async def insert_rights_request(tenant_id: Any, beneficiary_id: uuid.UUID, kind: str, channel: str,
                                received_on: dt.date, due_on: dt.date, note: str, recorded_by: Any) -> uuid.UUID:
    return await current_connection().fetchval(
        """insert into beneficiary_rights_request (tenant, beneficiary, kind, channel, received_on, due_on, note,
             recorded_by) values ($1, $2, $3, $4, $5, $6, $7, $8) returning id""",
        tenant_id, beneficiary_id, kind, channel, received_on, due_on, note, recorded_by)


async def close_rights_request(request_id: uuid.UUID, beneficiary_id: uuid.UUID, status: str, outcome: str,
                               closed_by: Any) -> bool:
    """Whether it was open (and is now closed)."""
    return await current_connection().fetchval(
        """update beneficiary_rights_request set status = $3, outcome = $4, closed_by = $5, closed_at = now()
           where id = $1 and beneficiary = $2 and status = 'open' returning id""",
        request_id, beneficiary_id, status, outcome, closed_by) is not None
