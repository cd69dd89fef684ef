"""The floor of the stack: a minimal Litestar app serving the staff queue page with raw asyncpg.

Same SQL as the real page (the staff member and roles, the policy in force, the queue of open
requests sorted by due date, the officers for the filter), in ONE transaction instead of the
real page's four, and the same template through the same Jinja environment. No session store,
no CSRF, no tenant scopes: the user id comes from a cookie, tenants are loaded at start-up.

    BENCH_MODE=rls     connect as the app role and set `sila.tenant_id`: row-level security on
    BENCH_MODE=bypass  connect as the owner (superuser: RLS bypassed) with explicit tenant predicates

`uvicorn --factory bench.baseline:create_app`, settings from the usual SILA_* variables.
"""
from __future__ import annotations

import os
import uuid

import asyncpg
from litestar import Litestar, MediaType, Request, get
from litestar.datastructures import State
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from sila.platform import i18n
from sila.platform.auth import CurrentUser
from sila.platform.db import dsn_to_config
from sila.platform.settings import get_settings
from sila.platform.templating import environment
from sila.platform.tenancy import Site, TenantInfo
from sila.tenants.policy.services import _version
from sila.tenants.requests.display import template_helpers
from sila.tenants.requests.queries import QUEUE_COLUMNS, QUEUE_FROM, QUEUE_ORDER, QueueRow
from sila.tenants.requests.routes.queue import queue_context
from sila.tenants.requests.services import QueueFilter
from sila.tenants.requests.terms import terms_of
from sila.tenants.requests.workflow import STAGES

MODE = os.environ.get("BENCH_MODE", "rls")
# The real page's SQL (sila.tenants.requests.services.queue and friends). In bypass mode each
# gets the tenant predicate RLS would have added.
T = (lambda col: f" and {col} = $9") if MODE == "bypass" else (lambda col: "")
SQL_USER = 'select id, email, name, preferred_language from staff_user where id = $1 and is_active'
SQL_ROLES = 'select role from membership where "user" = $1' + T("tenant").replace("$9", "$2")
SQL_POLICY = "select * from policy_version where true" + T("tenant").replace("$9", "$1") + \
    " order by number desc limit 1"
SQL_QUEUE = f"""select {QUEUE_COLUMNS} from {QUEUE_FROM}
    where r.stage not in ('closed', 'rejected') and r.stage = any($1::text[])
    {T('r.tenant').replace('$9', '$2')}{T('b.tenant').replace('$9', '$2')} {QUEUE_ORDER} limit 200"""
SQL_STAFF = """select u.id, u.name, u.email from membership m join staff_user u on u.id = m."user"
    where m.role = $1 and u.is_active""" + T("m.tenant").replace("$9", "$2") + " order by u.name"


@get("/healthz", media_type=MediaType.TEXT)
async def healthz() -> str:
    return "ok"


@get("/portal/requests/")
async def queue(request: Request) -> Template:
    state = request.app.state
    host = request.headers.get("host", "").split(":")[0]
    tenant: TenantInfo = state.tenants[host.split(".")[0]]
    uid = uuid.UUID(request.cookies["bench_uid"])
    stages = [s for s in request.query_params.getall("stage", []) if s in STAGES]
    extra = [tenant.id] if MODE == "bypass" else []
    async with state.pool.acquire() as conn, conn.transaction():
        if MODE == "rls":
            await conn.execute("select set_config('sila.tenant_id', $1, true)", str(tenant.id))
        user = await conn.fetchrow(SQL_USER, uid)
        roles = [r["role"] for r in await conn.fetch(SQL_ROLES, uid, *extra)]
        policy = await conn.fetchrow(SQL_POLICY, *extra)
        rows = await conn.fetch(SQL_QUEUE, stages, *extra)
        staff = await conn.fetch(SQL_STAFF, "relations_officer", *extra)
    me = CurrentUser(id=user["id"], email=user["email"], name=user["name"], roles=frozenset(roles),
                     preferred_language=user["preferred_language"])
    terms = terms_of(_version(dict(policy))) if policy else None
    lang = i18n.get_language()
    context = {"request": request, "site": Site(host=host, tenant=tenant), "tenant": tenant, "user": me,
               "operator": None, "lang": lang, "dir": i18n.direction(lang), "csrf_input": "", **template_helpers(),
               **queue_context(rows=[QueueRow(**dict(r)) for r in rows], f=QueueFilter(stages=stages), terms=terms,
                               staff=[dict(s) for s in staff], overdue=0, roles=me.roles,
                               query=request.query_params)}
    return Template(template_name="requests/queue.html", context=context, media_type=MediaType.HTML)


def create_app() -> Litestar:
    settings = get_settings()
    dsn = settings.database_url if MODE == "bypass" else settings.app_dsn

    async def startup(app: Litestar) -> None:
        app.state.pool = await asyncpg.create_pool(**dsn_to_config(dsn), min_size=1, max_size=settings.db_pool_size)
        owner = await asyncpg.connect(**dsn_to_config(settings.database_url))
        try:
            rows = await owner.fetch("select id, slug, kind, name_ar, name_en, status, status_reason from tenant")
        finally:
            await owner.close()
        app.state.tenants = {r["slug"]: TenantInfo(**dict(r)) for r in rows}

    async def shutdown(app: Litestar) -> None:
        await app.state.pool.close()

    return Litestar(route_handlers=[healthz, queue], on_startup=[startup], on_shutdown=[shutdown], state=State(),
                    template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment())),
                    debug=False)
