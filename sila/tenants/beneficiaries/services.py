"""Beneficiary files: one per ID number per tenant, the ID encrypted, consents, audited reveal.

Functions taking no scope open their own `tenant_scope`; the `*_in_scope` ones run inside the
caller's (intake writes the file, the request and its outbox rows in one transaction).
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sila.platform import audit
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform import crypto
from sila.platform.search import like_pattern, name_key, query_words
from sila.tenants.beneficiaries.forms import ApplicantInput
from sila.tenants.beneficiaries.tables import Beneficiary
from sila.platform.identity import id_kind, mask_id, normalise_id

ID_FIELD = crypto.column_field("beneficiary", "id_number_enc", {})  # "beneficiary.id_number"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)



def public_view(row: dict[str, Any]) -> dict[str, Any]:
    """A file as staff see it by default: no ciphertext, the ID masked."""
    out = {k: v for k, v in row.items() if k not in ("id_number_enc", "id_hash", "name_key")}
    out["id_masked"] = mask_id(row["id_last4"])
    if isinstance(out.get("details"), str):
        out["details"] = json.loads(out["details"])
    return out


async def find_or_create_in_scope(tenant_id: Any, a: ApplicantInput, *, update_contact: bool,
                                  actor_id: Any = None, actor_label: str = "") -> tuple[uuid.UUID, bool]:
    """The file for this ID number in this tenant, created if new. Contact details of an
    existing file change only when `update_contact` (staff who saw the person), audited."""
    conn = current_connection()
    number = normalise_id(a.id_number)
    digest = crypto.lookup_hash(tenant_id, number)
    fields = {"name": a.name, "mobile": a.mobile, "email": a.email, "preferred_channel": a.preferred_channel,
              "preferred_language": a.preferred_language, "city": a.city, "category": a.category,
              "household_size": a.household_size}
    new_id = await conn.fetchval(
        """insert into beneficiary (tenant, id_number_enc, id_hash, id_last4, id_kind, name, mobile, email,
             preferred_channel, preferred_language, city, category, household_size, name_key)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           on conflict (tenant, id_hash) do nothing returning id""",
        parse_uuid(tenant_id), crypto.encrypt(tenant_id, ID_FIELD, number), digest, number[-4:], id_kind(number),
        *fields.values(), name_key(a.name))
    if new_id:
        await audit.record(tenant_id, "beneficiary.created", actor_user=actor_id, actor_label=actor_label,
                           target_type="beneficiary", target_id=new_id, after=fields)
        return new_id, True
    row = await conn.fetchrow("select * from beneficiary where id_hash = $1 for update", digest)
    if update_contact:
        before = {k: row[k] for k in fields}
        changed = {k: v for k, v in fields.items() if v not in (None, "") and v != row[k]}
        if changed:
            sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(changed, start=2))
            await conn.execute(f"update beneficiary set {sets}, name_key = ${len(changed) + 2}, updated_at = now() "
                               "where id = $1", row["id"], *changed.values(), name_key(changed.get("name", row["name"])))
            await audit.record(tenant_id, "beneficiary.updated", actor_user=actor_id, actor_label=actor_label,
                               target_type="beneficiary", target_id=row["id"],
                               before={k: before[k] for k in changed}, after=changed)
    return row["id"], False


async def record_consent_in_scope(tenant_id: Any, beneficiary_id: Any, *, form: str, text: str,
                                  policy_version_number: int | None, channel: str, recorded_by: Any = None,
                                  address: str = "", purpose: str = "support_request") -> None:
    await current_connection().execute(
        """insert into beneficiary_consent (tenant, beneficiary, purpose, form, policy_version_number, text,
             channel, recorded_by, address) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        parse_uuid(tenant_id), beneficiary_id, purpose, form, policy_version_number, text, channel,
        parse_uuid(recorded_by) if recorded_by else None, address)


async def mark_registered_in_scope(beneficiary_id: Any) -> None:
    await current_connection().execute(
        "update beneficiary set registered_at = coalesce(registered_at, now()), updated_at = now() where id = $1",
        beneficiary_id)


async def get_beneficiary_in_tenant(tenant_id: Any, beneficiary_id: Any) -> dict[str, Any]:
    """The file as staff see it (`public_view`); NotFound for unknown ids and other tenants' alike."""
    bid = parse_uuid(beneficiary_id)
    async with tenant_scope(tenant_id):
        row = await Beneficiary.select().where(Beneficiary.id == bid).first() if bid else None
    if row is None:
        raise NotFound(beneficiary_id)
    return public_view(row)


async def search(tenant_id: Any, query: str, limit: int = 50) -> list[dict[str, Any]]:
    """An ID number finds its file exactly (by keyed hash); anything else searches names."""
    query = query.strip()
    number = normalise_id(query)
    async with tenant_scope(tenant_id) as tx:
        if number.isdigit() and len(number) == 10:
            rows = await tx.connection.fetch("select * from beneficiary where id_hash = $1",
                                             crypto.lookup_hash(tenant_id, number))
        elif words := query_words(query):
            rows = await tx.connection.fetch(
                """select * from beneficiary where name_key like all($1::text[])
                   order by name limit $2""", [like_pattern(w) for w in words], limit)
        else:
            rows = await tx.connection.fetch("select * from beneficiary order by updated_at desc limit $1", limit)
    return [public_view(dict(r)) for r in rows]


async def reveal_id_number(tenant_id: Any, beneficiary_id: Any, *, actor_id: Any, actor_label: str,
                           address: str) -> str:
    """The full ID number, and an audit entry saying who opened it and when (NotFound as above)."""
    bid = parse_uuid(beneficiary_id)
    async with tenant_scope(tenant_id):
        row = await Beneficiary.select(Beneficiary.id_number_enc).where(Beneficiary.id == bid).first() \
            if bid else None
        if row is None or row["id_number_enc"] is None:
            raise NotFound(beneficiary_id)
        blob = row["id_number_enc"]
        await audit.record(tenant_id, "beneficiary.id_revealed", actor_user=actor_id, actor_label=actor_label,
                           target_type="beneficiary", target_id=bid, address=address)
    return crypto.decrypt(tenant_id, ID_FIELD, blob)


async def record_view(tenant_id: Any, beneficiary_id: Any, user: Any, address: str) -> None:
    """Who opened this person's file (the reports' audit browser reads it)."""
    async with tenant_scope(tenant_id):
        await audit.record(tenant_id, "beneficiary.viewed", **audit.actor_fields(user), target_type="beneficiary",
                           target_id=parse_uuid(beneficiary_id), address=address)


async def history(tenant_id: Any, beneficiary_id: Any) -> dict[str, Any]:
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        requests = await c.fetch(
            """select id, reference, channel_label, stage, decision, submitted_at, due_at, closed_at
               from support_request where beneficiary = $1 order by submitted_at desc""", beneficiary_id)
        services = await c.fetch(
            """select s.*, r.reference from service_delivery s join support_request r on r.id = s.request
               where s.beneficiary = $1 order by s.delivered_on desc, s.recorded_at desc""", beneficiary_id)
        consents = await c.fetch(
            "select * from beneficiary_consent where beneficiary = $1 order by given_at desc", beneficiary_id)
    return {"requests": [dict(r) for r in requests], "services": [dict(r) for r in services],
            "consents": [dict(r) for r in consents]}
