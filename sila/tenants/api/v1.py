"""The JSON API, /api/v1 on each tenant's host: typed Litestar handlers (msgspec Structs), the
OpenAPI document Litestar generates from them, served at /api/v1/docs with local assets.

Every operation but the published policy needs `Authorization: Bearer sila_…`: a key of this
host's tenant (`services.authenticate`), live, holding the operation's scope. The call then
runs in the key's tenant scope (row-level security), is audited, and counts against the key's
rate limit (SILA_API_RATE_LIMIT calls a minute, the same Redis counter as every other limit).
Errors are problem+json (sila.platform.problems). Writes take an `Idempotency-Key` header: the
same key with the same body gives the first answer again; with another body, 422.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import json
import secrets
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, Parameter
from redis.exceptions import RedisError

from sila.platform import i18n, input_guard, problems
from sila.platform.auth import client_address
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.forms import FormErrors, control_characters, parse_form
from sila.platform.ratelimit import hit
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.tenants.api import queries
from sila.tenants.api.services import ApiCaller, authenticate
from sila.tenants.beneficiaries import services as beneficiaries
from sila.tenants.policy import custom_fields
from sila.tenants.requests import forms as request_forms
from sila.tenants.requests import services as requests
from sila.tenants.requests.services import Problem as InputProblem
from sila.tenants.requests.terms import PolicyTerms, terms_in_force, terms_of_version
from sila.tenants.requests.workflow import STAGES, TransitionError

CALLER = "sila_api_caller"
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
RATE_WINDOW = 60
MAX_BODY = 64 * 1024
MSG_NOT_A_QUESTION = i18n.N_("The form of the policy in force has no question with this key.")
MSG_FILE_QUESTION = i18n.N_("A file question cannot be answered through the API.")
MSG_POLICY_VERSION = i18n.N_("The policy in force is another version: show the applicant the policy in force "
                             "(GET /api/v1/policy) and send its version number.")
Limit = Annotated[int, Parameter(ge=1, le=200, description="Rows per page (1–200).")]
Cursor = Annotated[str | None, Parameter(max_length=200, description="`next_cursor` of the previous page.")]
Since = Annotated[dt.date | None, Parameter(description="From this day (Riyadh calendar day, YYYY-MM-DD).")]
Until = Annotated[dt.date | None, Parameter(description="Up to and including this day (YYYY-MM-DD).")]
IdempotencyKey = Annotated[str | None, HeaderParameter(
    name="Idempotency-Key", max_length=200, required=False,
    description="Any unique string (a UUID): sending the same write again with it does it once.")]


# --- errors -----------------------------------------------------------------------------------


class ApiProblem(HTTPException):
    """An API error with a problem type and, for bad input, the messages per field."""

    def __init__(self, status: int, code: str, detail: str = "", errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.code, self.errors = code, errors


def _answer_problem(request: Request, exc: ApiProblem) -> Response[Any]:
    return problems.problem(exc.status_code, exc.code, exc.detail, errors=exc.errors, headers=exc.headers)


def _not_found(request: Request, exc: NotFound) -> Response[Any]:
    return problems.problem(404, "not-found", "Nothing of that id here.")


def _bad_cursor(request: Request, exc: queries.BadCursor) -> Response[Any]:
    return problems.problem(400, "bad-cursor", "The cursor is not one this API gave.")


PROBLEM = ResponseSpec(problems.Problem, generate_examples=False, description="An error (application/problem+json).",
                       media_type=problems.MEDIA_TYPE)
AUTH_ERRORS = {401: ResponseSpec(problems.Problem, generate_examples=False, description="No key, or not a live key of this organisation.",
                                 media_type=problems.MEDIA_TYPE),
               403: ResponseSpec(problems.Problem, generate_examples=False, description="The key lacks this operation's scope.",
                                 media_type=problems.MEDIA_TYPE),
               429: ResponseSpec(problems.Problem, generate_examples=False, description="Over the key's rate limit; see Retry-After.",
                                 media_type=problems.MEDIA_TYPE),
               400: PROBLEM}
DETAIL_ERRORS = {**AUTH_ERRORS, 404: PROBLEM}
WRITE_ERRORS = {**DETAIL_ERRORS, 409: PROBLEM, 422: PROBLEM}


# --- who is calling -----------------------------------------------------------------------------


def _language(connection: ASGIConnection) -> None:
    """Machine clients say which language they want their error messages in; Arabic otherwise."""
    accept = connection.headers.get("accept-language", "")
    i18n.set_language("en" if accept.lower().startswith("en") else "ar")


def needs(scope: str) -> Any:
    """A guard: a live key of this host's tenant holding `scope`, within its rate limit."""

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        _language(connection)
        tenant = tenant_of(connection)
        scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
        caller = None
        if scheme.lower() == "bearer" and token.strip():
            caller = await authenticate(tenant.id, token.strip(), address=client_address(connection),
                                        method=str(connection.scope.get("method", "")), path=connection.scope["path"])
        if caller is None:
            raise ApiProblem(401, "unauthorized", "Send a live API key of this organisation: "
                             "Authorization: Bearer sila_…", headers={"WWW-Authenticate": "Bearer"})
        if scope not in caller.scopes:
            raise ApiProblem(403, "scope", f"This key does not have the {scope} scope.")
        state = connection.app.state
        try:
            count = await hit(state.redis, f"sila:api:{caller.key_id}", RATE_WINDOW)
        except RedisError:
            count = 0  # Redis down: the API keeps answering, as the public forms do
        if count > state.settings.api_rate_limit:
            raise ApiProblem(429, "rate-limit", f"At most {state.settings.api_rate_limit} calls a minute per key.",
                             headers={"Retry-After": str(RATE_WINDOW)})
        connection.scope[CALLER] = caller  # type: ignore[literal-required]

    return guard


def caller_of(request: Request) -> ApiCaller:
    return request.scope[CALLER]  # type: ignore[literal-required]


async def public(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _language(connection)
    tenant_of(connection)


# --- shapes ----------------------------------------------------------------------------------------


class Channel(msgspec.Struct):
    key: str
    label_ar: str
    label_en: str
    public_form: bool


class Tool(msgspec.Struct):
    key: str
    label_ar: str
    label_en: str


class QuestionOption(msgspec.Struct):
    value: str
    label_ar: str
    label_en: str


class Question(msgspec.Struct):
    """One of the charity's own questions on its request form (`answers` of `POST /requests`)."""

    key: str
    type: str  # short_text long_text number amount choice choices yes_no date_hijri date_gregorian file
    label_ar: str
    label_en: str
    help_ar: str
    help_en: str
    required: bool  # when shown
    options: list[QuestionOption]
    show_when_field: str  # asked only when this earlier question's answer is show_when_value ("" = always)
    show_when_value: str


class Policy(msgspec.Struct):
    """The policy in force: what a request is promised, and the texts an applicant must accept
    (an intake system shows them, in the applicant's language, before `POST /requests`)."""

    version: int
    steps: list[str]
    review_window_days: int | None
    review_window_basis: str
    window_text_ar: str
    window_text_en: str
    channels: list[Channel]
    tools: list[Tool]
    online_requests_open: bool
    declaration_ar: str
    declaration_en: str
    consent_ar: str
    consent_en: str
    questions: list[Question] = []


class Beneficiary(msgspec.Struct):
    id: uuid.UUID
    name: str
    id_masked: str
    id_kind: str
    mobile: str
    email: str
    preferred_channel: str
    preferred_language: str
    city: str
    category: str
    household_size: int | None
    registered_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    id_number: str | None = None  # only with ?reveal=true and the beneficiaries:reveal scope (audited)


class BeneficiaryPage(msgspec.Struct):
    items: list[Beneficiary]
    next_cursor: str | None


class RequestSummary(msgspec.Struct):
    id: uuid.UUID
    reference: str
    stage: str
    channel: str
    beneficiary_id: uuid.UUID
    policy_version: int
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    decision: str | None
    decided_at: dt.datetime | None
    closed_at: dt.datetime | None


class RequestPage(msgspec.Struct):
    items: list[RequestSummary]
    next_cursor: str | None


class StageChange(msgspec.Struct):
    at: dt.datetime
    action: str
    actor: str
    stage_from: str | None
    stage_to: str | None


class Service(msgspec.Struct):
    id: uuid.UUID
    request_id: uuid.UUID
    beneficiary_id: uuid.UUID
    service_type: str
    delivered_on: dt.date
    amount: str | None
    description: str
    recorded_at: dt.datetime


class Answer(msgspec.Struct):
    """An answer to one of the charity's own questions, as asked by the request's policy version."""

    key: str
    type: str
    question_ar: str
    question_en: str
    value: Any  # as stored: text, a whole number, an amount as text, an ISO day, option codes, or a file's name
    text: str  # the answer as a person reads it (option names, Yes/No), in the request's language


class RequestDetail(msgspec.Struct):
    id: uuid.UUID
    reference: str
    stage: str
    channel: str
    beneficiary_id: uuid.UUID
    policy_version: int
    steps: list[str]
    need: str
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    decision: str | None
    decision_reason: str
    decided_at: dt.datetime | None
    closed_at: dt.datetime | None
    history: list[StageChange]
    services: list[Service]
    answers: list[Answer] = []


class Decision(msgspec.Struct):
    id: uuid.UUID
    request_id: uuid.UUID
    session_id: uuid.UUID
    session_number: int
    held_at: dt.datetime
    decision: str
    reason: str
    decided_at: dt.datetime


class DecisionPage(msgspec.Struct):
    items: list[Decision]
    next_cursor: str | None


class ServicePage(msgspec.Struct):
    items: list[Service]
    next_cursor: str | None


class SurveyAnswer(msgspec.Struct):
    question: str
    type: str
    score: int | None
    text: str


class SurveyResponse(msgspec.Struct):
    id: uuid.UUID
    survey_id: uuid.UUID
    version: int
    anonymous: bool
    beneficiary_id: uuid.UUID | None
    service_type: str
    submitted_on: dt.date
    answers: list[SurveyAnswer]


class SurveyPage(msgspec.Struct):
    items: list[SurveyResponse]
    next_cursor: str | None


class Complaint(msgspec.Struct):
    id: uuid.UUID
    reference: str
    kind: str
    body: str
    status: str
    answer: str
    created_at: dt.datetime
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None


class ComplaintPage(msgspec.Struct):
    items: list[Complaint]
    next_cursor: str | None


class Applicant(msgspec.Struct):
    id_number: str
    name: str
    mobile: str
    preferred_channel: str = "sms"
    email: str = ""
    preferred_language: str = "ar"
    city: str = ""
    category: str = ""
    household_size: int | None = None


class NewRequest(msgspec.Struct):
    """What the online form asks, with the same rules: the applicant's details, the need, and the
    applicant's own e-signature (their full name as given), declaration and consent, under the
    policy version they were shown (`GET /policy`)."""

    applicant: Applicant
    need: str
    signature: str
    attest: bool
    consent: bool
    policy_version: int
    # Answers to the charity's own questions (`GET /policy` lists them), by question key: text,
    # numbers, "yes"/"no" (or true/false), option codes (a list for several choices), days in
    # either calendar. File questions cannot be answered here; a required one refuses the request.
    answers: dict[str, str | int | bool | list[str] | None] = {}


class Created(msgspec.Struct):
    id: uuid.UUID
    reference: str
    stage: str
    due_at: dt.datetime | None
    duplicate: bool


class NewService(msgspec.Struct):
    service_type: str
    delivered_on: dt.date | None = None
    amount: str | None = None
    description: str = ""


# --- helpers -----------------------------------------------------------------------------------------


def _encode(value: Any) -> bytes:
    return msgspec.json.encode(value)


def _json(value: Any, status: int, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=_encode(value), status_code=status, media_type="application/json", headers=headers or {})


def etagged(request: Request, value: Any) -> Response[Any]:
    """The JSON of `value` with its ETag; 304 when the client already has it (If-None-Match)."""
    body = _encode(value)
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    sent = [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]
    if tag in sent or "*" in sent:
        return Response(content=b"", status_code=304, headers={"ETag": tag})
    return Response(content=body, media_type="application/json", headers={"ETag": tag, "Cache-Control": "no-cache"})


def _beneficiary(row: dict[str, Any], id_number: str | None = None) -> Beneficiary:
    view = beneficiaries.public_view(row)
    return Beneficiary(id=view.id, name=view.name, id_masked=view.id_masked, id_kind=view.id_kind,
                       mobile=view.mobile, email=view.email, preferred_channel=view.preferred_channel,
                       preferred_language=view.preferred_language, city=view.city, category=view.category,
                       household_size=view.household_size, registered_at=view.registered_at,
                       created_at=view.created_at, updated_at=view.updated_at, id_number=id_number)


def _summary(row: dict[str, Any]) -> RequestSummary:
    return RequestSummary(id=row["id"], reference=row["reference"], stage=row["stage"], channel=row["channel"],
                          beneficiary_id=row["beneficiary"], policy_version=row["policy_version_number"],
                          submitted_at=row["submitted_at"], due_at=row["due_at"], decision=row["decision"],
                          decided_at=row["decided_at"], closed_at=row["closed_at"])


def _service(row: dict[str, Any]) -> Service:
    amount = row.get("amount")
    return Service(id=row["id"], request_id=row["request"], beneficiary_id=row["beneficiary"],
                   service_type=row["service_type"], delivered_on=row["delivered_on"],
                   amount=None if amount is None else str(amount), description=row["description"] or "",
                   recorded_at=row["recorded_at"])


async def _page(request: Request, read: Any, cursor: str | None, limit: int, *,
                cursor_type: type = dt.datetime, **filters: Any) -> queries.Page:
    """One page of a list for the caller's tenant: `read` (a queries.*_page) after `cursor`, whose
    time is a `cursor_type` (the list's order: a moment, or a day for survey answers)."""
    return await read(caller_of(request).tenant_id, cursor=queries.decode_cursor(cursor, cursor_type), limit=limit,
                      **filters)


def _check_strings(value: Any, errors: FormErrors, path: str = "") -> None:
    """JSON strings reach the services unguarded by the form layer's input guard: the same
    characters are refused here (NUL and other controls, lone surrogates), beside their field."""
    if isinstance(value, str):
        if control_characters(value, multiline=True):
            errors.add(path or "__all__", input_guard.NOT_ALLOWED)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(v, errors, str(k))
    elif isinstance(value, list):
        for v in value:
            _check_strings(v, errors, path)


def _invalid(errors: FormErrors) -> ApiProblem:
    return ApiProblem(422, "invalid", "Some fields are not valid; see `errors`.", errors=dict(errors))


def _checked(data: msgspec.Struct) -> dict[str, Any]:
    """A write's body as plain values; 422 when one of its strings holds what no form accepts."""
    raw = msgspec.to_builtins(data)
    errors = FormErrors()
    _check_strings(raw, errors)
    if errors:
        raise _invalid(errors)
    return raw


@dataclasses.dataclass
class Claim:
    row_id: uuid.UUID | None
    replay: tuple[int, Any] | None


async def _claim(caller: ApiCaller, key: str | None, operation: str, body: Any) -> Claim:
    """In the open scope: take `key` for this operation (waiting for a concurrent holder), or
    find the answer it already had. A different body under the same key is refused."""
    if not key:
        return Claim(None, None)
    if control_characters(key) or not key.isascii():
        raise ApiProblem(400, "idempotency-key", "The Idempotency-Key must be printable ASCII.")
    fingerprint = hashlib.sha256(_encode([operation, body])).hexdigest()
    conn = current_connection()
    row_id = await conn.fetchval(
        """insert into api_idempotency (tenant, api_key, idem_key, operation, fingerprint) values ($1, $2, $3, $4, $5)
           on conflict (tenant, api_key, idem_key) do nothing returning id""",
        caller.tenant_id, caller.key_id, key, operation, fingerprint)
    if row_id is not None:
        return Claim(row_id, None)
    seen = await conn.fetchrow("select * from api_idempotency where api_key = $1 and idem_key = $2",
                               caller.key_id, key)
    if seen["fingerprint"] != fingerprint:
        raise ApiProblem(422, "idempotency-key-reused", "This Idempotency-Key was used for another request.")
    response = json.loads(seen["response"]) if isinstance(seen["response"], str) else seen["response"]
    return Claim(None, (seen["status_code"], response))


async def _keep(claim: Claim, status: int, value: Any) -> None:
    if claim.row_id is not None:
        await current_connection().execute(
            "update api_idempotency set status_code = $2, response = $3::jsonb where id = $1",
            claim.row_id, status, _encode(value).decode())


def _replayed(claim: Claim) -> Response[Any] | None:
    if claim.replay is None:
        return None
    status, body = claim.replay
    return Response(content=_encode(body), status_code=status, media_type="application/json",
                    headers={"Idempotent-Replayed": "true"})


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
    page = await _page(request, queries.beneficiaries_page, cursor, limit)
    return BeneficiaryPage([_beneficiary(r) for r in page.rows], page.next_cursor)


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
    return etagged(request, _beneficiary(dict(row), number))


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
    page = await _page(request, queries.requests_page, cursor, limit, stages=stages, since=submitted_from,
                       until=submitted_to)
    return RequestPage([_summary(r) for r in page.rows], page.next_cursor)


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
        history=history, services=[_service(s) for s in await queries.request_services(tenant_id, req["id"])],
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


def _answers_form(terms: PolicyTerms, answers: dict[str, Any], errors: FormErrors) -> dict[str, Any]:
    """The API's answers as the online form posts them (`cf_<key>`), for the same parse_answers."""
    fields = {f.key: f for f in terms.custom_fields}
    form: dict[str, Any] = {}
    for key, value in answers.items():
        f = fields.get(key)
        if f is None or f.type == "file":
            errors.add(f"answers.{key}", MSG_NOT_A_QUESTION if f is None else MSG_FILE_QUESTION)
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        form[f.name] = [str(v) for v in value] if isinstance(value, list) else "" if value is None else str(value)
    return form


@get("/requests/{request_id:str}", name="api_request", guards=[needs("requests:read")], security=BEARER, tags=["requests"],
     responses=DETAIL_ERRORS, summary="One request, with its stage history and services")
async def get_request(request: Request, request_id: FromPath[str]) -> Response[RequestDetail]:
    return etagged(request, await _detail(caller_of(request).tenant_id, request_id))


@post("/requests", name="api_request_create", guards=[needs("requests:write")], security=BEARER, tags=["requests"],
      request_max_body_size=MAX_BODY, status_code=201, responses=WRITE_ERRORS,
      summary="Submit a request from another intake system (the online form's rules)")
async def create_request(request: Request, data: JSONBody[NewRequest], idempotency_key: IdempotencyKey = None
                         ) -> Response[Created]:
    """The same checks as the online form, by the same code: the applicant's details through the
    applicant form model (ID check digit, mobile, email when it is the channel), the need, the
    e-signature matching the applicant's name, the declaration and the consent, the policy
    version the applicant was shown; only while the policy accepts online requests."""
    caller = caller_of(request)
    tenant = tenant_of(request)
    raw = _checked(data)
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
    answers = custom_fields.parse_answers(list(terms.custom_fields), _answers_form(terms, data.answers, errors))
    for name, messages in answers.errors.items():  # "cf_rent" -> "answers.rent", as the request names it
        errors.setdefault(f"answers.{name.removeprefix('cf_')}", []).extend(messages)
    if parsed.value is None or errors:
        raise _invalid(errors)
    applicant, need, signer = request_forms.applicant_of(parsed.value), parsed.value.need, parsed.value.signature
    lang = applicant.preferred_language
    async with tenant_scope(tenant.id):
        claim = await _claim(caller, idempotency_key, "requests.create", raw)
        if (replayed := _replayed(claim)) is not None:
            return replayed
        token = hashlib.sha256(f"api:{caller.key_id}:{idempotency_key or secrets.token_hex(16)}".encode()).hexdigest()
        result = await requests.submit_online(tenant, terms, requests.OnlineSubmission(
            applicant=applicant, need=need, signer_name=signer,
            form_text=request_forms.declaration_text(terms, lang),
            consent_text=request_forms.consent_text(tenant.name(lang), lang), files=[], token=token,
            address=caller.address, user_agent=f"{caller.label} ({request.headers.get('user-agent', '')})"[:500],
            custom_answers=answers.values or {}))
        row = await current_connection().fetchrow("select id, stage from support_request where submit_token = $1",
                                                  token)
        created = Created(id=row["id"], reference=result.reference, stage=row["stage"], due_at=result.due_at,
                          duplicate=result.duplicate)
        await _keep(claim, 201, created)
    return _json(created, 201, {"Location": f"/api/v1/requests/{created.id}"})


# --- decisions, services, surveys, complaints ------------------------------------------------------


@get("/decisions", name="api_decisions", guards=[needs("decisions:read")], security=BEARER, tags=["decisions"],
     responses=AUTH_ERRORS, summary="Research-committee decisions, oldest first")
async def list_decisions(request: Request, cursor: Cursor = None, limit: Limit = 50,
                         decided_from: Since = None) -> DecisionPage:
    page = await _page(request, queries.decisions_page, cursor, limit, since=decided_from)
    return DecisionPage([Decision(id=r["id"], request_id=r["request"], session_id=r["session"],
                                  session_number=r["session_number"], held_at=r["held_at"], decision=r["decision"],
                                  reason=r["reason"] or "", decided_at=r["decided_at"]) for r in page.rows],
                        page.next_cursor)


@get("/services", name="api_services", guards=[needs("services:read")], security=BEARER, tags=["services"], responses=AUTH_ERRORS,
     summary="Services delivered, oldest recorded first")
async def list_services(request: Request, cursor: Cursor = None, limit: Limit = 50, delivered_from: Since = None,
                        delivered_to: Until = None) -> ServicePage:
    page = await _page(request, queries.services_page, cursor, limit, since=delivered_from, until=delivered_to)
    return ServicePage([_service(r) for r in page.rows], page.next_cursor)


@post("/requests/{request_id:str}/services", name="api_service_create", guards=[needs("services:write")], security=BEARER,
      tags=["services"], request_max_body_size=MAX_BODY, status_code=201, responses=WRITE_ERRORS,
      summary="Record a service delivered on an accepted request (the request page's rules)")
async def create_service(request: Request, request_id: FromPath[str], data: JSONBody[NewService],
                         idempotency_key: IdempotencyKey = None) -> Response[Service]:
    caller = caller_of(request)
    tenant = tenant_of(request)
    raw = _checked(data)
    form = {"service_type": data.service_type, "description": data.description,
            "delivered_on": data.delivered_on.isoformat() if data.delivered_on else "", "amount": data.amount or ""}
    try:
        async with tenant_scope(tenant.id):
            claim = await _claim(caller, idempotency_key, f"services.create:{request_id}", raw)
            if (replayed := _replayed(claim)) is not None:
                return replayed
            await requests.act_in_scope(tenant, request_id, "record_service", caller.actor(Role.relations_officer),
                                        form)
            row = await current_connection().fetchrow(
                "select * from service_delivery where request = $1 order by recorded_at desc, id desc limit 1",
                parse_uuid(request_id))
            service = _service(dict(row))
            await _keep(claim, 201, service)
    except TransitionError as exc:
        raise ApiProblem(409, "wrong-stage", i18n.gettext(exc.msgid)) from None
    except InputProblem as exc:
        problem_errors = FormErrors()
        problem_errors.add(exc.field, exc.msgid, **exc.variables)
        raise _invalid(problem_errors) from None
    except decimal.InvalidOperation:  # pragma: no cover - the service reports amounts itself
        raise ApiProblem(422, "invalid", "amount") from None
    return _json(service, 201)


@get("/survey-responses", name="api_survey_responses", guards=[needs("surveys:read")], security=BEARER, tags=["surveys"],
     responses=AUTH_ERRORS, summary="Satisfaction-survey answers, oldest first")
async def list_survey_responses(request: Request, cursor: Cursor = None, limit: Limit = 50,
                                submitted_from: Since = None) -> SurveyPage:
    page = await _page(request, queries.survey_answers_page, cursor, limit, cursor_type=dt.date, since=submitted_from)
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
    page = await _page(request, queries.complaints_page, cursor, limit, kind=kind or "", since=received_from)
    return ComplaintPage([Complaint(id=r["id"], reference=r["reference"], kind=r["kind"], body=r["body"],
                                    status=r["status"], answer=r["answer"] or "", created_at=r["created_at"],
                                    answered_at=r["answered_at"], closed_at=r["closed_at"]) for r in page.rows],
                         page.next_cursor)


HANDLERS = [policy, list_beneficiaries, get_beneficiary, list_requests, get_request, create_request, list_decisions,
            list_services, create_service, list_survey_responses, list_complaints]


def router() -> Router:
    return Router(path="/api/v1", route_handlers=HANDLERS, include_in_schema=True,
                  exception_handlers={ApiProblem: _answer_problem, NotFound: _not_found,
                                      queries.BadCursor: _bad_cursor})
