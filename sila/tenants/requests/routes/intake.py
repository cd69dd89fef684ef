"""A request recorded by staff on the applicant's behalf, through one of the policy's channels."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post

from sila.platform import i18n
from sila.platform.actors import actor_of
from sila.platform.auth import requires_staff
from sila.platform.forms import FormErrors, parse_form
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect
from sila.tenants.requests import forms, services
from sila.tenants.requests.routes.common import Multipart, choice_options, files_errors, page, read_custom_answers
from sila.tenants.requests.terms import PolicyTerms, terms_in_force
from sila.tenants.requests.uploads import ACCEPT, MAX_BODY, read_files


class IntakeRoutes(Controller):
    path = "/portal/requests"
    guards = [requires_staff()]

    async def _intake_form(self, request: Request, terms: PolicyTerms | None, *, form: dict[str, Any],
                           errors: FormErrors, status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        lang = i18n.get_language()
        return await page(request, "requests/new.html", status_code=status_code, terms=terms, form=form,
                          errors=errors, accept=ACCEPT, **choice_options(),
                          staff_channels=[(c.key, c.label(lang)) for c in terms.channels if c.code != "website"]
                          if terms else [],
                          consent=forms.consent_text(tenant.name(lang), lang),
                          declaration=forms.declaration_text(terms, lang).split("\n") if terms else [])

    @get("/new", name="request_new", guards=[requires_staff(Role.relations_officer)])
    async def new_form(self, request: Request) -> Any:
        terms = await terms_in_force(tenant_of(request).id)
        return await self._intake_form(request, terms, form={}, errors=FormErrors())

    @post("/new", name="request_new_submit", guards=[requires_staff(Role.relations_officer)], request_max_body_size=MAX_BODY)
    async def new(self, request: Request, data: Multipart) -> Any:
        tenant = tenant_of(request)
        terms = await terms_in_force(tenant.id)
        if terms is None:
            return await self._intake_form(request, terms, form={}, errors=FormErrors(), status_code=409)
        uploads, problems = await read_files(data.get("documents"))
        errors = FormErrors()
        files_errors(errors, "documents", problems)
        letters, letter_problems = await read_files(data.get("letter_scan"))
        files_errors(errors, "letter_scan", letter_problems)
        scans, problems = await read_files(data.get("attestation_scan"))
        files_errors(errors, "attestation_scan", problems)
        fields = {**data, "letter_scan": letters[0] if letters else None,
                  "attestation_scan": scans[0] if scans else None}
        parsed = parse_form(forms.IntakeForm, fields, context={"terms": terms, "letter_refused": bool(letter_problems)})
        for name, messages in parsed.errors.items():
            errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
        answers = await read_custom_answers(terms, data, errors)
        if errors or parsed.value is None:
            if uploads or letters or scans or answers.files:  # staff re-attach; only the public form stashes files
                errors.add("__all__", forms.MSG_FILES_AGAIN)
            return await self._intake_form(request, terms, form={**parsed.typed, **answers.typed}, errors=errors,
                                           status_code=400)
        value = parsed.value
        lang = value.preferred_language
        request_id = await services.record_by_staff(tenant, terms, services.StaffIntake(
            applicant=forms.applicant_of(value), channel=value.channel, need=value.need,
            interview_url=value.interview_url, interview_at=value.interview_at, files=uploads,
            letter_scan=value.letter_scan, attestation_scan=value.attestation_scan, signer_name=value.signer_name,
            consent_text=forms.consent_text(tenant.name(lang), lang), custom_answers=answers.values,
            custom_files=answers.files), await actor_of(request))
        return redirect(f"/portal/requests/{request_id}")
