"""The public online request form: the policy's promise, the applicant's details, documents kept
across attempts, the e-signature; and its confirmation with the decision's due date."""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
from typing import Any

from litestar import Controller, Request, get, post

from sila.platform import crypto, i18n
from sila.platform.auth import client_address, requires_tenant_site
from sila.platform.forms import FormErrors, parse_form, ticked
from sila.platform.ratelimit import public_form_limit
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect
from sila.tenants.policy import catalogue, deadlines
from sila.tenants.requests import forms, services
from sila.tenants.requests.routes.common import Multipart, choice_options, files_errors, page, read_custom_answers
from sila.tenants.requests.terms import PolicyTerms, terms_in_force
from sila.tenants.requests.uploads import ACCEPT, MAX_BODY, MAX_FILES, MSG_TOO_MANY, Upload, read_files

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
STASH_TTL = 3600
STASH_FIELD = "apply.stash"
MSG_POLICY_CHANGED = i18n.N_("The charity published a new version of its policy while you were filling in the form. "
                             "Read it below and sign again; what you typed is kept.")


async def _public_terms(request: Request) -> PolicyTerms | None:
    tenant = tenant_of(request)
    terms = await terms_in_force(tenant.id)
    if tenant.status != "active" or terms is None or not terms.public_form_open:
        return None
    return terms


def _stash_key(tenant_id: Any, token: str) -> str:
    return f"sila:apply:files:{tenant_id}:{token}"


async def _stashed(redis: Any, tenant_id: Any, token: str) -> list[Upload]:
    """Files that passed their checks on an earlier attempt of this same form (kept an hour),
    so an error elsewhere in the form does not make the applicant upload them again."""
    raw = await redis.get(_stash_key(tenant_id, token)) if TOKEN_RE.match(token or "") else None
    if not raw:
        return []
    try:
        files = json.loads(crypto.decrypt(tenant_id, STASH_FIELD, raw))
    except Exception:  # another tenant's or a tampered entry: as if nothing were kept
        return []
    return [Upload(f["filename"], f["content_type"], base64.b64decode(f["content"])) for f in files]


async def _stash(redis: Any, tenant_id: Any, token: str, files: list[Upload]) -> None:
    if files:
        payload = [{"filename": f.filename, "content_type": f.content_type,
                    "content": base64.b64encode(f.content).decode()} for f in files]
        # Encrypted like the ID number: these are copies of people's documents.
        await redis.set(_stash_key(tenant_id, token), crypto.encrypt(tenant_id, STASH_FIELD, json.dumps(payload)),
                        ex=STASH_TTL)
    else:
        await redis.delete(_stash_key(tenant_id, token))


async def _stashed_answer_files(redis: Any, tenant_id: Any, token: str) -> dict[str, Upload]:
    """Files given to the charity's own file questions on an earlier attempt (by question key),
    kept like the documents above."""
    raw = await redis.get(_stash_key(tenant_id, token) + ":cf") if TOKEN_RE.match(token or "") else None
    if not raw:
        return {}
    try:
        files = json.loads(crypto.decrypt(tenant_id, STASH_FIELD, raw))
        return {key: Upload(f["filename"], f["content_type"], base64.b64decode(f["content"])) for key, f in files.items()}
    except Exception:  # another tenant's or a tampered entry: as if nothing were kept
        return {}


async def _stash_answer_files(redis: Any, tenant_id: Any, token: str, files: dict[str, Upload]) -> None:
    if files:
        payload = {key: {"filename": f.filename, "content_type": f.content_type,
                         "content": base64.b64encode(f.content).decode()} for key, f in files.items()}
        await redis.set(_stash_key(tenant_id, token) + ":cf",
                        crypto.encrypt(tenant_id, STASH_FIELD, json.dumps(payload)), ex=STASH_TTL)
    else:
        await redis.delete(_stash_key(tenant_id, token) + ":cf")


class ApplyRoutes(Controller):
    guards = [requires_tenant_site, public_form_limit("public_requests")]

    async def _form(self, request: Request, terms: PolicyTerms, *, form: dict[str, Any], errors: FormErrors,
                    token: str, stashed: list[Upload], status_code: int = 200,
                    kept: dict[str, Upload] | None = None) -> Any:
        tenant = tenant_of(request)
        lang = i18n.get_language()
        now = dt.datetime.now(dt.UTC)
        return await page(
            request, "public/request_form.html", status_code=status_code, terms=terms, form=form, errors=errors,
            token=token, stashed=stashed, accept=ACCEPT, max_files=MAX_FILES, kept=kept or {},
            declaration=forms.declaration_text(terms, lang).split("\n"),
            consent=forms.consent_text(tenant.name(lang), lang), **choice_options(),
            step_names=[catalogue.STEPS[s].label(lang) for s in terms.steps],
            due_if_today=await deadlines.due_for(tenant.id, now, terms.review_window_days, terms.review_window_basis)
            if terms.review_window_days else None)

    @get("/apply", name="request_apply")
    async def apply_form(self, request: Request) -> Any:
        terms = await _public_terms(request)
        if terms is None:
            return await page(request, "public/request_closed.html", status_code=404)
        return await self._form(request, terms, form={"preferred_language": i18n.get_language()},
                                errors=FormErrors(), token=secrets.token_urlsafe(32), stashed=[])

    @post("/apply", name="request_apply_submit", request_max_body_size=MAX_BODY)
    async def apply(self, request: Request, data: Multipart) -> Any:
        tenant = tenant_of(request)
        redis = request.app.state.redis
        terms = await _public_terms(request)
        if terms is None:
            return await page(request, "public/request_closed.html", status_code=404)
        parsed = parse_form(forms.ApplyForm, data)
        errors = parsed.errors
        token = parsed.typed["submit_token"]
        if not TOKEN_RE.match(token or ""):
            token = secrets.token_urlsafe(32)
        keep = set(ticked(data, "keep"))
        stashed = [f for i, f in enumerate(await _stashed(redis, tenant.id, token)) if str(i) in keep]
        uploads, problems = await read_files(data.get("documents"))
        files_errors(errors, "documents", problems)
        files = stashed + uploads
        if len(files) > MAX_FILES:
            errors.add("documents", MSG_TOO_MANY)
        # The charity's own questions of the version in force (a request pins it, and with it them).
        answers = await read_custom_answers(terms, data, errors, await _stashed_answer_files(redis, tenant.id, token))
        if parsed.typed["policy_version"] != str(terms.number):
            errors.add("__all__", MSG_POLICY_CHANGED)
        if errors or parsed.value is None:
            await _stash(redis, tenant.id, token, files[:MAX_FILES])
            await _stash_answer_files(redis, tenant.id, token, answers.files)
            return await self._form(request, terms, form={**parsed.typed, **answers.typed}, errors=errors, token=token,
                                    stashed=files[:MAX_FILES], status_code=400, kept=answers.files)
        value = parsed.value
        lang = i18n.get_language()
        result = await services.submit_online(tenant, terms, services.OnlineSubmission(
            applicant=forms.applicant_of(value), need=value.need, signer_name=value.signature,
            form_text=forms.declaration_text(terms, lang),
            consent_text=forms.consent_text(tenant.name(lang), lang), files=files, token=token,
            address=client_address(request), user_agent=request.headers.get("user-agent", ""),
            custom_answers=answers.values, custom_files=answers.files))
        await _stash(redis, tenant.id, token, [])
        await _stash_answer_files(redis, tenant.id, token, {})
        session = dict(request.session or {})
        session["applied"] = {"reference": result.reference,
                              "due_at": result.due_at.isoformat() if result.due_at else None}
        request.set_session(session)
        return redirect("/apply/received")

    @get("/apply/received", name="request_received")
    async def received(self, request: Request) -> Any:
        applied = (request.session or {}).get("applied")
        if not applied:
            return redirect("/apply")
        terms = await terms_in_force(tenant_of(request).id)
        due = dt.datetime.fromisoformat(applied["due_at"]) if applied.get("due_at") else None
        return await page(request, "public/request_received.html", reference=applied["reference"], due_at=due,
                          terms=terms)
