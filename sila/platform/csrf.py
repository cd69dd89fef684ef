"""CSRF protection bound to the site: Litestar's CSRF middleware with one secret per host.

Litestar signs its double-submit token with one secret. Every tenant's host shares the
deployment's secret key, so a token (and its cookie) minted on one tenant's host would pass
on another's. Here each host signs with its own secret, derived from the secret key and the
host name, so a token only ever works on the site that issued it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac

from litestar.config.csrf import CSRFConfig
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from sila.platform.tenancy import _host_name


def site_secret(secret_key: str, host: str) -> str:
    return hmac.new(secret_key.encode(), b"sila-csrf|" + host.encode(), hashlib.sha256).hexdigest()


def _host_of(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"host":
            return _host_name(value.decode("latin-1"))
    return ""


class SiteCSRFMiddleware:
    """Wraps one `CSRFMiddleware` per host, each configured with that host's secret."""

    MAX_HOSTS = 2048

    def __init__(self, app: ASGIApp, config: CSRFConfig) -> None:
        self.app = app
        self.config = config
        self._by_host: dict[str, CSRFMiddleware] = {}

    def for_host(self, host: str) -> CSRFMiddleware:
        inner = self._by_host.get(host)
        if inner is None:
            if len(self._by_host) >= self.MAX_HOSTS:
                self._by_host.clear()
            config = dataclasses.replace(self.config, secret=site_secret(self.config.secret, host))
            inner = self._by_host[host] = CSRFMiddleware(self.app, config)
        return inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.for_host(_host_of(scope))(scope, receive, send)
