"""What every controller shares: rendering a page, reading a form, the error pages."""
from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from sila.platform import i18n, input_guard, problems
from sila.platform.forms import FormErrors
from sila.platform.auth import LoginRequired, OperatorLoginRequired, load_operator, load_staff_user
from sila.platform.errors import NotFound
from sila.platform.tenancy import TenantUnavailable, UnknownHost, site_of


async def page_context(request: Request) -> dict[str, Any]:
    site = request.scope.get("state", {}).get("site")
    lang = i18n.get_language()
    user = await load_staff_user(request) if site is not None and site.tenant is not None else None
    operator = await load_operator(request) if site is not None and site.is_platform else None
    return {
        "request": request,
        "site": site,
        "tenant": site.tenant if site else None,
        "user": user,
        "operator": operator,
        "lang": lang,
        "dir": i18n.direction(lang),
    }


async def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    return Template(template_name=template, context={**await page_context(request), **context}, status_code=status_code,
                    media_type=MediaType.HTML)


def redirect(path: str) -> Redirect:
    return Redirect(path=path, status_code=303)


def _error_page(request: Request, template: str, status: int, **context: Any) -> Response:
    # Litestar's exception handlers are synchronous: the page uses only what the request
    # already knows (no query), and falls back to plain text if rendering fails.
    site = request.scope.get("state", {}).get("site")
    lang = i18n.get_language()
    user = request.scope.get("_sila_user")
    ctx = {"request": request, "site": site, "tenant": site.tenant if site else None, "user": user,
           "operator": None, "lang": lang, "dir": i18n.direction(lang), "csrf_input": "", **context}
    try:
        from sila.platform.templating import environment

        html = environment().get_template(template).render(ctx)
        return Response(content=html, status_code=status, media_type="text/html; charset=utf-8")
    except Exception:
        request.logger.exception("error page failed to render")
        return Response(content=str(status), status_code=status, media_type="text/plain; charset=utf-8")


def _api_problem(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else dict(exc.headers or {})
    detail = exc.message if isinstance(exc, input_guard.BadInput) else (exc.detail if status < 500 else "")
    errors: dict[str, list[str]] = {}
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):  # Litestar's own parsing
        for item in exc.extra:
            if isinstance(item, dict):
                errors.setdefault(str(item.get("key") or "__all__"), []).append(str(item.get("message", "")))
    return problems.problem(status, "invalid" if errors else "", str(detail or ""), errors=errors, headers=headers)


MSG_TOO_LARGE = i18n.N_("What you sent is larger than this page accepts. Go back and send a smaller file.")


def handle_http_error(request: Request, exc: HTTPException) -> Response:
    if problems.is_api(request.url.path):  # the API answers in JSON, whichever layer refused
        return _api_problem(request, exc)
    if isinstance(exc, OperatorLoginRequired):
        return redirect("/operator/login?next=" + request.url.path)
    if isinstance(exc, LoginRequired):
        return redirect("/login?next=" + request.url.path)
    status = exc.status_code
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return Response(content={"status_code": status, "detail": exc.detail}, status_code=status)
    if isinstance(exc, UnknownHost):
        return _error_page(request, "errors/unknown_host.html", 404)
    if isinstance(exc, NotFoundException):
        return _error_page(request, "errors/404.html", 404)
    if isinstance(exc, PermissionDeniedException):
        return _error_page(request, "errors/403.html", 403)
    if status == 429:
        return _error_page(request, "errors/429.html", 429)
    if status in (400, 413):
        message = exc.message if isinstance(exc, input_guard.BadInput) else \
            i18n.gettext(MSG_TOO_LARGE) if status == 413 else ""
        return _error_page(request, "errors/400.html", status, message=message)
    return _error_page(request, "errors/error.html", status, detail=exc.detail)


def handle_not_found(request: Request, exc: NotFound) -> Response:
    """A service's `NotFound` is the 404 page, exactly like a route's NotFoundException."""
    return handle_http_error(request, NotFoundException())


def handle_unavailable(request: Request, exc: TenantUnavailable) -> Response:
    status = 410 if exc.tenant.status == "archived" else 403
    if problems.is_api(request.url.path):
        return problems.problem(status, "tenant-unavailable", "This organisation's site is not available.")
    return _error_page(request, "errors/tenant_unavailable.html", status, unavailable=exc.tenant)


def handle_server_error(request: Request, exc: Exception) -> Response:
    request.logger.exception("unhandled error", exc_info=exc)
    if problems.is_api(request.url.path):
        return problems.problem(500)
    return _error_page(request, "errors/error.html", HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: handle_http_error,
    NotFound: handle_not_found,
    TenantUnavailable: handle_unavailable,
    HTTP_500_INTERNAL_SERVER_ERROR: handle_server_error,
}

__all__ = ["EXCEPTION_HANDLERS", "FormErrors", "redirect", "render", "site_of"]
