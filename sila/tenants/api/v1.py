"""The JSON API, /api/v1 on each tenant's host: typed Litestar handlers (msgspec Structs), the
OpenAPI document Litestar generates from them, served at /api/v1/docs with local assets.

Every operation but the published policy needs `Authorization: Bearer sila_…`: a key of this
host's tenant (`services.authenticate`), live, holding the operation's scope. The call then
runs in the key's tenant scope (row-level security), is audited, and counts against the key's
rate limit (SILA_API_RATE_LIMIT calls a minute, the same Redis counter as every other limit).
Errors are problem+json (sila.platform.problems). Writes take an `Idempotency-Key` header: the
same key with the same body gives the first answer again; with another body, 422. What every call
shares (errors, the key guard, ETags, idempotency, paging) is in calls.py, the shapes in schema.py.
"""
from __future__ import annotations

import datetime as dt
import decimal
import base64
import binascii
import hashlib
import secrets
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, JSONBody, Parameter

from sila.platform import i18n
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.forms import FormErrors, parse_form
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.tenants.api import queries
from sila.tenants.api.calls import (AUTH_ERRORS, BEARER, DETAIL_ERRORS, EXCEPTION_HANDLERS, MAX_BODY, PROBLEM, WRITE_ERRORS,
                                    ApiProblem, Cursor, IdempotencyKey, Limit, Since, Until, caller_of, checked,
                                    claim_key, etagged, invalid, json_response, keep_answer, needs, page_of,
                                    public, replay_of)
from sila.tenants.api.schema import (Answer, FileAnswer, Beneficiary, BeneficiaryPage, Channel, Complaint, ComplaintPage, Created,
                                     Decision, DecisionPage, NewRequest, NewService, Policy, Question, QuestionOption,
                                     RequestDetail, RequestPage, Service, ServicePage, StageChange, SurveyAnswer,
                                     SurveyPage, SurveyResponse, Tool, beneficiary_of, service_of, summary_of)
from sila.tenants.beneficiaries import services as beneficiaries
from sila.tenants.policy import custom_fields
from sila.tenants.requests import forms as request_forms
from sila.tenants.requests import uploads
from sila.tenants.requests import services as requests
from sila.tenants.requests.services import Problem as InputProblem
from sila.tenants.requests.terms import PolicyTerms, terms_in_force, terms_of_version
from sila.tenants.requests.workflow import STAGES, TransitionError

MSG_NOT_A_QUESTION = i18n.N_("The form of the policy in force has no question with this key.")
MSG_FILE_ANSWER = i18n.N_("Answer a file question with the file's name and its content in base64.")
MSG_BASE64 = i18n.N_("“%(name)s” is not valid base64.")
MSG_ANSWER_NOT_FILE = i18n.N_("Only a file question takes a file.")
# A request with files: the online form's limit on files, in base64 (4 characters per 3 bytes).
FILES_BODY = uploads.MAX_BODY * 4 // 3 + MAX_BODY
MSG_POLICY_VERSION = i18n.N_("The policy in force is another version: show the applicant the policy in force "
                             "(GET /api/v1/policy) and send its version number.")


# --- the policy (public) -----------------------------------------------------------------------------


def _policy(terms: PolicyTerms, org_ar: str, org_en: str) -> Policy:
    return Policy(
        version=terms.number, steps=list(terms.steps), review_window_days=terms.review_window_days,
        review_window_basis=terms.review_window_basis, window_text_ar=terms.window_text("ar"),
        window_text_en=terms.window_text("en"),
        channels=[Channel(c.key, c.label_ar, c.label_en, c.public_form) for c in terms.channels],
        tools=[Tool(t.key, t.label_ar, t.label_en) for t in terms.tools], online_requests_open=terms.public_form_open,
        declaration_ar=request_forms.declaration_text(terms, "ar"),
        declaration_en=request_forms.declaration_text(terms, "en"),
        consent_ar=request_forms.consent_text(org_ar, "ar"), consent_en=request_forms.consent_text(org_en, "en"),
        questions=[Question(f.key, f.type, f.label_ar, f.label_en, f.help_ar, f.help_en, f.required,
                            [QuestionOption(o.value, o.label_ar, o.label_en) for o in f.options],
                            f.show_when_field, f.show_when_value) for f in terms.custom_fields])


@get("/policy", name="api_policy", guards=[public], tags=["policy"],
     responses={404: PROBLEM}, summary="The published policy in force (no key needed)")
async def policy(request: Request) -> Response[Policy]:
    tenant = tenant_of(request)
    terms = await terms_in_force(tenant.id)
    if terms is None:
        raise ApiProblem(404, "no-policy", "This organisation has not published its policy yet.")
    return etagged(request, _policy(terms, tenant.name("ar"), tenant.name("en")))


# --- beneficiaries -----------------------------------------------------------------------------------


@get("/beneficiaries", name="api_beneficiaries", guards=[needs("beneficiaries:read")], security=BEARER, tags=["beneficiaries"],
     responses=AUTH_ERRORS, summary="Beneficiaries' files, ID numbers masked")
async def list_beneficiaries(request: Request, cursor: Cursor = None, limit: Limit = 50) -> BeneficiaryPage:
    page = await page_of(request, queries.beneficiaries_page, cursor, limit)
    return BeneficiaryPage([beneficiary_of(r) for r in page.rows], page.next_cursor)


@get("/beneficiaries/{beneficiary_id:str}", name="api_beneficiary", guards=[needs("beneficiaries:read")], security=BEARER,
     tags=["beneficiaries"], responses=DETAIL_ERRORS, summary="One beneficiary's file")
async def get_beneficiary(request: Request, beneficiary_id: FromPath[str],
                          reveal: Annotated[bool, Parameter(description=(
                              "Include the full ID number: needs the beneficiaries:reveal scope; "
                              "each reveal is written to the audit trail."))] = False) -> Response[Beneficiary]:
    caller = caller_of(request)
    bid = parse_uuid(beneficiary_id)
    if bid is None:
        raise NotFound(beneficiary_id)
    async with tenant_scope(caller.tenant_id) as tx:
        row = await tx.connection.fetchrow("select * from beneficiary where id = $1", bid)
    if row is None:
        raise NotFound(beneficiary_id)
    number = None
    if reveal:
        if "beneficiaries:reveal" not in caller.scopes:
            raise ApiProblem(403, "scope", "This key does not have the beneficiaries:reveal scope.")
        number = await beneficiaries.reveal_id_number(caller.tenant_id, bid, actor_id=None, actor_label=caller.label,
                                                      address=caller.address)
    return etagged(request, beneficiary_of(dict(row), number))


# --- requests ----------------------------------------------------------------------------------------


@get("/requests", name="api_requests", guards=[needs("requests:read")], security=BEARER, tags=["requests"], responses=AUTH_ERRORS,
     summary="Requests, oldest first, by submission time")
async def list_requests(request: Request, cursor: Cursor = None, limit: Limit = 50,
                        stage: Annotated[list[str] | None, Parameter(
                            description="Only these stages (repeat the parameter for several).")] = None,
                        submitted_from: Since = None, submitted_to: Until = None) -> RequestPage:
    stages = stage or []
    if any(s not in STAGES for s in stages):
        raise ApiProblem(400, "invalid", "Unknown stage.", errors={"stage": [f"One of: {', '.join(STAGES)}"]})
    page = await page_of(request, queries.requests_page, cursor, limit, stages=stages, since=submitted_from,
                       until=submitted_to)
    return RequestPage([summary_of(r) for r in page.rows], page.next_cursor)


async def _detail(tenant_id: Any, request_id: Any) -> RequestDetail:
    data = await requests.get_request_in_tenant(tenant_id, request_id)
    req = data["req"]
    history = []
    for t in data["timeline"]:
        before = t["before"] if isinstance(t["before"], dict) else {}
        after = t["after"] if isinstance(t["after"], dict) else {}
        history.append(StageChange(at=t["created_at"], action=t["action"],
                                   actor=str(t.get("actor_name") or t.get("actor_label") or ""),
                                   stage_from=before.get("stage"), stage_to=after.get("stage")))
    return RequestDetail(
        id=req["id"], reference=req["reference"], stage=req["stage"], channel=req["channel"],
        beneficiary_id=req["beneficiary"], policy_version=req["policy_version_number"], steps=list(req["steps"]),
        need=req["need"], submitted_at=req["submitted_at"], due_at=req["due_at"], decision=req["decision"],
        decision_reason=req["decision_reason"] or "", decided_at=req["decided_at"], closed_at=req["closed_at"],
        history=history, services=[service_of(s) for s in await queries.request_services(tenant_id, req["id"])],
        answers=await _answers(tenant_id, req))


async def _answers(tenant_id: Any, req: dict[str, Any]) -> list[Answer]:
    terms = await terms_of_version(tenant_id, req["policy_version_number"])
    stored = req["custom_answers"] or {}
    out = []
    for f in terms.custom_fields if terms else ():
        if f.key in stored:
            value = stored[f.key]
            out.append(Answer(key=f.key, type=f.type, question_ar=f.label_ar, question_en=f.label_en,
                              value=value.get("filename", "") if f.type == "file" and isinstance(value, dict) else value,
                              text=custom_fields.answer_text(f, value, req["contact_language"] or "ar")))
    return out


def _answers_form(terms: PolicyTerms, answers: dict[str, Any], errors: FormErrors
                  ) -> tuple[dict[str, Any], dict[str, uploads.Upload]]:
    """The API's answers as the online form posts them (`cf_<key>`), for the same parse_answers,
    and the files of file questions (key -> upload), through the online form's file checks."""
    fields = {f.key: f for f in terms.custom_fields}
    form: dict[str, Any] = {}
    files: dict[str, uploads.Upload] = {}
    for key, value in answers.items():
        f = fields.get(key)
        if f is None:
            errors.add(f"answers.{key}", MSG_NOT_A_QUESTION)
            continue
        if f.type == "file" or isinstance(value, FileAnswer):
            if f.type != "file":
                errors.add(f"answers.{key}", MSG_ANSWER_NOT_FILE)
            elif not isinstance(value, FileAnswer):
                errors.add(f"answers.{key}", MSG_FILE_ANSWER)
            elif (upload := _file_answer(value, f"answers.{key}", errors)) is not None:
                files[key] = upload
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        form[f.name] = [str(v) for v in value] if isinstance(value, list) else "" if value is None else str(value)
    return form, files


def _file_answer(value: FileAnswer, field: str, errors: FormErrors) -> uploads.Upload | None:
    name = value.filename[:100]
    if len(value.content_base64) > uploads.MAX_BYTES * 4 // 3 + 4:  # larger than 5 MB before decoding it
        errors.add(field, uploads.MSG_SIZE, name=name)
        return None
    try:
        content = base64.b64decode(value.content_base64, validate=True)
    except (binascii.Error, ValueError):
        errors.add(field, MSG_BASE64, name=name)
        return None
    upload, problem = uploads.checked(value.filename, content)
    if problem is not None:
        errors.add(field, problem[0], **problem[1])
    return upload


@get("/requests/{request_id:str}", name="api_request", guards=[needs("requests:read")], security=BEARER, tags=["requests"],
     responses=DETAIL_ERRORS, summary="One request, with its stage history and services")
async def get_request(request: Request, request_id: FromPath[str]) -> Response[RequestDetail]:
    return etagged(request, await _detail(caller_of(request).tenant_id, request_id))


@post("/requests", name="api_request_create", guards=[needs("requests:write")], security=BEARER, tags=["requests"],
      request_max_body_size=FILES_BODY, status_code=201, responses=WRITE_ERRORS,
      summary="Submit a request from another intake system (the online form's rules)")
async def create_request(request: Request, data: JSONBody[NewRequest], idempotency_key: IdempotencyKey = None
                         ) -> Response[Created]:
    """The same checks as the online form, by the same code: the applicant's details through the
    applicant form model (ID check digit, mobile, email when it is the channel), the need, the
    e-signature matching the applicant's name, the declaration and the consent, the policy
    version the applicant was shown; only while the policy accepts online requests."""
    caller = caller_of(request)
    tenant = tenant_of(request)
    raw = checked(data)
    form: dict[str, Any] = {k: ("" if v is None else str(v)) for k, v in raw["applicant"].items()}
    form.update(need=data.need, signature=data.signature, attest="yes" if data.attest else "",
                consent="yes" if data.consent else "")
    terms = await terms_in_force(tenant.id)
    if tenant.status != "active" or terms is None or not terms.public_form_open:
        raise ApiProblem(409, "intake-closed", "This organisation's policy does not accept online requests now.")
    parsed = parse_form(request_forms.ApplyForm, form)  # the online form's own model
    errors = parsed.errors
    if data.policy_version != terms.number:
        errors.add("policy_version", MSG_POLICY_VERSION)
    answer_form, files = _answers_form(terms, data.answers, errors)
    answers = custom_fields.parse_answers(list(terms.custom_fields), answer_form, uploaded={f"cf_{k}" for k in files})
    for name, messages in answers.errors.items():  # "cf_rent" -> "answers.rent", as the request names it
        errors.setdefault(f"answers.{name.removeprefix('cf_')}", []).extend(messages)
    if parsed.value is None or errors:
        raise invalid(errors)
    # A hidden question's file is not kept, as on the online form.
    shown = {f.key for f in custom_fields.visible(list(terms.custom_fields), answer_form)}
    applicant, need, signer = request_forms.applicant_of(parsed.value), parsed.value.need, parsed.value.signature
    lang = applicant.preferred_language
    async with tenant_scope(tenant.id):
        claim = await claim_key(caller, idempotency_key, "requests.create", raw)
        if (replayed := replay_of(claim)) is not None:
            return replayed
        token = hashlib.sha256(f"api:{caller.key_id}:{idempotency_key or secrets.token_hex(16)}".encode()).hexdigest()
        result = await requests.submit_online(tenant, terms, requests.OnlineSubmission(
            applicant=applicant, need=need, signer_name=signer,
            form_text=request_forms.declaration_text(terms, lang),
            consent_text=request_forms.consent_text(tenant.name(lang), lang), files=[], token=token,
            address=caller.address, user_agent=f"{caller.label} ({request.headers.get('user-agent', '')})"[:500],
            custom_answers=answers.values or {}, custom_files={k: v for k, v in files.items() if k in shown}))
        row = await current_connection().fetchrow("select id, stage from support_request where submit_token = $1",
                                                  token)
        created = Created(id=row["id"], reference=result.reference, stage=row["stage"], due_at=result.due_at,
                          duplicate=result.duplicate)
        await keep_answer(claim, 201, created)
    return json_response(created, 201, {"Location": f"/api/v1/requests/{created.id}"})


# --- decisions, services, surveys, complaints ------------------------------------------------------


@get("/decisions", name="api_decisions", guards=[needs("decisions:read")], security=BEARER, tags=["decisions"],
     responses=AUTH_ERRORS, summary="Research-committee decisions, oldest first")
async def list_decisions(request: Request, cursor: Cursor = None, limit: Limit = 50,
                         decided_from: Since = None) -> DecisionPage:
    page = await page_of(request, queries.decisions_page, cursor, limit, since=decided_from)
    return DecisionPage([Decision(id=r["id"], request_id=r["request"], session_id=r["session"],
                                  session_number=r["session_number"], held_at=r["held_at"], decision=r["decision"],
                                  reason=r["reason"] or "", decided_at=r["decided_at"]) for r in page.rows],
                        page.next_cursor)


@get("/services", name="api_services", guards=[needs("services:read")], security=BEARER, tags=["services"], responses=AUTH_ERRORS,
     summary="Services delivered, oldest recorded first")
async def list_services(request: Request, cursor: Cursor = None, limit: Limit = 50, delivered_from: Since = None,
                        delivered_to: Until = None) -> ServicePage:
    page = await page_of(request, queries.services_page, cursor, limit, since=delivered_from, until=delivered_to)
    return ServicePage([service_of(r) for r in page.rows], page.next_cursor)


@post("/requests/{request_id:str}/services", name="api_service_create", guards=[needs("services:write")], security=BEARER,
      tags=["services"], request_max_body_size=MAX_BODY, status_code=201, responses=WRITE_ERRORS,
      summary="Record a service delivered on an accepted request (the request page's rules)")
async def create_service(request: Request, request_id: FromPath[str], data: JSONBody[NewService],
                         idempotency_key: IdempotencyKey = None) -> Response[Service]:
    caller = caller_of(request)
    tenant = tenant_of(request)
    raw = checked(data)
    form = {"service_type": data.service_type, "description": data.description,
            "delivered_on": data.delivered_on.isoformat() if data.delivered_on else "", "amount": data.amount or ""}
    try:
        async with tenant_scope(tenant.id):
            claim = await claim_key(caller, idempotency_key, f"services.create:{request_id}", raw)
            if (replayed := replay_of(claim)) is not None:
                return replayed
            await requests.act_in_scope(tenant, request_id, "record_service", caller.actor(Role.relations_officer),
                                        form)
            row = await current_connection().fetchrow(
                "select * from service_delivery where request = $1 order by recorded_at desc, id desc limit 1",
                parse_uuid(request_id))
            service = service_of(dict(row))
            await keep_answer(claim, 201, service)
    except TransitionError as exc:
        raise ApiProblem(409, "wrong-stage", i18n.gettext(exc.msgid)) from None
    except InputProblem as exc:
        problem_errors = FormErrors()
        problem_errors.add(exc.field, exc.msgid, **exc.variables)
        raise invalid(problem_errors) from None
    except decimal.InvalidOperation:  # pragma: no cover - the service reports amounts itself
        raise ApiProblem(422, "invalid", "amount") from None
    return json_response(service, 201)


@get("/survey-responses", name="api_survey_responses", guards=[needs("surveys:read")], security=BEARER, tags=["surveys"],
     responses=AUTH_ERRORS, summary="Satisfaction-survey answers, oldest first")
async def list_survey_responses(request: Request, cursor: Cursor = None, limit: Limit = 50,
                                submitted_from: Since = None) -> SurveyPage:
    page = await page_of(request, queries.survey_answers_page, cursor, limit, cursor_type=dt.date, since=submitted_from)
    return SurveyPage([SurveyResponse(id=r["id"], survey_id=r["survey"], version=r["version"],
                                      anonymous=r["anonymous"], beneficiary_id=None if r["anonymous"] else r["beneficiary"],
                                      service_type=r["service_type"] or "", submitted_on=r["submitted_on"],
                                      answers=[SurveyAnswer(a["question"], a["type"], a["score"], a["text"] or "")
                                               for a in r["answers"]]) for r in page.rows], page.next_cursor)


@get("/complaints", name="api_complaints", guards=[needs("complaints:read")], security=BEARER, tags=["complaints"],
     responses=AUTH_ERRORS, summary="Suggestions, complaints and survey follow-ups, oldest first")
async def list_complaints(request: Request, cursor: Cursor = None, limit: Limit = 50,
                          kind: Annotated[str | None, Parameter(description="suggestion, complaint or followup")] = None,
                          received_from: Since = None) -> ComplaintPage:
    if kind and kind not in ("suggestion", "complaint", "followup"):
        raise ApiProblem(400, "invalid", "Unknown kind.", errors={"kind": ["suggestion, complaint or followup"]})
    page = await page_of(request, queries.complaints_page, cursor, limit, kind=kind or "", since=received_from)
    return ComplaintPage([Complaint(id=r["id"], reference=r["reference"], kind=r["kind"], body=r["body"],
                                    status=r["status"], answer=r["answer"] or "", created_at=r["created_at"],
                                    answered_at=r["answered_at"], closed_at=r["closed_at"]) for r in page.rows],
                         page.next_cursor)


HANDLERS = [policy, list_beneficiaries, get_beneficiary, list_requests, get_request, create_request, list_decisions,
            list_services, create_service, list_survey_responses, list_complaints]


def router() -> Router:
    return Router(path="/api/v1", route_handlers=HANDLERS, include_in_schema=True,
                  exception_handlers=EXCEPTION_HANDLERS)
