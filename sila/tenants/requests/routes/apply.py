"""The public online request form: the policy's promise, the applicant's details, documents kept
across attempts, the e-signature; and its confirmation with the decision's due date."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from litestar import Controller, Request, get, post

from sila.platform import i18n
from sila.platform.auth import client_address, requires_tenant_site
from sila.platform.forms import FormErrors, parse_form
from sila.platform.ratelimit import public_form_limit
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect
from sila.tenants.policy import catalogue, deadlines
from sila.tenants.requests import forms, services
from sila.tenants.requests.routes.common import Multipart, choice_options, files_errors, page, read_custom_answers
from sila.tenants.requests.routes.stash import FileStash, token_or_new
from sila.tenants.requests.terms import PolicyTerms, terms_in_force
from sila.tenants.requests.uploads import ACCEPT, MAX_BODY, MAX_FILES, MSG_TOO_MANY, Upload, read_files

MSG_POLICY_CHANGED = i18n.N_("The charity published a new version of its policy while you were filling in the form. "
                             "Read it below and sign again; what you typed is kept.")


async def _public_terms(request: Request) -> PolicyTerms | None:
    tenant = tenant_of(request)
    terms = await terms_in_force(tenant.id)
    if tenant.status != "active" or terms is None or not terms.public_form_open:
        return None
    return terms


STASH = FileStash("apply")


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
        token = token_or_new(parsed.typed["submit_token"])
        stashed = await STASH.kept(redis, tenant.id, token, data)
        uploads, problems = await read_files(data.get("documents"))
        files_errors(errors, "documents", problems)
        files = stashed + uploads
        if len(files) > MAX_FILES:
            errors.add("documents", MSG_TOO_MANY)
        # The charity's own questions of the version in force (a request pins it, and with it them).
        answers = await read_custom_answers(terms, data, errors, await STASH.answer_files(redis, tenant.id, token))
        if parsed.typed["policy_version"] != str(terms.number):
            errors.add("__all__", MSG_POLICY_CHANGED)
        if errors or parsed.value is None:
            await STASH.keep(redis, tenant.id, token, files[:MAX_FILES])
            await STASH.keep_answer_files(redis, tenant.id, token, answers.files)
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
        await STASH.keep(redis, tenant.id, token, [])
        await STASH.keep_answer_files(redis, tenant.id, token, {})
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
