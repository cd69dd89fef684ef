"""The staff's request queue: each role's default stages, the filters and the search."""
from __future__ import annotations

import datetime as dt
from typing import Any

from urllib.parse import urlencode

from litestar import Controller, Request, get, post

from sila.platform import i18n
from sila.platform.actors import actor_of
from sila.platform.auth import load_staff_user, requires_staff
from sila.platform.forms import FormErrors, parse_form
from sila.platform.db import tenant_scope
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect
from sila.tenants.requests import forms, services
from sila.tenants.requests.routes.common import FormData, add_problem, page, refusal_status
from sila.tenants.requests.services import Problem, TransitionError
from sila.tenants.requests.terms import terms_in_force
from sila.tenants.requests.workflow import STAGES


QUEUE_DEFAULTS: dict[str, list[str]] = {
    Role.relations_officer: ["verify", "incomplete", "refer", "attest", "register", "deliver"],
    Role.social_researcher: ["research"],
    Role.committee_member: ["committee"],
}


class QueueRoutes(Controller):
    path = "/portal/requests"
    guards = [requires_staff()]

    @get("/", name="request_queue")
    async def queue(self, request: Request) -> Any:
        return await self._page(request)

    @post("/bulk-assign", name="request_bulk_assign")
    async def bulk_assign(self, request: Request, data: FormData) -> Any:
        """The queue's assignment bar: the ticked requests to one member (or to nobody), all or
        none; back to the same filtered queue, which says how many moved."""
        parsed = parse_form(forms.BulkAssignForm, data)
        if parsed.value is None:
            return await self._page(request, errors=parsed.errors, status_code=400)
        try:
            n = await services.assign_many(tenant_of(request), parsed.value.requests, parsed.value.member,
                                           await actor_of(request))
        except Problem as exc:
            errors = FormErrors()
            add_problem(errors, exc)
            return await self._page(request, errors=errors, status_code=400)
        except TransitionError as exc:
            return await self._page(request, alert=i18n.gettext(exc.msgid), status_code=refusal_status(exc.kind))
        query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "assigned"] + [("assigned", n)])
        return redirect(f"/portal/requests?{query}")

    async def _page(self, request: Request, *, errors: FormErrors | None = None, alert: str = "",
                    status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        user = await load_staff_user(request)
        assert user
        q = request.query_params
        filtered = any(k in q for k in ("stage", "channel", "due", "assignee", "researcher", "idle", "agenda", "q"))
        stages = [s for s in q.getall("stage", []) if s in STAGES] if filtered else sorted(
            {s for role in user.roles for s in QUEUE_DEFAULTS.get(role, [])})
        if Role.admin in user.roles and not filtered:
            stages = []  # the admin oversees every open request
        idle = q.get("idle", "")
        f = services.QueueFilter(stages=stages, channel=q.get("channel", ""), due=q.get("due", ""),
                                 assignee=q.get("assignee", ""),
                                 researcher="me" if q.get("researcher") == "me" or (
                                     not filtered and user.roles == {Role.social_researcher}) else "",
                                 idle=int(idle) if idle.isascii() and idle.isdigit() and len(idle) < 5 else 0,
                                 agenda="next" if q.get("agenda") == "next" else "", q=q.get("q", "")[:100])
        async with tenant_scope(tenant.id):  # one transaction for the page's four reads
            rows = await services.queue(tenant.id, f, user.id)
            terms = await terms_in_force(tenant.id)
            staff = await services.staff_with_role(tenant.id, Role.relations_officer)
            overdue = await services.overdue_count(tenant.id) if Role.admin in user.roles else 0
        return await page(request, "requests/queue.html", status_code=status_code,
                          **queue_context(rows=rows, f=f, terms=terms, staff=staff, overdue=overdue, roles=user.roles,
                                          query=q, errors=errors, alert=alert))


def queue_context(*, rows: list[Any], f: services.QueueFilter, terms: Any, staff: list[Any], overdue: int,
                  roles: frozenset[str], query: Any, errors: FormErrors | None = None, alert: str = "") -> dict[str, Any]:
    """What `requests/queue.html` reads besides the page's own context (bench/baseline.py renders
    the same page from the same function, so the floor cannot drift from the page)."""
    assigned = query.get("assigned", "")
    return dict(rows=rows, filter=f, terms=terms, all_stages=terms.workflow.stages() if terms else list(STAGES),
                staff=staff, overdue=overdue, now=dt.datetime.now(dt.UTC), errors=errors or FormErrors(),
                alert=alert, can_assign=bool(roles & {Role.relations_officer, Role.admin}),
                assigned=int(assigned) if assigned.isascii() and assigned.isdigit() and len(assigned) < 4 else None,
                query=urlencode([(k, v) for k, v in query.multi_items() if k != "assigned"]))
