"""Reading requests: the request page's data and its documents, by id inside the tenant scope
(another tenant's id finds nothing, exactly like an id that does not exist: `NotFound`)."""
from __future__ import annotations

from typing import Any

from sila.platform.db import json_value, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.tenants.beneficiaries import services as beneficiaries
from sila.tenants.requests import clock, queries


async def get_request_in_tenant(tenant_id: Any, request_id: Any) -> dict[str, Any]:
    """The request page's data; NotFound for unknown ids and other tenants' ids alike."""
    rid = parse_uuid(request_id)
    if rid is None:
        raise NotFound()
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        row = await c.fetchrow(
            """select r.*, a.name as assignee_name, a.email as assignee_email, s.name as researcher_name
               from support_request r left join staff_user a on a.id = r.assignee
               left join staff_user s on s.id = r.researcher where r.id = $1""", rid)
        if row is None:
            raise NotFound()
        ben = await beneficiaries.get_beneficiary_in_tenant(tenant_id, row["beneficiary"])
        docs = await queries.request_documents(rid)
        verifications = await c.fetch("select * from request_verification where request = $1 order by verified_at",
                                      rid)
        attestation = await c.fetchrow("select * from request_attestation where request = $1", rid)
        referrals = await c.fetch(
            """select f.*, s.name as researcher_name, b.name as referred_by_name from request_referral f
               left join staff_user s on s.id = f.researcher left join staff_user b on b.id = f.referred_by
               where f.request = $1 order by f.referred_at""", rid)
        services = await queries.request_services(rid)
        agenda = await c.fetch(
            """select i.*, s.number as session_number, s.held_at from committee_item i
               join committee_session s on s.id = i.session where i.request = $1 order by s.held_at""", rid)
        timeline = await c.fetch(
            """select e.*, u.name as actor_name, coalesce(w.name, w.email) as assignee_name from audit_entry e
               left join staff_user u on u.id = e.actor_user
               left join staff_user w on e.action = 'request.assigned' and w.id::text = e.after->>'assignee'
               where e.target_type = 'support_request' and e.target_id = $1 order by e.created_at""", str(rid))
        the_clock = await clock.clock_in_scope(dict(row))
        appeal = await queries.appeal_of(rid)
    req = dict(row)
    req["missing"] = json_value(req["missing"])
    req["custom_answers"] = json_value(req["custom_answers"])
    return {"req": req, "beneficiary": ben, "documents": docs,
            "verifications": [{**dict(v), "checklist": json_value(v["checklist"]), "missing": json_value(v["missing"])}
                              for v in verifications],
            "attestation": dict(attestation) if attestation else None, "referrals": [dict(r) for r in referrals],
            "services": services, "agenda": [dict(a) for a in agenda], "clock": the_clock, "appeal": appeal,
            "timeline": [{**dict(t), "before": json_value(t["before"]), "after": json_value(t["after"])} for t in timeline]}


async def get_request_document_in_tenant(tenant_id: Any, request_id: Any, document_id: Any
                                         ) -> queries.StoredDocument:
    """One of the request's documents with its content; NotFound for unknown ids, another request's
    document and other tenants' alike."""
    rid, did = parse_uuid(request_id), parse_uuid(document_id)
    if rid is None or did is None:
        raise NotFound()
    async with tenant_scope(tenant_id):
        doc = await queries.stored_document(rid, did)
    if doc is None:
        raise NotFound()
    return doc


