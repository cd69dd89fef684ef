"""Pages that belong to no area: the two home pages, the language switch, health, dev inbox (the
portal's home, which counts each role's work, lives in sila/tenants/work)."""
from __future__ import annotations

import re
import time
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from sila.platform import db, i18n
from sila.platform.tenancy import site_of
from sila.platform.web import render
from sila.platform.heartbeat import HEARTBEAT_PREFIX

HEARTBEAT_MAX_AGE = 60


@get("/", name="home")
async def home(request: Request) -> Any:
    site = site_of(request)
    if site.is_platform:
        return await render(request, "platform/home.html")
    tenant = site.tenant
    assert tenant is not None
    return await render(request, "public/home.html")


@get("/lang/{code:str}", name="set_language")
async def set_language(request: Request, code: FromPath[str]) -> Redirect:
    if code not in i18n.LANGUAGES:
        raise NotFoundException()
    back = request.query_params.get("next") or "/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    settings = request.app.state.settings
    return Redirect(
        path=back,
        status_code=303,
        cookies=[Cookie(key="sila_lang", value=code, max_age=365 * 86400, httponly=True, samesite="lax",
                        secure=settings.secure_cookies)],
    )




@get("/healthz", name="healthz")
async def healthz(request: Request) -> Response:
    """For load balancers: 200 when this node can serve (database and Redis answer), else 503.
    Workers are reported, not required: a node still serves while workers are away."""
    checks: dict[str, Any] = {}
    try:
        await db.DB.run_ddl("select 1")  # works with or without the pool
        checks["database"] = {"ok": True}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    redis = request.app.state.redis
    workers: list[dict[str, Any]] = []
    try:
        await redis.ping()
        checks["redis"] = {"ok": True}
        now = time.time()
        async for key in redis.scan_iter(match=HEARTBEAT_PREFIX + "*", count=100):
            beat = await redis.get(key)
            if beat:
                age = now - float(beat)
                workers.append({"name": key.decode()[len(HEARTBEAT_PREFIX):], "age_seconds": round(age, 1)})
    except Exception as exc:
        checks["redis"] = {"ok": False, "error": type(exc).__name__}
    alive = [w for w in workers if w["age_seconds"] <= HEARTBEAT_MAX_AGE]
    checks["workers"] = {"ok": bool(alive), "alive": len(alive), "seen": workers}
    serving = checks["database"]["ok"] and checks["redis"]["ok"]
    status = "ok" if serving and alive else ("degraded" if serving else "down")
    return Response(content={"status": status, "checks": checks}, status_code=200 if serving else 503)


@get("/_dev/inbox", name="dev_inbox")
async def dev_inbox(request: Request) -> Any:
    """Every message the development inbox provider 'sent', newest first. Development only."""
    settings = request.app.state.settings
    if settings.env != "development" or not site_of(request).is_platform:
        raise NotFoundException()
    async with db.platform_scope("development inbox") as tx:
        rows = await tx.connection.fetch(
            """select m.*, t.slug from dev_inbox_message m join tenant t on t.id = m.tenant
               order by m.created_at desc limit 200"""
        )
    return await render(request, "platform/dev_inbox.html", messages=[dict(r) for r in rows])




_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@get("/dates/day", name="day_conversion")
async def day_conversion(request: Request) -> Any:
    """The htmx fragment beside a date box (templates/_forms.html `day_input`): the day typed,
    in both calendars. Any host; nothing is stored or looked up."""
    name = request.query_params.get("for") or ""
    if not _FIELD_NAME.match(name):
        raise NotFoundException()
    return await render(request, "_day.html", name=name, value=(request.query_params.get(name) or "")[:40])


HANDLERS = [home, set_language, healthz, dev_inbox, day_conversion]
