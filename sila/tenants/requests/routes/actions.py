"""The one route of every workflow action: `POST /portal/requests/<id>/act/<code>`, its input read
by the action's form (`actions.SPECS`) and done by `services.act`."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from sila.platform import i18n
from sila.platform.actors import actor_of
from sila.platform.auth import requires_staff
from sila.platform.forms import FormErrors
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect
from sila.tenants.requests import actions, services
from sila.tenants.requests.routes.common import Multipart, add_problem, files_errors, refusal_status
from sila.tenants.requests.services import Problem
from sila.tenants.requests.uploads import MAX_BODY, read_files
from sila.tenants.requests.workflow import TransitionError
from sila.tenants.requests.routes.request_page import request_page


class ActionRoutes(Controller):
    path = "/portal/requests"
    guards = [requires_staff()]

    @post("/{request_id:str}/act/{action:str}", name="request_act", request_max_body_size=MAX_BODY)
    async def act(self, request: Request, request_id: FromPath[str], action: FromPath[str], data: Multipart) -> Any:
        """Every workflow action: its form (`actions.SPECS`), done by `services.act`."""
        tenant = tenant_of(request)
        spec = actions.SPECS.get(action)
        if spec is None:
            raise NotFoundException()
        fields = {k: v for k, v in data.items() if k not in spec.files}
        form = {k: v for k, v in fields.items() if isinstance(v, str)}
        errors = FormErrors()
        for name in spec.files:
            files, problems = await read_files(data.get(name))
            files_errors(errors, name, problems)
            fields[name] = files[0] if files else None
        if errors:
            return await request_page(request, request_id, errors=errors, form=form, failed=action, status_code=400)
        try:
            await services.act(tenant, request_id, action, await actor_of(request), fields)
        except services.Invalid as exc:
            return await request_page(request, request_id, errors=exc.errors, form=exc.typed, failed=action,
                                      status_code=400)
        except Problem as exc:
            add_problem(errors, exc)
            return await request_page(request, request_id, errors=errors, form=form, failed=action, status_code=400)
        except TransitionError as exc:
            return await request_page(request, request_id, form=form, failed=action, alert=i18n.gettext(exc.msgid),
                                      status_code=refusal_status(exc.kind))
        return redirect(f"/portal/requests/{request_id}")
