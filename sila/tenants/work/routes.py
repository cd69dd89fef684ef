"""The portal's home: who you are here, and what waits for you (counts, each a link to its queue)."""
from __future__ import annotations

from typing import Any

from litestar import Request, get

from sila.platform.auth import load_staff_user, requires_staff
from sila.platform.db import tenant_scope
from sila.platform.roles import ROLE_LABELS, Role
from sila.platform.tenancy import site_of
from sila.platform.web import render
from sila.tenants.requests.terms import terms_in_force
from sila.tenants.work.services import INCOMPLETE_DAYS, waiting_for


@get("/portal", name="portal_home", guards=[requires_staff(*Role)])  # a board member too: their way in
async def portal_home(request: Request) -> Any:
    tenant = site_of(request).tenant
    assert tenant is not None
    user = await load_staff_user(request)
    assert user
    work: list[dict[str, Any]] = []
    async with tenant_scope(tenant.id) as tx:  # one transaction for the page's reads
        staff_count = await tx.connection.fetchval('select count(distinct "user") from membership')
        if not user.support_grant:  # platform support looks at configuration, not at the day's cases
            terms = await terms_in_force(tenant.id)
            if terms:
                work = await waiting_for(tenant.id, user.id, user.roles, terms.workflow.stages())
    return await render(request, "portal/home.html", role_labels=ROLE_LABELS, staff_count=staff_count, work=work,
                        incomplete_days=INCOMPLETE_DAYS)


HANDLERS = [portal_home]
