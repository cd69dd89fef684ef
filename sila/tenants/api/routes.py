"""The admin's pages for the API: keys (/portal/api-keys) and webhooks (/portal/webhooks); and the
JSON API itself (`sila.tenants.api.v1`), registered beside them."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from sila.platform import outbound
from sila.platform.actors import actor_of
from sila.platform.auth import requires_staff
from sila.platform.forms import FormErrors, parse_form, ticked
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect, render
from sila.tenants.api import forms, services, v1
from sila.tenants.notifications import services as notifications

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class ApiKeyRoutes(Controller):
    path = "/portal/api-keys"
    guards = [requires_staff(Role.admin)]

    async def _page(self, request: Request, *, form: dict[str, Any], errors: FormErrors, created: str = "",
                    status_code: int = 200) -> Any:
        return await render(request, "api/keys.html", status_code=status_code, form=form, errors=errors,
                            keys=await services.list_keys(tenant_of(request).id), scopes=forms.SCOPES,
                            created=created, done=request.query_params.get("done", ""))

    @get("/", name="api_keys")
    async def index(self, request: Request) -> Any:
        return await self._page(request, form={"scopes": []}, errors=FormErrors())

    @post("/", name="api_keys_create")
    async def create(self, request: Request, data: FormData) -> Any:
        parsed = parse_form(forms.KeyForm, data)
        errors = parsed.errors
        if parsed.value is not None and services.expiry_in_past(parsed.value.expires_on):
            errors.add("expires_on", forms.MSG_EXPIRY_PAST)
        if errors or parsed.value is None:
            return await self._page(request, form={**parsed.typed, "scopes": ticked(data, "scopes")}, errors=errors,
                                    status_code=400)
        v = parsed.value
        _, token = await services.create_key(tenant_of(request).id, name=v.name, scopes=v.scopes,
                                             expires_on=v.expires_on, actor=await actor_of(request))
        # Shown on this answer only (not a redirect: the key must not sit in a session or a URL).
        return await self._page(request, form={"scopes": []}, errors=FormErrors(), created=token)

    @post("/{key_id:str}/revoke", name="api_keys_revoke")
    async def revoke(self, request: Request, key_id: FromPath[str]) -> Any:
        await services.revoke_key(tenant_of(request).id, key_id, await actor_of(request))
        return redirect("/portal/api-keys?done=revoked")


class WebhookRoutes(Controller):
    path = "/portal/webhooks"
    guards = [requires_staff(Role.admin)]

    async def _page(self, request: Request, *, form: dict[str, Any], errors: FormErrors, created: str = "",
                    status_code: int = 200) -> Any:
        data = await services.list_subscriptions(tenant_of(request).id)
        return await render(request, "api/webhooks.html", status_code=status_code, form=form, errors=errors,
                            events=forms.EVENTS, created=created, done=request.query_params.get("done", ""), **data)

    @get("/", name="webhooks")
    async def index(self, request: Request) -> Any:
        return await self._page(request, form={"events": []}, errors=FormErrors())

    @post("/", name="webhooks_create")
    async def create(self, request: Request, data: FormData) -> Any:
        parsed = parse_form(forms.WebhookForm, data)
        errors = parsed.errors
        typed = {**parsed.typed, "events": ticked(data, "events")}
        if parsed.value is not None:
            try:
                _, secret = await services.create_subscription(
                    tenant_of(request).id, url=parsed.value.url, events=parsed.value.events,
                    actor=await actor_of(request))
            except outbound.Refused as exc:
                errors.add("url", forms.REFUSALS[exc.reason])
            else:
                return await self._page(request, form={"events": []}, errors=FormErrors(), created=secret)
        return await self._page(request, form=typed, errors=errors, status_code=400)

    @post("/{subscription_id:str}/disable", name="webhooks_disable")
    async def disable(self, request: Request, subscription_id: FromPath[str]) -> Any:
        await services.set_subscription_active(tenant_of(request).id, subscription_id, False, await actor_of(request))
        return redirect("/portal/webhooks?done=disabled")

    @post("/{subscription_id:str}/enable", name="webhooks_enable")
    async def enable(self, request: Request, subscription_id: FromPath[str]) -> Any:
        await services.set_subscription_active(tenant_of(request).id, subscription_id, True, await actor_of(request))
        return redirect("/portal/webhooks?done=enabled")

    @post("/deliveries/{outbox_id:str}/retry", name="webhooks_retry")
    async def retry(self, request: Request, outbox_id: FromPath[str]) -> Any:
        tenant = tenant_of(request)
        await services.webhook_delivery_in_tenant(tenant.id, outbox_id)  # NotFound for a message's id
        await notifications.retry(tenant.id, outbox_id, await actor_of(request))
        return redirect("/portal/webhooks?done=retried")


def handlers() -> list[Any]:
    return [ApiKeyRoutes, WebhookRoutes, v1.router()]
