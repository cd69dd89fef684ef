"""Security headers on every response, set in one place.

Scripts come only from this site (htmx is a static file; no page has an inline script), no site
may frame a page, browsers may not guess content types, and a page's address (which may carry a
tracking or survey token) is not sent to other sites. Pages behind a sign-in, and every page
that does not say otherwise, are `no-store`: a shared computer's browser keeps no copy of a
beneficiary's file. HSTS only in production (development and tests run on plain http).
"""
from __future__ import annotations

from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
SIGNED_IN = ("/portal", "/operator")
STATIC = "/static/"


def security_headers(*, hsts: bool) -> Any:
    """A `before_send` hook: it sees every response, error pages and unknown paths included."""

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path = scope.get("path", "")
        headers = MutableScopeHeaders.from_message(message)
        headers["Content-Security-Policy"] = CSP
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        if "referrer-policy" not in headers:
            headers["Referrer-Policy"] = "same-origin"
        if hsts:
            headers["Strict-Transport-Security"] = HSTS
        cache = headers.get("cache-control")
        if path.startswith(SIGNED_IN) and "no-store" not in (cache or ""):
            headers["Cache-Control"] = "private, no-store"
        elif cache is None and not path.startswith(STATIC):
            headers["Cache-Control"] = "no-store"

    return before_send
