"""What a member who leaves the portal hands over: their open requests, to another relations
officer or back to the queue. The staff pages (platform layer) call it through `app.state.handover`,
wired in app.py, since the platform does not import the areas."""
from __future__ import annotations

from typing import Any

from sila.platform.actors import Actor
from sila.platform.db import tenant_scope
from sila.platform.roles import Role
from sila.tenants.requests import queries
from sila.tenants.requests.services.transitions import assign_many


class RequestHandover:
    async def open_count(self, tenant: Any, user_id: Any) -> int:
        async with tenant_scope(tenant.id):
            return len(await queries.open_assigned_to(user_id))

    async def candidates(self, tenant: Any, user_id: Any) -> list[queries.StaffMember]:
        """Who may take them: the other active relations officers (whom the queue assigns to)."""
        async with tenant_scope(tenant.id):
            return [m for m in await queries.staff_with_role(Role.relations_officer) if m.id != user_id]

    async def hand_over(self, tenant: Any, user_id: Any, to: Any, actor: Actor) -> int:
        """Inside the leaving member's transaction: all their open requests to `to` (or to nobody),
        each audited as an assignment, `to` told once (assign_many). Returns how many moved."""
        if to == user_id:
            to = None
        async with tenant_scope(tenant.id):
            return await assign_many(tenant, await queries.open_assigned_to(user_id), to, actor)


HANDOVER = RequestHandover()
