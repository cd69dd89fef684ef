"""What every call of the JSON API shares (sila.tenants.api.v1 holds the handlers, schema.py the
shapes): its errors as problem+json, the guard that finds the caller's key, scope and rate limit, the
JSON answer and its ETag, the check of a write's strings, idempotency keys, and one page of a list."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, Parameter
from redis.exceptions import RedisError

from sila.platform import i18n, input_guard, problems
from sila.platform.auth import client_address
from sila.platform.db import current_connection
from sila.platform.errors import NotFound
from sila.platform.forms import FormErrors, control_characters
from sila.platform.ratelimit import hit
from sila.platform.tenancy import tenant_of
from sila.tenants.api import queries
from sila.tenants.api.services import ApiCaller, authenticate

CALLER = "sila_api_caller"
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
RATE_WINDOW = 60
MAX_BODY = 64 * 1024

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


def encode(value: Any) -> bytes:
    return msgspec.json.encode(value)


def json_response(value: Any, status: int, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=encode(value), status_code=status, media_type="application/json", headers=headers or {})


def etagged(request: Request, value: Any) -> Response[Any]:
    """The JSON of `value` with its ETag; 304 when the client already has it (If-None-Match)."""
    body = encode(value)
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    sent = [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]
    if tag in sent or "*" in sent:
        return Response(content=b"", status_code=304, headers={"ETag": tag})
    return Response(content=body, media_type="application/json", headers={"ETag": tag, "Cache-Control": "no-cache"})


async def page_of(request: Request, read: Any, cursor: str | None, limit: int, *,
                cursor_type: type = dt.datetime, **filters: Any) -> queries.Page:
    """One page of a list for the caller's tenant: `read` (a queries.*page_of) after `cursor`, whose
    time is a `cursor_type` (the list's order: a moment, or a day for survey answers)."""
    return await read(caller_of(request).tenant_id, cursor=queries.decode_cursor(cursor, cursor_type), limit=limit,
                      **filters)


def check_strings(value: Any, errors: FormErrors, path: str = "") -> None:
    """JSON strings reach the services unguarded by the form layer's input guard: the same
    characters are refused here (NUL and other controls, lone surrogates), beside their field."""
    if isinstance(value, str):
        if control_characters(value, multiline=True):
            errors.add(path or "__all__", input_guard.NOT_ALLOWED)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_strings(v, errors, str(k))
    elif isinstance(value, list):
        for v in value:
            check_strings(v, errors, path)


def invalid(errors: FormErrors) -> ApiProblem:
    return ApiProblem(422, "invalid", "Some fields are not valid; see `errors`.", errors=dict(errors))


def checked(data: msgspec.Struct) -> dict[str, Any]:
    """A write's body as plain values; 422 when one of its strings holds what no form accepts."""
    raw = msgspec.to_builtins(data)
    errors = FormErrors()
    check_strings(raw, errors)
    if errors:
        raise invalid(errors)
    return raw


@dataclasses.dataclass
class Claim:
    row_id: uuid.UUID | None
    replay: tuple[int, Any] | None


async def claim_key(caller: ApiCaller, key: str | None, operation: str, body: Any) -> Claim:
    """In the open scope: take `key` for this operation (waiting for a concurrent holder), or
    find the answer it already had. A different body under the same key is refused."""
    if not key:
        return Claim(None, None)
    if control_characters(key) or not key.isascii():
        raise ApiProblem(400, "idempotency-key", "The Idempotency-Key must be printable ASCII.")
    fingerprint = hashlib.sha256(encode([operation, body])).hexdigest()
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


async def keep_answer(claim: Claim, status: int, value: Any) -> None:
    if claim.row_id is not None:
        await current_connection().execute(
            "update api_idempotency set status_code = $2, response = $3::jsonb where id = $1",
            claim.row_id, status, encode(value).decode())


def replay_of(claim: Claim) -> Response[Any] | None:
    if claim.replay is None:
        return None
    status, body = claim.replay
    return Response(content=encode(body), status_code=status, media_type="application/json",
                    headers={"Idempotent-Replayed": "true"})


EXCEPTION_HANDLERS: dict[Any, Any] = {ApiProblem: _answer_problem, NotFound: _not_found, queries.BadCursor: _bad_cursor}
