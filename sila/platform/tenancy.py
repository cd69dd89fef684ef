"""Which site a request is for, from its Host header.

`<slug>.<base domain>` or a registered custom domain is a tenant's site; the base domain
itself is the platform's own site (sign-up, operator console). Resolution is cached for a
few seconds per process: a suspension takes effect within `CACHE_SECONDS`.
"""
from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any

from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from sila.platform.settings import get_settings
from sila.platform.tables import Tenant, TenantDomain

CACHE_SECONDS = 5.0


@dataclasses.dataclass(frozen=True)
class TenantInfo:
    id: uuid.UUID
    slug: str
    kind: str
    name_ar: str
    name_en: str
    status: str
    status_reason: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_ar


@dataclasses.dataclass(frozen=True)
class Site:
    host: str
    tenant: TenantInfo | None = None

    @property
    def is_platform(self) -> bool:
        return self.tenant is None


class UnknownHost(NotFoundException):
    pass


class TenantUnavailable(Exception):
    """A suspended or archived tenant's site: rendered as a page that says so."""

    def __init__(self, tenant: TenantInfo) -> None:
        super().__init__(tenant.status)
        self.tenant = tenant


_cache: dict[str, tuple[float, Site | None]] = {}


def clear_cache() -> None:
    _cache.clear()


def _host_name(raw_host: str) -> str:
    host = raw_host.strip().lower().rstrip(".")
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


async def _load_tenant(**where: Any) -> TenantInfo | None:
    query = Tenant.select(
        Tenant.id, Tenant.slug, Tenant.kind, Tenant.name_ar, Tenant.name_en, Tenant.status, Tenant.status_reason
    )
    for key, value in where.items():
        query = query.where(getattr(Tenant, key) == value)
    row = await query.first()
    return TenantInfo(**row) if row else None


async def resolve_site(raw_host: str) -> Site | None:
    host = _host_name(raw_host)
    now = time.monotonic()
    hit = _cache.get(host)
    if hit and hit[0] > now:
        return hit[1]
    base = _host_name(get_settings().base_domain)
    site: Site | None
    if host in (base, "127.0.0.1", "[::1]") or (base == "localhost" and host == "localhost"):
        site = Site(host=host)
    elif host.endswith("." + base) and "." not in host[: -len(base) - 1]:
        tenant = await _load_tenant(slug=host[: -len(base) - 1])
        site = Site(host=host, tenant=tenant) if tenant else None
    else:
        row = await TenantDomain.select(TenantDomain.tenant).where(TenantDomain.domain == host).first()
        tenant = await _load_tenant(id=row["tenant"]) if row else None
        site = Site(host=host, tenant=tenant) if tenant else None
    # Unknown hosts are cached briefly too, so a flood of random hosts costs little.
    _cache[host] = (now + CACHE_SECONDS, site)
    if len(_cache) > 10_000:
        _cache.clear()
    return site


class SiteMiddleware(ASGIMiddleware):
    """Puts the resolved `Site` in `scope["state"]["site"]`; unknown host: 404 page."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/", "^/healthz$")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        host = ""
        for key, value in scope["headers"]:
            if key == b"host":
                host = value.decode("latin-1")
                break
        site = await resolve_site(host)
        if site is None:
            raise UnknownHost()
        scope.setdefault("state", {})["site"] = site
        tenant = site.tenant
        if tenant is not None and tenant.status in ("suspended", "archived"):
            raise TenantUnavailable(tenant)
        await next_app(scope, receive, send)


def site_of(request: Any) -> Site:
    return request.scope["state"]["site"]


def tenant_of(request: Any) -> TenantInfo:
    site = site_of(request)
    if site.tenant is None:
        raise NotFoundException()
    return site.tenant
