"""Beneficiary files: one per ID number per tenant, the ID encrypted, consents, audited reveal.

Functions taking no scope open their own `tenant_scope`; the `*_in_scope` ones run inside the
caller's (intake writes the file, the request and its outbox rows in one transaction).
"""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from sila.platform import audit
from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform import crypto
from sila.platform.search import like_pattern, name_key, query_words
from sila.tenants.beneficiaries import queries
from sila.tenants.beneficiaries.forms import ApplicantInput
from sila.tenants.beneficiaries.tables import Beneficiary
from sila.platform.identity import id_kind, normalise_id

ID_FIELD = crypto.column_field("beneficiary", "id_number_enc", {})  # "beneficiary.id_number"



def public_view(row: Any) -> queries.BeneficiaryFile:
    """A file as staff see it by default, from a row of the table: no ciphertext, the ID masked."""
    return queries.BeneficiaryFile.of(row)


async def find_or_create_in_scope(tenant_id: Any, a: ApplicantInput, *, update_contact: bool,
                                  actor_id: Any = None, actor_label: str = "") -> tuple[uuid.UUID, bool]:
    """The file for this ID number in this tenant, created if new. Contact details of an
    existing file change only when `update_contact` (staff who saw the person), audited."""
    number = normalise_id(a.id_number)
    digest = crypto.lookup_hash(tenant_id, number)
    fields = {k: getattr(a, k) for k in queries.CONTACT_FIELDS}
    new_id = await queries.insert_file(parse_uuid(tenant_id), crypto.encrypt(tenant_id, ID_FIELD, number), digest,
                                       number[-4:], id_kind(number), fields, name_key(a.name))
    if new_id:
        await audit.record(tenant_id, "beneficiary.created", actor_user=actor_id, actor_label=actor_label,
                           target_type="beneficiary", target_id=new_id, after=fields)
        return new_id, True
    ben = await queries.file_by_hash_for_update(digest)
    if update_contact:
        changed = {k: v for k, v in fields.items() if v not in (None, "") and v != getattr(ben, k)}
        if changed:
            await queries.update_details(ben.id, changed, name_key(changed.get("name", ben.name)))
            await audit.record(tenant_id, "beneficiary.updated", actor_user=actor_id, actor_label=actor_label,
                               target_type="beneficiary", target_id=ben.id,
                               before={k: getattr(ben, k) for k in changed}, after=changed)
    return ben.id, False


async def record_consent_in_scope(tenant_id: Any, beneficiary_id: Any, *, form: str, text: str,
                                  policy_version_number: int | None, channel: str, recorded_by: Any = None,
                                  address: str = "", purpose: str = "support_request") -> None:
    await queries.insert_consent(parse_uuid(tenant_id), beneficiary_id, purpose=purpose, form=form,
                                 policy_version_number=policy_version_number, text=text, channel=channel,
                                 recorded_by=parse_uuid(recorded_by) if recorded_by else None, address=address)


async def mark_registered_in_scope(beneficiary_id: Any) -> None:
    await queries.mark_registered(beneficiary_id)


async def get_beneficiary_in_tenant(tenant_id: Any, beneficiary_id: Any) -> queries.BeneficiaryFile:
    """The file as staff see it; NotFound for unknown ids and other tenants' alike."""
    bid = parse_uuid(beneficiary_id)
    async with tenant_scope(tenant_id):
        ben = await queries.file(bid) if bid else None
    if ben is None:
        raise NotFound(beneficiary_id)
    return ben


async def search(tenant_id: Any, query: str, limit: int = 50) -> list[queries.BeneficiaryFile]:
    """An ID number finds its file exactly (by keyed hash); anything else searches names."""
    query = query.strip()
    number = normalise_id(query)
    async with tenant_scope(tenant_id):
        if number.isdigit() and len(number) == 10:
            return await queries.files_by_hash(crypto.lookup_hash(tenant_id, number))
        if words := query_words(query):
            return await queries.files_by_name([like_pattern(w) for w in words], limit)
        return await queries.recent_files(limit)


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


@dataclasses.dataclass(frozen=True)
class History:
    requests: list[queries.RequestLine]
    services: list[queries.ServiceLine]
    consents: list[queries.Consent]


async def history(tenant_id: Any, beneficiary_id: Any) -> History:
    async with tenant_scope(tenant_id):
        return History(await queries.requests_of(beneficiary_id), await queries.services_of(beneficiary_id),
                       await queries.consents(beneficiary_id))
