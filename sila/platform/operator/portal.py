"""The tenant's side of operator access, on the tenant's own host: the admin's security page
(support grants, and every operator action on or in this tenant) and the support entry."""
from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath

from sila.platform.auth import client_address, requires_staff, requires_tenant_site, start_session
from sila.platform.operator import support, view
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.forms import parse_form
from sila.platform.operator.forms import GrantForm
from sila.platform.web import FormErrors, redirect, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class SecurityRoutes(Controller):
    path = "/portal/security"
    guards = [requires_staff(Role.admin)]

    async def _page(self, request: Request, errors: FormErrors, status_code: int = 200, form: Any = None) -> Any:
        overview = await support.security_overview(tenant_of(request))
        max_hours = request.app.state.settings.support_grant_max_hours
        return await render(request, "operator/portal_security.html", status_code=status_code, errors=errors,
                            form=form or {}, hours=[h for h in support.GRANT_HOURS if h <= max_hours],
                            done=request.query_params.get("done", ""), ov=view, **overview)

    @get("/", name="portal_security")
    async def page(self, request: Request) -> Any:
        return await self._page(request, FormErrors())

    @post("/grants", name="portal_security_grant")
    async def grant(self, request: Request, data: FormData) -> Any:
        max_hours = request.app.state.settings.support_grant_max_hours

        def within_the_maximum(form: GrantForm, errors: FormErrors) -> None:
            if int(form.hours) > max_hours:
                errors.add("hours", "Choose how long support may look in.")

        parsed = parse_form(GrantForm, data, check=within_the_maximum)
        if parsed.value is None:
            return await self._page(request, parsed.errors, 400, parsed.typed)
        form = parsed.value
        await support.create_grant(tenant_of(request), request.scope["_sila_user"], int(form.hours),
                                   form.note, client_address(request), scope=form.scope)
        return redirect("/portal/security?done=granted")

    @post("/grants/{grant_id:uuid}/revoke", name="portal_security_revoke")
    async def revoke(self, request: Request, grant_id: FromPath[uuid.UUID]) -> Any:
        if not await support.revoke_grant(tenant_of(request), request.scope["_sila_user"], grant_id,
                                          client_address(request)):
            raise NotFoundException()
        return redirect("/portal/security?done=revoked")


@get("/support/enter/{token:str}", name="support_enter", guards=[requires_tenant_site])
async def support_enter(request: Request, token: FromPath[str]) -> Any:
    data = await support.take_handoff(request.app.state.redis, tenant_of(request), token)
    if data is None:
        raise NotFoundException()
    start_session(request, {"sup": data["grant"], "op": data["op"], "tid": data["tid"]})
    return redirect("/portal")


HANDLERS = [SecurityRoutes, support_enter]
