"""Reports pages: the indicators dashboard (admin; read-only for a board member), the lists behind
its numbers (admin), exports (staff, by what they may see) and the audit browser (admin)."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Stream

from sila.platform import i18n, spreadsheet
from sila.platform.auth import client_address, load_staff_user, requires_staff
from sila.platform.bodies import FormData
from sila.platform.dates import HIJRI_MONTHS_AR, HIJRI_MONTHS_EN, dual_date, dual_datetime, localised_number
from sila.platform.db import parse_uuid
from sila.platform.downloads import content_disposition
from sila.platform.errors import NotFound
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect, render
from sila.tenants.policy import services as policy  # governance: is the policy in force approved?
from sila.tenants.reports import evidence, exports, forms, labels, queries
from sila.tenants.reports.period import Period

DASHBOARD_ROLES = (Role.admin, Role.board_member)


def _num(value: Any, lang: str, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}" if isinstance(value, float) or digits else f"{value:,}"
    return localised_number(text, lang)


def _month_options(calendar: str, lang: str) -> list[tuple[int, str]]:
    if calendar == "hijri":
        names = HIJRI_MONTHS_AR if lang == "ar" else HIJRI_MONTHS_EN
        return [(i + 1, n) for i, n in enumerate(names)]

    return [(m, format_date(dt.date(2026, m, 1), "MMMM", locale=lang)) for m in range(1, 13)]


def _helpers(lang: str, period: Period) -> dict[str, Any]:
    return {"num": lambda v, d=0: _num(v, lang, d), "pq": period.query(), "dual_date": dual_date,
            "rbase": "/portal/reports/requests?" + period.query(), "fbase": "/portal/reports/feedback?" + period.query(),
            "dual_datetime": dual_datetime, "labels": labels}


class ReportRoutes(Controller):
    path = "/portal/reports"
    guards = [requires_staff(*DASHBOARD_ROLES)]

    @get("/", name="reports_dashboard")
    async def dashboard(self, request: Request) -> Any:
        user = await load_staff_user(request)
        assert user
        lang = i18n.get_language()
        period, errors, typed = forms.read_period(request.query_params)
        data = await queries.dashboard(tenant_of(request).id, period)

        in_force = await policy.current_policy_version(tenant_of(request).id)
        return await render(request, "reports/dashboard.html", status_code=400 if errors else 200, d=data,
                            unapproved_policy=in_force if in_force and in_force.approval is None else None,
                            period=period, errors=errors, form=typed or _period_form(period),
                            calendars=forms.CALENDARS, months_g=_month_options("gregorian", lang),
                            months_h=_month_options("hijri", lang), drill=Role.admin in user.roles,
                            charts=labels.dashboard_charts(data, lang), **_helpers(lang, period))

    @get("/requests", name="reports_requests", guards=[requires_staff(Role.admin)])
    async def requests(self, request: Request) -> Any:
        return await _drill(request, "request", queries.REQUEST_FACETS, queries.request_rows, "reports/requests.html")

    @get("/feedback", name="reports_feedback", guards=[requires_staff(Role.admin)])
    async def feedback(self, request: Request) -> Any:
        return await _drill(request, "feedback", queries.FEEDBACK_FACETS, queries.feedback_rows,
                            "reports/feedback.html")


def _period_form(period: Period) -> dict[str, str]:
    return {"calendar": period.calendar, "from_year": str(period.start_month[0]),
            "from_month": str(period.start_month[1]), "to_year": str(period.end_month[0]),
            "to_month": str(period.end_month[1])}


EXPORT_ROLES = tuple({r for e in exports.EXPORTS.values() for r in e.roles})


class ExportRoutes(Controller):
    path = "/portal/reports/exports"
    guards = [requires_staff(*EXPORT_ROLES)]

    @get("/", name="reports_exports")
    async def index(self, request: Request) -> Any:
        user = await load_staff_user(request)
        assert user
        lang = i18n.get_language()
        period, errors, typed = forms.read_period(request.query_params)
        available = [e for e in exports.EXPORTS.values() if user.has(*e.roles)]
        return await render(request, "reports/exports.html", status_code=400 if errors else 200,
                            available=available, period=period, errors=errors, form=typed or _period_form(period),
                            calendars=forms.CALENDARS, months_g=_month_options("gregorian", lang),
                            months_h=_month_options("hijri", lang),
                            reveals=bool(user.has(*exports.REVEALERS) and not user.support_grant),
                            **_helpers(lang, period))

    @get("/{code:str}/{fmt:str}", name="reports_export")
    async def download(self, request: Request, code: FromPath[str], fmt: FromPath[str]) -> Stream:
        export = exports.EXPORTS.get(code)
        if export is None or fmt not in exports.FORMATS:
            raise NotFound()
        user = await load_staff_user(request)
        assert user
        if not user.has(*export.roles):
            raise PermissionDeniedException()
        period, errors, _ = forms.read_period(request.query_params)
        reveal = user.has(*exports.REVEALERS) and not user.support_grant and request.query_params.get("ids") == "full"
        tid = tenant_of(request).id
        source = await exports.start(tid, code, period, reveal=reveal, user=user, fmt=fmt,
                                     address=client_address(request))
        lang = i18n.get_language()
        if fmt == "csv":  # lines leave as the cursor reads them
            body = spreadsheet.csv_stream(source.headers, exports.rows(tid, source))
        else:  # written to a temporary file in constant memory, then sent from it
            body = spreadsheet.file_chunks(await spreadsheet.xlsx_file(
                i18n.gettext(export.title), source.headers, exports.rows(tid, source), rtl=lang == "ar"))
        stamp = dt.date.today().isoformat()
        return Stream(body, media_type=spreadsheet.CONTENT_TYPES[fmt], headers={
            "Content-Disposition": content_disposition(f"{code}-{stamp}.{fmt}"),
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


class AuditRoutes(Controller):
    path = "/portal/reports/audit"
    guards = [requires_staff(Role.admin)]

    async def _filter(self, request: Request) -> tuple[queries.AuditFilter, Any, Any, int]:
        value, errors, typed = forms.read_audit_filter(request.query_params)
        actor = parse_uuid(value.actor) if value.actor else None
        f = queries.AuditFilter(actor=actor, action=value.action if not errors.get("action") else "",
                                since=forms.day_of(value.since) if not errors.get("since") else None,
                                until=forms.day_of(value.until) if not errors.get("until") else None)
        return f, errors, typed, value.page or 1

    @get("/", name="reports_audit")
    async def browse(self, request: Request) -> Any:
        tenant = tenant_of(request)
        f, errors, typed, page = await self._filter(request)
        result = await queries.audit_page(tenant.id, f, page)
        actors, actions = await queries.audit_choices(tenant.id)
        query = urlencode({k: v for k, v in typed.items() if v and k != "page"})
        return await render(request, "reports/audit.html", status_code=400 if errors else 200, result=result,
                            errors=errors, form=typed, actors=actors, actions=actions, query=query,
                            families=labels.AUDIT_FAMILIES, action_label=labels.action_label,
                            dual_datetime=dual_datetime, num=lambda v: _num(v, i18n.get_language()))

    @get("/export/{fmt:str}", name="reports_audit_export")
    async def export(self, request: Request, fmt: FromPath[str]) -> Response:
        if fmt not in exports.FORMATS:
            raise NotFound()
        tenant = tenant_of(request)
        user = await load_staff_user(request)
        assert user
        f, _, _, _ = await self._filter(request)
        rows = await queries.audit_all(tenant.id, f)
        await labels.record_audit_export(tenant.id, user, fmt, len(rows), f, client_address(request))
        g = i18n.gettext
        headers = [g("When"), g("Who"), g("Action"), g("About"), g("Details"), g("Network address")]
        body = spreadsheet.render(fmt, g("Audit"), headers, [
            [dual_datetime(r.created_at), r.actor_name, labels.action_label(r.action),
             r.target_label or r.target_id, ", ".join(f"{k}: {v}" for k, v in r.detail.items()), r.address]
            for r in rows], rtl=i18n.get_language() == "ar")
        return Response(content=body, media_type=spreadsheet.CONTENT_TYPES[fmt], headers={
            "Content-Disposition": content_disposition(f"audit-{dt.date.today().isoformat()}.{fmt}"),
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


class EvidenceRoutes(Controller):
    """The governance evidence pack: chosen period, built by a worker, kept for download.
    The admin prepares one; a board member (the pack's first reader) may download it too."""

    path = "/portal/reports/evidence"
    guards = [requires_staff(*DASHBOARD_ROLES)]

    async def _page(self, request: Request, period: Period, errors: Any, typed: dict[str, str],
                    status: int = 200) -> Any:
        user = await load_staff_user(request)
        assert user
        lang = i18n.get_language()
        return await render(request, "reports/evidence.html", status_code=status, period=period, errors=errors,
                            form=typed or _period_form(period), calendars=forms.CALENDARS,
                            months_g=_month_options("gregorian", lang), months_h=_month_options("hijri", lang),
                            packs=await evidence.packs(tenant_of(request).id), statuses=evidence.STATUS,
                            can_prepare=Role.admin in user.roles and not user.support_grant,
                            **_helpers(lang, period))

    @get("/", name="reports_evidence")
    async def index(self, request: Request) -> Any:
        period, errors, typed = forms.read_period(request.query_params)
        return await self._page(request, period, errors, typed, 400 if errors else 200)

    @post("/", name="reports_evidence_prepare", guards=[requires_staff(Role.admin)])
    async def prepare(self, request: Request, data: FormData) -> Any:
        period, errors, typed = forms.read_period(data)
        if errors:
            return await self._page(request, period, errors, typed, 400)
        user = await load_staff_user(request)
        if user is None or user.support_grant:
            raise PermissionDeniedException()
        await evidence.request_pack(tenant_of(request).id, period, user, client_address(request))
        return redirect("/portal/reports/evidence?" + period.query())

    @get("/{pack_id:str}", name="reports_evidence_pack")
    async def pack(self, request: Request, pack_id: FromPath[str]) -> Any:
        """One pack's row: what the progress bar polls (htmx) until it is ready."""
        p = await evidence.get_pack_in_tenant(tenant_of(request).id, pack_id)
        return await render(request, "reports/_evidence_row.html", p=p, statuses=evidence.STATUS,
                            dual_datetime=dual_datetime, dual_date=dual_date)

    @get("/{pack_id:str}/{fmt:str}", name="reports_evidence_download")
    async def download(self, request: Request, pack_id: FromPath[str], fmt: FromPath[str]) -> Response:
        if fmt not in ("pdf", "zip"):
            raise NotFound(fmt)
        user = await load_staff_user(request)
        content, p = await evidence.download(tenant_of(request).id, pack_id, fmt, user, client_address(request))
        stamp = p["period"].query().replace("&", "_").replace("=", "-")
        return Response(content=content, media_type="application/pdf" if fmt == "pdf" else "application/zip",
                        headers={"Content-Disposition": content_disposition(f"evidence-{stamp}.{fmt}", "attachment"),
                                 "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


HANDLERS = [ReportRoutes, ExportRoutes, AuditRoutes, EvidenceRoutes]


async def _drill(request: Request, kind: str, facets: Any, rows_of: Any, template: str) -> Any:
    """The list behind one number of the dashboard: the same condition that counted it."""
    q = request.query_params
    facet, value = q.get("facet", "received"), q.get("value", "")
    if facet not in facets:
        raise NotFound()
    period, _errors, _ = forms.read_period(q)
    rows = await rows_of(tenant_of(request).id, period, facet, value)
    return await render(request, template, rows=rows, facet=facet, value=value, period=period,
                        title=labels.facet_title(kind, facet, value, rows),
                        limit=queries.LIST_LIMIT, **_helpers(i18n.get_language(), period))
