"""The public suggestion / complaint form, and the relations team's queue."""
from __future__ import annotations

import secrets
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath

from sila.platform.auth import client_address, requires_staff, requires_tenant_site
from sila.platform.tenancy import tenant_of
from sila.platform.forms import parse_form
from sila.platform.web import FormErrors, redirect, render
from sila.tenants.feedback import forms, services
from sila.platform.ratelimit import public_form_limit
from sila.platform.actors import actor_of
from sila.platform.roles import Role

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class PublicFeedbackRoutes(Controller):
    path = "/feedback"
    guards = [requires_tenant_site]

    async def _form(self, request: Request, form: dict[str, str], errors: FormErrors, status: int = 200) -> Any:
        return await render(request, "feedback/form.html", status_code=status, form=form, errors=errors,
                            from_survey=request.query_params.get("from") == "survey" or form.get("from") == "survey")

    @get("/", name="feedback_form")
    async def form(self, request: Request) -> Any:
        return await self._form(request, {"token": secrets.token_urlsafe(32), "contact_channel": "sms"}, FormErrors())

    @post("/", name="feedback_submit", guards=[public_form_limit("feedback")])
    async def submit(self, request: Request, data: FormData) -> Any:
        item, typed, errors = forms.read_feedback(data)
        if item is None:
            if "__all__" in errors:
                typed["token"] = secrets.token_urlsafe(32)
            return await self._form(request, typed, errors, 400)
        await services.submit(tenant_of(request), item, client_address(request))
        return redirect(f"/feedback/received/{item.token}")

    @get("/received/{token:str}", name="feedback_received")
    async def received(self, request: Request, token: FromPath[str]) -> Any:
        found = await services.by_token(tenant_of(request).id, token)
        if found is None:
            raise NotFoundException()
        return await render(request, "feedback/received.html", item=found, kinds=services.KINDS)


class FeedbackRoutes(Controller):
    path = "/portal/feedback"
    guards = [requires_staff(Role.admin, Role.relations_officer)]

    @get("/", name="feedback_queue")
    async def queue(self, request: Request) -> Any:
        q = request.query_params
        status, kind = q.get("status", "open"), q.get("kind", "")
        return await render(request, "feedback/queue.html", items=await services.queue(tenant_of(request).id, status, kind),
                            status=status, kind=kind, kinds=services.KINDS, statuses=services.STATUSES)

    async def _detail(self, request: Request, item_id: str, *, errors: FormErrors | None = None,
                      form: dict[str, str] | None = None, status: int = 200) -> Any:
        tenant = tenant_of(request)
        item = await services.get_feedback_in_tenant(tenant.id, item_id)
        return await render(request, "feedback/detail.html", status_code=status, item=item, kinds=services.KINDS,
                            statuses=services.STATUSES, staff=await services.assignable_staff(tenant.id),
                            history_labels=services.HISTORY_LABELS,
                            errors=errors or FormErrors(), form=form or {})

    @get("/{item_id:str}", name="feedback_item")
    async def item(self, request: Request, item_id: FromPath[str]) -> Any:
        return await self._detail(request, item_id)

    async def _act(self, request: Request, item_id: str, model: Any, data: Any, call: Any) -> Any:
        parsed = parse_form(model, data)
        if parsed.value is None:
            return await self._detail(request, item_id, errors=parsed.errors, form=parsed.typed, status=400)
        try:
            await call(tenant_of(request), item_id, parsed.value, await actor_of(request))
        except services.Problem as exc:
            errors = FormErrors()
            errors.add(exc.field, exc.msgid)
            return await self._detail(request, item_id, errors=errors, form=parsed.typed,
                                      status=409 if exc.field == "__all__" else 400)
        return redirect(f"/portal/feedback/{item_id}")

    @post("/{item_id:str}/assign", name="feedback_assign")
    async def assign(self, request: Request, item_id: FromPath[str], data: FormData) -> Any:
        return await self._act(request, item_id, forms.AssignForm, data,
                               lambda t, i, form, a: services.assign(t, i, form.assignee, a))

    @post("/{item_id:str}/answer", name="feedback_answer")
    async def answer(self, request: Request, item_id: FromPath[str], data: FormData) -> Any:
        return await self._act(request, item_id, forms.AnswerForm, data,
                               lambda t, i, form, a: services.answer(t, i, form.answer, a))

    @post("/{item_id:str}/close", name="feedback_close")
    async def close(self, request: Request, item_id: FromPath[str], data: FormData) -> Any:
        return await self._act(request, item_id, forms.CloseForm, data,
                               lambda t, i, form, a: services.close(t, i, form.note, a))


HANDLERS = [PublicFeedbackRoutes, FeedbackRoutes]
