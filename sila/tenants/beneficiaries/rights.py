"""A person's rights under the Personal Data Protection Law, on their file.

- Rights requests (access, correction, restriction, erasure) with the law's clock: an answer
  within 30 days of receipt, stated as the latest date in both calendars.
- Access: everything Sila holds about the person (`holdings`), as a PDF through the one PDF
  pipeline and as JSON.
- Restriction: the file is marked; `contact.contactable_in_scope` sends them nothing.
- Consent withdrawal: recorded (date, channel); no surveys, no non-essential messages.
- Erasure (`erase`): in one transaction, what the charity must keep for its records
  (decisions, services and amounts, the stage history, counts) stays, anonymised; the rest
  (ID number, name, contacts, documents' bytes, free text, message addresses and bodies,
  survey free text) is deleted. Irreversible, audited.

The request area's rows are read and anonymised here with SQL (that area is not imported for
its internals): its tables are the records this file's person appears in.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import uuid
from typing import Any

from sila.platform import audit, crypto
from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.i18n import N_
from sila.platform.operator.export import withdraw_holding
from sila.platform.search import name_key
from sila.tenants.beneficiaries import queries
from sila.tenants.beneficiaries.forms import RIGHTS_CHANNELS, RIGHTS_KINDS
from sila.tenants.beneficiaries.services import ID_FIELD
from sila.tenants.requests.display import history_entry

LAW_DAYS = 30  # PDPL implementing regulation: a data subject's request is answered within 30 days
KINDS = RIGHTS_KINDS
CHANNELS = RIGHTS_CHANNELS
STATUSES = {"open": N_("Open"), "done": N_("Answered"), "refused": N_("Refused, with reasons")}
ERASED = "—"  # what stands where a name or a free text was
ERASED_LAST4 = "----"


class AlreadyErased(Exception):
    """The file was erased already: nothing left to change."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def due_on(received_on: dt.date) -> dt.date:
    """The latest day to answer: 30 calendar days after receipt."""
    return received_on + dt.timedelta(days=LAW_DAYS)


def days_left(due: dt.date, today: dt.date) -> int:
    return (due - today).days


async def _file_for_update(bid: uuid.UUID) -> queries.LockedFile:
    ben = await queries.file_for_update(bid)
    if ben is None:
        raise NotFound(bid)
    return ben


def _bid(beneficiary_id: Any) -> uuid.UUID:
    bid = parse_uuid(beneficiary_id)
    if bid is None:
        raise NotFound(beneficiary_id)
    return bid


# --- rights requests ------------------------------------------------------------------------


async def rights_requests(tenant_id: Any, beneficiary_id: Any) -> list[queries.RightsRequest]:
    async with tenant_scope(tenant_id):
        return await queries.rights_requests(_bid(beneficiary_id))


async def record_request(tenant_id: Any, beneficiary_id: Any, *, kind: str, channel: str, received_on: dt.date,
                         note: str, actor: Any, address: str) -> uuid.UUID:
    bid = _bid(beneficiary_id)
    async with tenant_scope(tenant_id):
        ben = await _file_for_update(bid)
        if ben.erased_at:
            raise AlreadyErased(bid)
        rid = await queries.insert_rights_request(parse_uuid(tenant_id), bid, kind, channel, received_on,
                                                  due_on(received_on), note, parse_uuid(actor.id) if actor.id else None)
        await audit.record(tenant_id, "beneficiary.rights_requested", **audit.actor_fields(actor),
                           target_type="beneficiary", target_id=bid, address=address,
                           after={"kind": kind, "channel": channel, "received_on": received_on,
                                  "due_on": due_on(received_on)})
    return rid


async def close_request(tenant_id: Any, beneficiary_id: Any, request_id: Any, *, status: str, outcome: str,
                        actor: Any, address: str) -> None:
    bid, rid = _bid(beneficiary_id), parse_uuid(request_id)
    async with tenant_scope(tenant_id):
        done = rid is not None and await queries.close_rights_request(
            rid, bid, status, outcome, parse_uuid(actor.id) if actor.id else None)
        if not done:
            raise NotFound(request_id)
        await audit.record(tenant_id, "beneficiary.rights_answered", **audit.actor_fields(actor),
                           target_type="beneficiary", target_id=bid, address=address,
                           after={"request": rid, "status": status})


async def correct(tenant_id: Any, beneficiary_id: Any, values: dict[str, Any], *, actor: Any,
                  address: str) -> dict[str, Any]:
    """The file's details as corrected (the ID number is not among them); audited with what
    changed. Returns the changed fields."""
    bid = _bid(beneficiary_id)
    async with tenant_scope(tenant_id):
        ben = await _file_for_update(bid)
        if ben.erased_at:
            raise AlreadyErased(bid)
        changed = {k: v for k, v in values.items() if v != getattr(ben, k)}
        if changed:
            await queries.update_details(bid, changed, name_key(values.get("name", ben.name)))
            await audit.record(tenant_id, "beneficiary.corrected", **audit.actor_fields(actor),
                               target_type="beneficiary", target_id=bid, address=address,
                               before={k: getattr(ben, k) for k in changed}, after=changed)
    return changed


# --- restriction and consent ----------------------------------------------------------------


async def set_restricted(tenant_id: Any, beneficiary_id: Any, *, restricted: bool, reason: str, actor: Any,
                         address: str) -> None:
    bid = _bid(beneficiary_id)
    async with tenant_scope(tenant_id):
        ben = await _file_for_update(bid)
        if ben.erased_at:
            raise AlreadyErased(bid)
        await queries.set_restricted(bid, restricted, reason)
        await audit.record(tenant_id, "beneficiary.restricted" if restricted else "beneficiary.unrestricted",
                           **audit.actor_fields(actor), target_type="beneficiary", target_id=bid, address=address,
                           before={"restricted": ben.restricted_at is not None}, after={"restricted": restricted})


async def withdraw_consent(tenant_id: Any, beneficiary_id: Any, *, on: dt.date, channel: str, actor: Any,
                           address: str) -> None:
    """Recorded on the file (when, how the person told us) and as a consent row saying so."""
    bid = _bid(beneficiary_id)
    at = dt.datetime.combine(on, dt.time(12), tzinfo=dt.UTC)
    async with tenant_scope(tenant_id):
        ben = await _file_for_update(bid)
        if ben.erased_at:
            raise AlreadyErased(bid)
        await queries.set_consent_withdrawn(bid, at, channel)
        await queries.insert_consent(parse_uuid(tenant_id), bid, purpose="withdrawal", form="staff_record",
                                     policy_version_number=None,
                                     text="withdrawn: surveys and non-essential messages stop", channel=channel,
                                     recorded_by=parse_uuid(actor.id) if actor.id else None, given_at=at)
        await audit.record(tenant_id, "beneficiary.consent_withdrawn", **audit.actor_fields(actor),
                           target_type="beneficiary", target_id=bid, address=address,
                           after={"on": on, "channel": channel})


# --- what Sila holds about the person -------------------------------------------------------


@dataclasses.dataclass
class Holdings:
    person: dict[str, Any]
    consents: list[dict[str, Any]]
    rights_requests: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    history: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    services: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    survey_answers: list[dict[str, Any]]
    complaints: list[dict[str, Any]]

    def as_json(self) -> bytes:
        return json.dumps({"format": "sila.personal-data/1", "generated_at": _now(),
                           **dataclasses.asdict(self)}, default=str, ensure_ascii=False, indent=1).encode()


async def _addresses(c: Any, bid: uuid.UUID, mobile: str, email: str) -> list[str]:
    """Every mobile number and email address this person was reached at (`mobile`, `email`: the file's)."""
    found = {mobile, email}
    for r in await c.fetch("select contact_mobile, contact_email from support_request where beneficiary = $1", bid):
        found |= {r["contact_mobile"], r["contact_email"]}
    for r in await c.fetch("select mobile, email from survey_invitation where beneficiary = $1", bid):
        found |= {r["mobile"], r["email"]}
    return sorted(a for a in found if a)


SQL_MESSAGES = """
    select o.id from outbox o
    where o.recipient = any($1::text[])
       or exists (select 1 from jsonb_array_elements(case when jsonb_typeof(o.fallback) = 'array'
                                                     then o.fallback else '[]'::jsonb end) f
                  where f->>'recipient' = any($1::text[]))
       or o.id in (select i.outbox from survey_invitation i where i.beneficiary = $2 and i.outbox is not null
                   union select i.reminder_outbox from survey_invitation i
                   where i.beneficiary = $2 and i.reminder_outbox is not null)
"""
SQL_FEEDBACK = """
    select f.id from feedback f
    where (f.mobile <> '' and f.mobile = any($1::text[])) or (f.email <> '' and f.email = any($1::text[]))
       or f.survey_response in (select id from survey_response where beneficiary = $2)
"""


async def holdings(tenant_id: Any, beneficiary_id: Any) -> Holdings:
    """Everything Sila holds about this person, as it is stored (the access right's answer)."""
    bid = _bid(beneficiary_id)
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        row = await c.fetchrow("select * from beneficiary where id = $1", bid)
        if row is None:
            raise NotFound(beneficiary_id)
        ben = dict(row)
        number = crypto.decrypt(tenant_id, ID_FIELD, ben["id_number_enc"]) \
            if ben["id_number_enc"] and not ben["erased_at"] else ""
        person = {k: v for k, v in ben.items() if k not in ("id_number_enc", "id_hash", "name_key", "tenant")}
        person["id_number"] = number
        person["details"] = json.loads(person["details"]) if isinstance(person["details"], str) else person["details"]
        addresses = await _addresses(c, bid, ben["mobile"], ben["email"])
        requests = [dict(r) for r in await c.fetch(
            """select id, reference, channel_label, policy_version_number, stage, need, contact_name, contact_mobile,
                      contact_email, contact_channel, contact_language, missing, submitted_at, due_at, decision,
                      decision_reason, decided_at, closed_at
               from support_request where beneficiary = $1 order by submitted_at""", bid)]
        refs = {r["id"]: r["reference"] for r in requests}
        ids = list(refs)
        history = []
        for r in await c.fetch(
                """select a.action, a.before, a.after, a.created_at, a.actor_label, a.target_id
                   from audit_entry a where a.target_type = 'support_request' and a.target_id = any($1::text[])
                   order by a.created_at""", [str(i) for i in ids]):
            entry = dict(r)
            for key in ("before", "after"):
                if isinstance(entry[key], str):
                    entry[key] = json.loads(entry[key])
            h = history_entry(entry)
            history.append({"reference": refs.get(parse_uuid(r["target_id"]), ""), "at": h.at, "action": r["action"],
                            "label": h.label, "stage_from": h.stage_from, "stage_to": h.stage_to})
        decisions = [dict(r) for r in await c.fetch(
            """select r.reference, s.number as session_number, s.held_at, i.decision, i.reason, i.decided_at
               from committee_item i join committee_session s on s.id = i.session
                 join support_request r on r.id = i.request
               where i.request = any($1::uuid[]) order by s.held_at""", ids)]
        referrals = [dict(r) for r in await c.fetch(
            """select r.reference, f.question, f.referred_at, f.notes, f.visit_date, f.visit_report, f.answered_at
               from request_referral f join support_request r on r.id = f.request
               where f.request = any($1::uuid[]) order by f.referred_at""", ids)]
        services = [dict(r) for r in await c.fetch(
            """select r.reference, s.service_type, s.delivered_on, s.amount, s.description
               from service_delivery s join support_request r on r.id = s.request
               where s.beneficiary = $1 order by s.delivered_on""", bid)]
        documents = [dict(r) for r in await c.fetch(
            """select r.reference, d.kind, d.filename, d.content_type, d.size, d.created_at
               from request_document d join support_request r on r.id = d.request
               where d.request = any($1::uuid[]) order by d.created_at""", ids)]
        messages = [dict(r) for r in await c.fetch(
            f"""select created_at, channel, kind, recipient, subject, body_text, status, delivery_status
                from outbox where id in ({SQL_MESSAGES}) order by created_at""", addresses, bid)]
        answers = [dict(r) for r in await c.fetch(
            """select p.submitted_on, a.question, a.qtype, a.score, a.text, v.questions
               from survey_response p join survey_answer a on a.response = p.id
                 left join survey_version v on v.survey = p.survey and v.number = p.version
               where p.beneficiary = $1 order by p.submitted_on, a.question""", bid)]
        for a in answers:
            questions = a.pop("questions")
            questions = json.loads(questions) if isinstance(questions, str) else (questions or [])
            text = next((q.get("text") for q in questions if q.get("key") == a["question"]), None) or {}
            a["question_text"] = text.get("ar") or a["question"] if isinstance(text, dict) else a["question"]
        complaints = [dict(r) for r in await c.fetch(
            f"""select reference, kind, body, name, mobile, email, status, answer, created_at, answered_at, closed_at
                from feedback where id in ({SQL_FEEDBACK}) order by created_at""", addresses, bid)]
        consents = [dict(r) for r in await c.fetch(
            """select purpose, form, policy_version_number, text, channel, given_at from beneficiary_consent
               where beneficiary = $1 order by given_at""", bid)]
        rights = [dict(r) for r in await c.fetch(
            """select kind, channel, received_on, due_on, note, status, outcome, closed_at
               from beneficiary_rights_request where beneficiary = $1 order by received_on""", bid)]
    for r in requests:
        r["missing"] = json.loads(r["missing"]) if isinstance(r["missing"], str) else r["missing"]
        del r["id"]
    return Holdings(person, consents, rights, requests, history, decisions, referrals, services, documents, messages,
                    answers, complaints)


async def record_export(tenant_id: Any, beneficiary_id: Any, fmt: str, actor: Any, address: str) -> None:
    async with tenant_scope(tenant_id):
        await audit.record(tenant_id, "beneficiary.exported", **audit.actor_fields(actor), target_type="beneficiary",
                           target_id=_bid(beneficiary_id), address=address, after={"format": fmt})


# --- erasure --------------------------------------------------------------------------------


def _scrub(value: Any, secrets_: list[str]) -> Any:
    """`value` (an audit entry's JSON) with every string that mentions one of `secrets_` erased."""
    if isinstance(value, str):
        return ERASED if any(s in value for s in secrets_) else value
    if isinstance(value, list):
        return [_scrub(v, secrets_) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, secrets_) for k, v in value.items()}
    return value


async def erase(tenant_id: Any, beneficiary_id: Any, *, actor: Any, address: str) -> dict[str, int]:
    """Erase the person, keeping the charity's records anonymised (see the module's docstring).
    One transaction: either all of it happens or none. Returns what was touched, by kind."""
    bid = _bid(beneficiary_id)
    tid = parse_uuid(tenant_id)
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        ben = await _file_for_update(bid)
        if ben.erased_at:
            raise AlreadyErased(bid)
        assert ben.id_number_enc is not None, bid  # a file not erased has its number
        number = crypto.decrypt(tenant_id, ID_FIELD, ben.id_number_enc)
        addresses = await _addresses(c, bid, ben.mobile, ben.email)
        names = {ben.name} | {r["contact_name"] for r in await c.fetch(
            "select contact_name from support_request where beneficiary = $1", bid)}
        names |= {r["signer_name"] for r in await c.fetch(
            """select signer_name from request_attestation where request in
               (select id from support_request where beneficiary = $1)""", bid)}
        # Words that must not survive anywhere: the number, the addresses, the names (whole).
        gone = sorted({number, *addresses, *(n for n in names if n and n != ERASED)}, key=len, reverse=True)
        request_ids = [r["id"] for r in await c.fetch("select id from support_request where beneficiary = $1", bid)]
        message_ids = [r["id"] for r in await c.fetch(SQL_MESSAGES, addresses, bid)]
        feedback_ids = [r["id"] for r in await c.fetch(SQL_FEEDBACK, addresses, bid)]
        touched: dict[str, int] = {"requests": len(request_ids), "messages": len(message_ids),
                                   "complaints": len(feedback_ids)}

        async def replace_in(table: str, column: str, where: str, *args: Any) -> None:
            """Kept free text (a decision's reasons) loses the words in `gone`, keeps the rest."""
            for word in gone:
                await c.execute(f"update {table} set {column} = replace({column}, $1, '{ERASED}') "
                                f"where {where} and strpos({column}, $1) > 0", word, *args)

        await c.execute(
            """update beneficiary set id_number_enc = '\\x'::bytea, id_hash = $2, id_last4 = $3, name = $4,
                 name_key = '', mobile = '', email = '', city = '', household_size = null, details = '{}',
                 restricted_reason = '', erased_at = now(), updated_at = now() where id = $1""",
            bid, secrets.token_hex(32), ERASED_LAST4, ERASED)
        await c.execute("update beneficiary_consent set address = '' where beneficiary = $1", bid)
        await c.execute("update beneficiary_rights_request set note = '', outcome = '' where beneficiary = $1", bid)
        # The requests: decision, dates, stage, channel, window kept; the person's words and contacts gone.
        await c.execute(
            """update support_request set need = $2, contact_name = $2, contact_mobile = '', contact_email = '',
                 interview_url = '', submit_token = null, updated_at = now() where beneficiary = $1""", bid, ERASED)
        await replace_in("support_request", "decision_reason", "beneficiary = $2", bid)
        touched["documents"] = int((await c.execute(
            """update request_document set content = '\\x'::bytea, filename = $2, sha256 = $3
               where request = any($1::uuid[])""", request_ids, ERASED, "0" * 64)).split()[-1])
        await c.execute("update request_verification set note = '' where request = any($1::uuid[])", request_ids)
        await c.execute(
            """update request_attestation set signer_name = $2, address = '', user_agent = '', form_text = $2
               where request = any($1::uuid[])""", request_ids, ERASED)
        await c.execute(
            """update request_referral set question = $2, notes = '', visit_report = ''
               where request = any($1::uuid[])""", request_ids, ERASED)
        await replace_in("committee_item", "reason", "request = any($2::uuid[])", request_ids)
        await replace_in("committee_vote", "reasons",
                         "item in (select id from committee_item where request = any($2::uuid[]))", request_ids)
        await c.execute("update service_delivery set description = '' where beneficiary = $1", bid)
        # Surveys: the scores stay (counted in the indicators), the free text and the addresses go.
        await c.execute("update survey_invitation set mobile = '', email = '' where beneficiary = $1", bid)
        await c.execute(
            """update survey_answer set text = '' where text <> ''
               and response in (select id from survey_response where beneficiary = $1)""", bid)
        await c.execute(
            """update feedback set body = $2, name = '', mobile = '', email = '', answer = '', close_note = '',
                 updated_at = now() where id = any($1::uuid[])""", feedback_ids, ERASED)
        # Messages: kept as counted facts (kind, channel, status, times), without address or words.
        await c.execute(
            """update outbox set recipient = '', subject = '', body_text = '', body_html = '', payload = '{}',
                 fallback = '[]', delivery_error = '',
                 last_error = case when status in ('pending', 'queued') then 'erased' else '' end,
                 status = case when status in ('pending', 'queued') then 'failed' else status end
               where id = any($1::uuid[])""", message_ids)
        await c.execute("update delivery_attempt set error = '' where outbox = any($1::uuid[])", message_ids)
        await c.execute("delete from dev_inbox_message where outbox = any($1::uuid[]) or recipient = any($2::text[])",
                        message_ids, addresses)
        # The audit trail stays (who did what, when), without the words it quoted.
        # Entries about this person's file, requests, complaints and messages lose every word in
        # `gone`; any other entry quoting their number or an address of theirs loses that too (a
        # name alone is not looked for elsewhere: another person may share it).
        targets = [str(x) for x in (bid, *request_ids, *feedback_ids, *message_ids)]
        identifiers = [w for w in (number, *addresses) if w]
        rows = await c.fetch(
            """select id, before, after, actor_label from audit_entry a
               where a.target_id = any($1::text[])
                  or exists (select 1 from unnest($2::text[]) w
                             where strpos(coalesce(a.before::text, ''), w) > 0
                                or strpos(coalesce(a.after::text, ''), w) > 0)""", targets, identifiers)
        for r in rows:
            before = json.loads(r["before"]) if isinstance(r["before"], str) else r["before"]
            after = json.loads(r["after"]) if isinstance(r["after"], str) else r["after"]
            await c.execute(
                "update audit_entry set before = $2::jsonb, after = $3::jsonb, actor_label = $4 where id = $1",
                r["id"], json.dumps(_scrub(before, gone), ensure_ascii=False) if before is not None else None,
                json.dumps(_scrub(after, gone), ensure_ascii=False) if after is not None else None,
                ERASED if any(w in r["actor_label"] for w in gone) else r["actor_label"])
        touched["audit_entries"] = len(rows)
        # The operator's archive exports that may hold this person are withdrawn and their files deleted.

        touched["archive_exports"] = len(await withdraw_holding(c, tid, ben.created_at))
        await c.execute(
            """update beneficiary_rights_request set status = 'done', closed_at = now(), closed_by = $2
               where beneficiary = $1 and kind = 'erasure' and status = 'open'""", bid,
            parse_uuid(actor.id) if actor.id else None)
        await audit.record(tid, "beneficiary.erased", **audit.actor_fields(actor), target_type="beneficiary",
                           target_id=bid, address=address, after=touched)
    return touched

