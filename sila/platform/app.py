"""The composition root: `create_app()` wires every route, middleware, store and template.

Nothing registers itself at import time; an area is part of the app because it is listed here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware, DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from sila.platform import db, i18n
from sila.platform.auth import SESSION_MAX_AGE, SessionConfig
from sila.platform.csrf import SiteCSRFMiddleware
from sila.platform.headers import security_headers
from sila.platform.input_guard import InputGuard
from sila.platform.settings import Settings, get_settings
from sila.platform.templating import environment
from sila.platform.tenancy import SiteMiddleware
from sila.platform.web import EXCEPTION_HANDLERS

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
LANG_COOKIE = "sila_lang"
CSRF_COOKIE = "sila_csrf"
# Paths without the CSRF check. Gateways' delivery reports: authenticated by their token and
# signature, not a cookie.
# The API: authenticated by its bearer key alone, never a cookie (sila.tenants.api.v1).
CSRF_EXCLUDE = ["/healthz", "^/hooks/", "^/api/"]


class LanguageMiddleware(ASGIMiddleware):
    """The page language: the visitor's choice (cookie), else the deployment's default (Arabic).
    The browser's Accept-Language is not used: Arabic comes first for everyone until they switch."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, default: str) -> None:
        self.default = default

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cookie = None
        for key, value in scope["headers"]:
            if key == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    name, _, val = part.strip().partition("=")
                    if name == LANG_COOKIE:
                        cookie = val
        token = i18n.set_language(i18n.pick_language(cookie, None, self.default))
        try:
            await next_app(scope, receive, send)
        finally:
            i18n._language.reset(token)


def route_handlers() -> list[Any]:
    from sila.platform import pages
    from sila.platform.accounts.routes import AccountRoutes, StaffRoutes
    from sila.platform.operator import portal as operator_portal
    from sila.platform.operator import routes as operator_routes
    from sila.tenants.onboarding import routes as onboarding_routes
    from sila.tenants.policy import routes as policy_routes
    from sila.tenants.beneficiaries import routes as beneficiary_routes
    from sila.tenants.requests import routes as request_routes
    from sila.tenants.committee import routes as committee_routes
    from sila.tenants.notifications import routes as notification_routes
    from sila.tenants.surveys import routes as survey_routes
    from sila.tenants.feedback import routes as feedback_routes
    from sila.tenants.work import routes as work_routes
    from sila.tenants.reports import routes as report_routes
    from sila.tenants.api import routes as api_routes

    handlers: list[Any] = [
        *pages.HANDLERS,
        *work_routes.HANDLERS,
        AccountRoutes,
        StaffRoutes,
        *operator_routes.HANDLERS,
        *operator_portal.HANDLERS,
        *onboarding_routes.HANDLERS,
        *policy_routes.HANDLERS,
        *beneficiary_routes.HANDLERS,
        *request_routes.HANDLERS,
        *committee_routes.HANDLERS,
        *notification_routes.HANDLERS,
        *survey_routes.HANDLERS,
        *feedback_routes.HANDLERS,
        *report_routes.HANDLERS,
        *api_routes.handlers(),
        create_static_files_router(path="/static", directories=[STATIC_DIR], name="static"),
    ]
    return handlers


def create_app(settings: Settings | None = None) -> Litestar:
    from sila.tenants.api import docs as api_docs
    from sila.tenants.requests.services.handover import HANDOVER

    settings = settings or get_settings()
    db.configure(settings.app_dsn)

    async def startup(app: Litestar) -> None:
        await db.start_pool(settings.db_pool_size)

    async def shutdown(app: Litestar) -> None:
        await db.close_pool()
        await app.state.redis.aclose()

    redis = aioredis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    return Litestar(
        route_handlers=route_handlers(),
        on_startup=[startup],
        on_shutdown=[shutdown],
        before_send=[security_headers(hsts=settings.env == "production")],
        state=State({"redis": redis, "settings": settings,
                     "handover": HANDOVER}),  # what a leaving member hands over (the staff pages)
        stores={"sessions": RedisStore(redis, namespace="sila:session")},
        middleware=[
            LanguageMiddleware(settings.default_language),
            SiteMiddleware(),
            InputGuard(csrf_cookie=CSRF_COOKIE, csrf_exclude=CSRF_EXCLUDE),
            SessionConfig(
                key="sila_session",
                max_age=SESSION_MAX_AGE,
                httponly=True,
                secure=settings.secure_cookies,
                samesite="lax",
                # Pages that never need a session do not touch Redis: Litestar's server-side
                # sessions write one on every response, so with Redis down these would fail
                # (health checks, gateways' reports, survey links, the public feedback form).
                exclude=["^/healthz$", "^/hooks/", "^/s/", "^/feedback", "^/api/"],
            ).middleware,
            # Litestar's CSRF check with a secret per host: a token works only where it was issued.
            DefineMiddleware(SiteCSRFMiddleware, config=CSRFConfig(
                secret=settings.secret_key,
                cookie_name=CSRF_COOKIE,
                cookie_secure=settings.secure_cookies,
                cookie_httponly=True,
                cookie_samesite="lax",
                exclude=CSRF_EXCLUDE,
            )),
        ],
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment())),
        exception_handlers=EXCEPTION_HANDLERS,
        # Only the JSON API is in the OpenAPI document (its router says so; pages do not).
        openapi_config=api_docs.openapi_config(),
        include_in_schema=False,
        debug=False,
    )
