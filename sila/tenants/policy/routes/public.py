"""Documents for staff (`/portal/documents/…`, `/portal/library`) and the public policy with its PDF,
earlier versions, original document and logo (`/policy…`)."""
from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException, PermissionDeniedException, TooManyRequestsException
from litestar.params import FromPath
from redis.exceptions import RedisError

from sila.platform import i18n, pdf, ratelimit
from sila.platform.auth import requires_staff, requires_tenant_site
from sila.platform.db import tenant_scope
from sila.platform.downloads import content_disposition
from sila.platform.i18n import N_
from sila.platform.roles import Role
from sila.platform.tenancy import TenantInfo, tenant_of
from sila.platform.web import render
from sila.tenants.policy import services, view
from sila.tenants.policy.routes.pages import user_of

MSG_PDF_LIMIT = N_("Too many policy PDFs were prepared for your connection. Wait ten minutes and try again, "
                   "the policy stays readable on its page.")


# --- documents for staff -------------------------------------------------------------------------


def file_response(doc: dict[str, Any], *, cache: str) -> Response:
    name = doc["filename"]
    return Response(
        content=doc["content"], media_type=doc["content_type"],
        headers={"Content-Disposition": content_disposition(name),
                 "X-Content-Type-Options": "nosniff", "Cache-Control": cache},
    )


class DocumentRoutes(Controller):
    path = "/portal"
    guards = [requires_staff()]

    @get("/documents/{document_id:uuid}", name="document")
    async def document(self, request: Request, document_id: FromPath[uuid.UUID]) -> Response:
        doc = await services.get_document_in_tenant(tenant_of(request).id, document_id)
        # Minutes may record other board business: administrators only.
        if doc["purpose"] == "minutes" and not user_of(request).has(Role.admin):
            raise PermissionDeniedException()
        return file_response(doc, cache="private, no-store")

    @get("/library", name="library")
    async def library(self, request: Request) -> Any:
        """The tools of the policy in force, each with its document, for every staff member."""
        current = await services.current_policy_version(tenant_of(request).id)
        return await render(request, "policy/library.html", current=current)


# --- public pages --------------------------------------------------------------------------------


class PublicPolicyRoutes(Controller):
    path = "/policy"
    guards = [requires_tenant_site]

    async def _version(self, tenant: TenantInfo, number: int | None) -> services.PublishedVersion | None:
        if tenant.status != "active":
            return None
        if number is None:
            return await services.current_policy_version(tenant.id)
        return await services.get_version_in_tenant(tenant.id, number=number)

    async def _show(self, request: Request, number: int | None) -> Any:
        tenant = tenant_of(request)
        async with tenant_scope(tenant.id):  # one transaction for the page's reads
            version = await self._version(tenant, number)
            if version is None:
                return await render(request, "policy/public.html", version=None, doc=None, latest=None)
            latest = await services.current_policy_version(tenant.id) if number is not None else version
            profile = await services.get_profile(tenant.id)
        doc = view.build(tenant, profile, version.policy, version.approval)
        return await render(request, "policy/public.html", version=version, doc=doc, latest=latest)

    async def _pdf(self, request: Request, number: int | None) -> Any:
        """A published version never changes: its PDF is laid out once per language (and
        letterhead) and then served from the cache. Renders (cache misses) are limited per
        client address and site; a cached version is served even past the limit."""
        tenant = tenant_of(request)
        version = await self._version(tenant, number)
        if version is None:
            raise NotFoundException()
        profile = await services.get_profile(tenant.id)
        logo = None
        if profile and profile.get("logo"):
            doc = await services.get_document(tenant.id, profile["logo"])
            logo = pdf.data_uri(doc["content_type"], doc["content"]) if doc else None
        doc_view = view.build(tenant, profile, version.policy, version.approval)
        lang = i18n.get_language()
        state = request.app.state

        async def limit_renders() -> None:
            key = f"sila:pdf-render:{tenant.id}:{ratelimit.client_address(request)}"
            try:
                count = await ratelimit.hit(state.redis, key, ratelimit.FORM_WINDOW_SECONDS)
            except RedisError:
                return  # Redis down: the two render threads still bound the work
            if count > state.settings.pdf_render_limit:
                raise TooManyRequestsException()

        try:
            content = await pdf.cached_pdf(
                state.redis, f"policy:{tenant.id}:v{version.number}:{lang}", "policy/pdf.html",
                {"doc": doc_view, "version": version, "tenant": tenant, "logo": logo},
                lang=lang, before_render=limit_renders)
        except TooManyRequestsException:
            return await render(request, "errors/429.html", status_code=429, message=i18n.gettext(MSG_PDF_LIMIT))
        filename = f"{tenant.slug}-policy-v{version.number}-{lang}.pdf"
        return Response(content=content, media_type="application/pdf",
                        headers={"Content-Disposition": content_disposition(filename),
                                 "Cache-Control": "public, max-age=300"})

    @get("/", name="public_policy")
    async def current(self, request: Request) -> Any:
        return await self._show(request, None)

    @get("/pdf", name="public_policy_pdf")
    async def current_pdf(self, request: Request) -> Any:
        return await self._pdf(request, None)

    @get("/v/{number:int}", name="public_policy_version")
    async def numbered(self, request: Request, number: FromPath[int]) -> Any:
        return await self._show(request, number)

    @get("/v/{number:int}/pdf", name="public_policy_version_pdf")
    async def numbered_pdf(self, request: Request, number: FromPath[int]) -> Any:
        return await self._pdf(request, number)

    @get("/v/{number:int}/original", name="public_policy_original")
    async def original(self, request: Request, number: FromPath[int]) -> Response:
        """The charity's own document a version was imported from, where the admin chose to offer
        it; nothing else of the tenant's documents is reachable here."""
        tenant = tenant_of(request)
        version = await self._version(tenant, number)
        source = version.policy.source_document if version and version.policy.offer_original else None
        if version is None or not source:
            raise NotFoundException()
        doc = await services.get_import_document(tenant.id, source)
        return file_response(doc, cache="public, max-age=3600")

    @get("/versions", name="public_policy_versions")
    async def versions(self, request: Request) -> Any:
        tenant = tenant_of(request)
        versions = await services.list_versions(tenant.id) if tenant.status == "active" else []
        return await render(request, "policy/public_versions.html", versions=versions)

    @get("/logo", name="public_logo")
    async def logo(self, request: Request) -> Response:
        tenant = tenant_of(request)
        profile = await services.get_profile(tenant.id)
        if not (profile and profile.get("logo")):
            raise NotFoundException()  # no logo uploaded: nothing to look up
        doc = await services.get_document_in_tenant(tenant.id, profile["logo"])
        return file_response(doc, cache="public, max-age=3600")
