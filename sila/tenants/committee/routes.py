"""The research committee's pages: the sessions list, a session with its agenda, votes and
decisions, and the minutes as a PDF."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, FromPath

from sila.platform import i18n
from sila.platform.actors import actor_of
from sila.platform.auth import requires_staff
from sila.platform.downloads import content_disposition
from sila.platform.forms import FormErrors, parse_form
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect, render
from sila.tenants.committee import forms, services
from sila.tenants.committee.minutes import minutes_pdf
from sila.tenants.committee.rule import MAJORITIES
from sila.tenants.policy import custom_fields as cf
from sila.tenants.requests import services as requests
from sila.tenants.requests.display import template_helpers
from sila.tenants.requests.services import Problem, TransitionError
from sila.tenants.requests.terms import terms_of_version

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


async def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Any:
    return await render(request, template, status_code=status_code, **template_helpers(), vote_labels=forms.VOTES,
                        decision_labels=forms.DECISIONS, majority_labels=MAJORITIES,
                        outcome_text=lambda o: o.text(i18n.gettext), **context)


class CommitteeRoutes(Controller):
    path = "/portal/committee"
    guards = [requires_staff(Role.committee_member, Role.admin, Role.relations_officer)]

    @get("/", name="committee_sessions")
    async def sessions(self, request: Request) -> Any:
        return await self._list(request, form={}, errors=FormErrors())

    async def _list(self, request: Request, *, form: dict[str, Any], errors: FormErrors, status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        return await page(request, "committee/sessions.html", status_code=status_code,
                          sessions=await services.sessions(tenant.id),
                          waiting=await services.waiting_requests(tenant.id), form=form, errors=errors)

    @post("/", name="committee_open")
    async def open(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        parsed = parse_form(forms.SessionForm, data)
        form, errors = parsed.typed, parsed.errors
        if parsed.value is None:
            return await self._list(request, form=form, errors=errors, status_code=400)
        try:
            sid = await services.create_session(tenant, parsed.value.held_at, parsed.value.location,
                                                 await actor_of(request))
        except Problem as exc:
            errors.add(exc.field, exc.msgid, **exc.variables)
            return await self._list(request, form=form, errors=errors, status_code=400)
        except TransitionError:
            raise PermissionDeniedException() from None
        return redirect(f"/portal/committee/{sid}")

    async def _detail(self, request: Request, session_id: str, *, errors: FormErrors | None = None,
                      form: dict[str, Any] | None = None, status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        data = await services.session_detail(tenant.id, session_id)
        # Each request's answers on the charity's own form, as the version it pinned asked them.
        forms: dict[int, Any] = {}
        answers = {}
        for it in data.items:
            s = it.summary
            if s is None:
                continue
            if s.policy_version_number not in forms:
                forms[s.policy_version_number] = await terms_of_version(tenant.id, s.policy_version_number)
            terms = forms[s.policy_version_number]
            answers[s.request] = cf.answer_rows(list(terms.custom_fields) if terms else [], s.custom_answers,
                                                i18n.get_language())
        return await page(request, "committee/session.html", status_code=status_code, **data.context(),
                          answers_of=answers,
                          waiting=await services.waiting_requests(tenant.id, session_id) if data.session.status == "open"
                          else [], errors=errors or FormErrors(), form=form or {})

    @get("/{session_id:str}", name="committee_session")
    async def session(self, request: Request, session_id: FromPath[str]) -> Any:
        return await self._detail(request, session_id)

    async def _run(self, request: Request, session_id: str, form: dict[str, Any], call: Any, prefix: str = "") -> Any:
        errors = FormErrors()
        try:
            await call
        except requests.Invalid as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(prefix + name, []).extend(messages)
            return await self._detail(request, session_id, errors=errors, form=form, status_code=400)
        except Problem as exc:
            errors.add(prefix + exc.field, exc.msgid, **exc.variables)
            return await self._detail(request, session_id, errors=errors, form=form, status_code=400)
        except TransitionError as exc:
            errors.add("__all__", exc.msgid, **exc.variables)
            return await self._detail(request, session_id, errors=errors, form=form,
                                      status_code=403 if exc.kind == "role" else 409)
        return redirect(f"/portal/committee/{session_id}")

    @post("/{session_id:str}/agenda", name="committee_agenda")
    async def agenda(self, request: Request, session_id: FromPath[str], data: FormData) -> Any:
        parsed = parse_form(forms.AgendaForm, data)
        if parsed.value is None:
            return await self._detail(request, session_id, errors=parsed.errors, status_code=400)
        return await self._run(request, session_id, {}, services.add_to_agenda(
            tenant_of(request), session_id, parsed.value.requests, await actor_of(request)))

    async def _on_item(self, request: Request, session_id: str, item_id: str, model: Any, data: Any,
                       do: Any) -> Any:
        """An agenda item's form read by `model` (its fields shown under "<item>.<field>"), then
        `do(value, actor)`. On an error the page again, once the item is found in this tenant:
        another tenant's id is a 404 whatever was typed."""
        parsed = parse_form(model, data)
        form = {f"{item_id}.{k}": v for k, v in parsed.typed.items()}
        if parsed.value is None:
            await services.get_item_in_tenant(tenant_of(request).id, session_id, item_id)
            errors = FormErrors()
            for name, messages in parsed.errors.items():
                errors.setdefault(f"{item_id}.{name}", []).extend(messages)
            return await self._detail(request, session_id, errors=errors, form=form, status_code=400)
        return await self._run(request, session_id, form, do(parsed.value, await actor_of(request)),
                               prefix=f"{item_id}.")

    @post("/{session_id:str}/items/{item_id:str}/vote", name="committee_vote")
    async def vote(self, request: Request, session_id: FromPath[str], item_id: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        return await self._on_item(request, session_id, item_id, forms.VoteForm, data, lambda value, actor: (
            services.cast_vote(tenant, session_id, item_id, value.vote, value.reasons, actor)))

    @post("/{session_id:str}/items/{item_id:str}/decide", name="committee_decide")
    async def decide(self, request: Request, session_id: FromPath[str], item_id: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        return await self._on_item(request, session_id, item_id, forms.DecideForm, data, lambda value, actor: (
            services.decide(tenant, session_id, item_id, value.decision, value.reason, actor)))

    @post("/{session_id:str}/items/{item_id:str}/conflict", name="committee_conflict")
    async def conflict(self, request: Request, session_id: FromPath[str], item_id: FromPath[str],
                       data: FormData) -> Any:
        tenant = tenant_of(request)
        return await self._on_item(request, session_id, item_id, forms.ConflictForm, data, lambda value, actor: (
            services.declare_conflict(tenant, session_id, item_id, value.reasons, actor)))

    @get("/{session_id:str}/items/{item_id:str}/tally", name="committee_tally")
    async def tally(self, request: Request, session_id: FromPath[str], item_id: FromPath[str]) -> Any:
        """The item's votes and the rule's outcome so far: the session page refreshes it (htmx)."""
        tenant = tenant_of(request)
        await services.get_item_in_tenant(tenant.id, session_id, item_id)
        data = await services.session_detail(tenant.id, session_id)
        return await page(request, "committee/_tally.html", it=data.item(item_id), **data.context())

    @post("/{session_id:str}/attendance", name="committee_attendance")
    async def attendance(self, request: Request, session_id: FromPath[str], data: FormData) -> Any:
        parsed = parse_form(forms.AttendanceForm, data)
        if parsed.value is None:
            await services.get_session_in_tenant(tenant_of(request).id, session_id)
            return await self._detail(request, session_id, errors=parsed.errors, status_code=400)
        return await self._run(request, session_id, {}, services.record_attendance(
            tenant_of(request), session_id, parsed.value.present, await actor_of(request)))

    @post("/{session_id:str}/sign", name="committee_sign")
    async def sign(self, request: Request, session_id: FromPath[str]) -> Any:
        return await self._run(request, session_id, {}, services.sign_minutes(
            tenant_of(request), session_id, await actor_of(request)))

    @post("/{session_id:str}/close", name="committee_close")
    async def close(self, request: Request, session_id: FromPath[str]) -> Any:
        return await self._run(request, session_id, {}, services.close_session(
            tenant_of(request), session_id, await actor_of(request)))

    @get("/{session_id:str}/minutes.pdf", name="committee_minutes")
    async def minutes(self, request: Request, session_id: FromPath[str]) -> Response:
        tenant = tenant_of(request)
        pdf = await minutes_pdf(tenant, session_id, i18n.get_language())
        return Response(content=pdf, media_type="application/pdf", headers={
            "Content-Disposition": content_disposition("committee-minutes.pdf"), "Cache-Control": "private, no-store"})


HANDLERS = [CommitteeRoutes]
