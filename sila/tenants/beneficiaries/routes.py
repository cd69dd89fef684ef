"""Beneficiary files for staff: search (exact by ID number, or by name), the file with its
history of requests and services, and the audited reveal of the full ID number."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from sila.platform.auth import client_address, load_staff_user, requires_staff
from sila.platform.tenancy import tenant_of
from sila.platform.web import form_value, render
from sila.tenants.requests.routes import FormData
from sila.tenants.beneficiaries import services
from sila.tenants.requests.display import template_helpers
from sila.tenants.requests.workflow import ADMIN, OFFICER, RESEARCHER

REVEALERS = (OFFICER, RESEARCHER, ADMIN)


class BeneficiaryRoutes(Controller):
    path = "/portal/beneficiaries"
    guards = [requires_staff()]

    @get("/", name="beneficiaries")
    async def recent(self, request: Request) -> Any:
        rows = await services.search(tenant_of(request).id, "")
        return await render(request, "beneficiaries/list.html", rows=rows, q="", **template_helpers())

    @post("/", name="beneficiaries_search")
    async def search(self, request: Request, data: FormData) -> Any:
        """POST, so an ID number typed here never lands in a URL, a log line or the history."""
        q = form_value(data, "q")
        rows = await services.search(tenant_of(request).id, q)
        return await render(request, "beneficiaries/list.html", rows=rows, q=q, **template_helpers())

    async def _file(self, request: Request, beneficiary_id: str, revealed: str | None = None) -> Any:
        tenant = tenant_of(request)
        ben = await services.get(tenant.id, beneficiary_id)
        if ben is None:
            raise NotFoundException()
        user = await load_staff_user(request)
        return await render(request, "beneficiaries/detail.html", ben=ben, revealed=revealed,
                            can_reveal=bool(user and user.has(*REVEALERS)),
                            **await services.history(tenant.id, ben["id"]), **template_helpers())

    @get("/{beneficiary_id:str}", name="beneficiary")
    async def file(self, request: Request, beneficiary_id: FromPath[str]) -> Any:
        return await self._file(request, beneficiary_id)

    @post("/{beneficiary_id:str}/reveal", name="beneficiary_reveal", guards=[requires_staff(*REVEALERS)])
    async def reveal(self, request: Request, beneficiary_id: FromPath[str]) -> Any:
        """POST (not a link): opening the number is an act that is audited, and CSRF-protected.
        The page is rendered directly, so the number is never put in a URL or a session."""
        user = await load_staff_user(request)
        assert user
        number = await services.reveal_id_number(
            tenant_of(request).id, beneficiary_id, actor_id=user.id, actor_label=user.name or user.email,
            address=client_address(request))
        if number is None:
            raise NotFoundException()
        response = await self._file(request, beneficiary_id, revealed=number)
        response.headers["Cache-Control"] = "no-store"
        return response
