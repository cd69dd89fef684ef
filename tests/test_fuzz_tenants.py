"""Cross-tenant fuzzer: every route of the app, called by tenant A's people with tenant B's
identifiers, never reveals or changes B's data. Also: unsafe methods need a CSRF token, webhooks
need a signature, public forms are rate-limited.

Nothing here lists routes or ids. Routes come from `create_app().routes`; B's identifiers are
every uuid / token / reference column of every row with B's `tenant` (read as the owner), plus
the raw tokens captured when they were made; the types of path parameters and the words that
go in them (workflow actions, template kinds, channels) are learnt by crawling A's own portal
and matching the links it shows against the route templates. A new route, table or token is
covered the day it exists.

A finding is: a 2xx/3xx answer whose body or Location carries B's data (names, emails, mobiles,
references, texts); any change to B's rows (checksums before and after each route); a 5xx.
"""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import re
import secrets
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from conftest import PASSWORD, PDF_BYTES, Client, Server, free_port, use_gateway
from sila.platform.db import dsn_to_config, tenant_scope
from sila.platform.settings import Settings, get_settings

DEFAULT_FORM_LIMIT = Settings.model_fields["public_form_limit"].default

ROLES = ("admin", "relations_officer", "social_researcher", "committee_member")
CHANNELS = ["interview", "virtual_interview", "phone", "social_media", "letters", "assistance_request", "website",
            "branch_representatives"]
PDF = ("doc.pdf", PDF_BYTES, "application/pdf")
SKIP_PREFIXES = ("/static", "/schema")
GARBAGE = ["x", "0", "-1", str(uuid.UUID(int=0)), "..%2f..%2fetc", "'%20or%20'1'='1", "A" * 300, "%00"]
# Form fields a handler may read, filled in every probe; id-like ones carry the probe's identifier.
TEXT_FIELDS = {"name": "س", "note": "x", "reason": "x", "reasons": "x", "answer": "x", "notes": "x", "question": "x",
               "body": "x", "vote": "accept", "decision": "accept", "service_type": "x", "hours": "24",
               "password": "Aa-123456789xx", "confirm": "Aa-123456789xx", "email": "probe@fuzz.test",
               "code": "000000", "status": "paused", "kind": "complaint", "title_ar": "س", "missing": "x"}
ID_FIELDS = ("assignee", "researcher", "requests", "request", "beneficiary", "survey", "survey_id", "item", "document",
             "logo_document", "outbox", "member", "user", "grant", "session", "tenant", "reference", "token")


def _ip() -> str:
    """A made-up client address per client (only ever a header): uvicorn trusts X-Forwarded-For
    from loopback, so this suite's counters never use up other tests' limits. From 10.0.0.0/8:
    one /24 (250 choices) let two clients of the suite meet often enough to fail a sign-in."""
    return "10." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))


def client(server: Server, host_slug: str | None) -> Client:
    c = server.client(host_slug)
    c.http.headers["X-Forwarded-For"] = _ip()
    return c


# --- the two tenants, built through the real services and pages -------------------------------------


@dataclass
class Side:
    tenant: Any
    users: dict[str, Any]  # role (or "all") -> (id, email)
    tokens: set[str] = field(default_factory=set)  # raw tokens captured at creation
    ids: dict[str, set[str]] = field(default_factory=dict)  # identifier -> tables (columns) it came from
    markers: set[str] = field(default_factory=set)  # what must never show on another tenant's pages


async def owner() -> asyncpg.Connection:
    return await asyncpg.connect(**dsn_to_config(get_settings().database_url))


async def tenant_tables(conn: asyncpg.Connection) -> list[str]:
    return [r["table_name"] for r in await conn.fetch(
        """select table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant'
           and table_name in (select table_name from information_schema.tables where table_type = 'BASE TABLE')
           order by 1""")]


async def publish(tenant_id: Any) -> None:
    from sila.tenants.policy import services
    from sila.tenants.policy.rules import ChannelConfig
    from sila.tenants.policy.seeds import seed_organisations

    org = next(o for o in seed_organisations() if o.slug == "mafatih")
    org.draft.channels = [ChannelConfig(code) for code in CHANNELS]
    for section in services.SECTIONS:
        await services.save_section(tenant_id, section, org.draft)
    await services.save_approval(tenant_id, org.approval)
    await services.publish(tenant_id, actor_name="fuzz")


def sign_in(server: Server, slug: str, email: str) -> Client:
    c = client(server, slug)
    c.login(email)
    return c


async def build(server: Server, word: str, latin: str, *, sms: str, whatsapp: bool) -> Side:
    """A tenant with a published policy, staff in every role, two requests (one walked through
    every step: documents, verification, referral and report, committee vote and decision,
    registration, service), a complaint, a survey invitation, gateways, invitation and reset links."""
    from sila.platform import directory
    from sila.platform.accounts import services as accounts
    from sila.platform.auth import new_token
    from sila.platform.tables import AuthToken
    from sila.tenants.surveys import services as surveys
    from test_requests_http import act, online, staff_intake

    tenant = await directory.create_tenant(slug=f"fz{latin.lower()}{secrets.token_hex(3)}", kind="association",
                                           name_ar=f"جمعية {word} الخيرية", name_en=f"{latin} Charity", status="active")
    users: dict[str, Any] = {}
    everyone = f"all-{secrets.token_hex(3)}@{latin.lower()}.test"
    for role in ROLES:
        uid = await accounts.add_member(tenant, email=everyone, name=f"موظف {word}", role=role, password=PASSWORD)
        users["all"] = (uid, everyone)
        email = f"{role}-{secrets.token_hex(3)}@{latin.lower()}.test"
        users[role] = (await accounts.add_member(tenant, email=email, name=f"{word} {role}", role=role,
                                                 password=PASSWORD), email)
    await publish(tenant.id)
    side = Side(tenant, users)
    person = f"{word} عبدالله الحربي"
    response, _ = online(client(server, tenant.slug), name=person, signature=person, need=f"دعم {word} للإيجار")
    assert response.status_code == 303, response.text[-1500:]
    staff = sign_in(server, tenant.slug, everyone)
    assert staff_intake(staff, name=f"{word} سالم العتيبي", files={"documents": PDF}).status_code == 303
    async with tenant_scope(tenant.id) as tx:
        rid = await tx.connection.fetchval("select id from support_request where channel = 'website'")
    checks = {f"check_{k}": "yes" for k in ("identity", "contact", "information", "documents")}
    assert act(staff, rid, "verify", **checks).status_code == 303
    assert act(staff, rid, "refer", researcher=str(users["all"][0]), question=f"سؤال {word}").status_code == 303
    assert act(staff, rid, "report", notes=f"ملاحظات {word}", files={"visit_file": PDF}).status_code == 303
    staff.get("/portal/committee")
    session = staff.post("/portal/committee", {"held_at": "2026-11-25T19:00"}).headers["location"]
    staff.post(f"{session}/agenda", {"requests": str(rid)})
    async with tenant_scope(tenant.id) as tx:
        item = await tx.connection.fetchval("select id from committee_item")
    staff.post(f"{session}/items/{item}/vote", {"vote": "accept", "reasons": f"أسباب {word}"})
    staff.post(f"{session}/items/{item}/decide", {"decision": "accept"})
    assert act(staff, rid, "register").status_code == 303
    assert act(staff, rid, "record_service", service_type=f"خدمة {word}").status_code == 303
    staff.get("/portal/security")
    staff.post("/portal/security/grants", {"hours": "24", "note": f"دعم {word}"})
    # The public complaint form; its token is the "received" page's address.
    public = client(server, tenant.slug)
    page = public.get("/feedback")
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    sent = public.post("/feedback", {"token": token, "kind": "complaint", "body": f"شكوى {word} عن التأخير",
                                     "name": person, "mobile": "0551234567", "contact_channel": "sms"})
    assert sent.status_code == 303, sent.text[-1500:]
    side.tokens.add(token)
    # A survey invitation (its raw token is never stored: derive it as the reminder does).
    async with tenant_scope(tenant.id) as tx:
        sid = await surveys.ensure_default_in_scope(tenant.id)
        ben = await tx.connection.fetchval("select beneficiary from support_request where id = $1", rid)
        [iid] = await surveys.invite_many_in_scope(tenant, sid, [dict(
            beneficiary=ben, channel="sms", language="ar", mobile="+966551234567", email="", request=rid)])
    side.tokens.add(surveys.token_for(tenant.id, iid))
    await use_gateway(tenant.id, "http://127.0.0.1:9", provider=sms, account="AC" + secrets.token_hex(8),
                      secret="gateway-secret-" + latin)
    if whatsapp:
        await use_gateway(tenant.id, "http://127.0.0.1:9", channel="whatsapp", provider="whatsapp_cloud",
                          account="1234567890", secret="wa-token", signing_secret="wa-app-secret-" + latin)
    for purpose in ("invite", "reset"):
        raw, digest = new_token()
        side.tokens.add(raw)
        async with tenant_scope(tenant.id):
            await AuthToken.insert(AuthToken(tenant=tenant.id, purpose=purpose, email=users["admin"][1],
                                             user=users["admin"][0], role="admin", token_hash=digest,
                                             expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)))
    await collect(side)
    return side


async def collect(side: Side) -> None:
    """Every identifier of the tenant's rows (as the owner: RLS does not hide them from us), and
    the strings that would show its data on a page."""
    tid = side.tenant.id
    conn = await owner()
    try:
        for table in await tenant_tables(conn):
            cols = [r["column_name"] for r in await conn.fetch(
                """select column_name from information_schema.columns where table_name = $1 and
                   (data_type = 'uuid' or column_name like '%token%' or column_name = 'reference')
                   and column_name <> 'tenant'""", table)]
            for row in await conn.fetch(f'select {", ".join(map(quote, cols))} from "{table}" where tenant = $1', tid):
                for col in cols:
                    if row[col] is not None:
                        side.ids.setdefault(str(row[col]), set()).add(f"{table}.{col}")
        members = await conn.fetch('select distinct "user" from membership where tenant = $1', tid)
        for m in members:
            side.ids.setdefault(str(m["user"]), set()).add("staff_user.id")
        side.ids.setdefault(str(tid), set()).add("tenant.id")
        side.ids.setdefault(side.tenant.slug, set()).add("tenant.slug")
        for token in side.tokens:
            side.ids.setdefault(token, set()).add("raw token")
        m = side.markers
        m |= {side.tenant.name_ar, side.tenant.name_en}
        m |= {r["email"] for r in await conn.fetch(
            'select email from staff_user where id = any($1::uuid[])', [r["user"] for r in members])}
        for sql in ("select name, mobile from beneficiary", "select reference, need from support_request",
                    "select body from feedback", "select service_type from service_delivery",
                    "select question, notes from request_referral", "select reasons from committee_vote"):
            for r in await conn.fetch(sql.replace(" from ", " from ", 1) + " where tenant = $1", tid):
                m |= {str(v) for v in r.values() if v and len(str(v)) >= 6}
    finally:
        await conn.close()


def quote(name: str) -> str:
    return '"' + name + '"'


async def snapshot(side: Side) -> dict[str, str]:
    """A checksum of each of the tenant's tables (and its own row and staff accounts)."""
    tid = side.tenant.id
    conn = await owner()
    try:
        out = {}
        for table in await tenant_tables(conn):
            out[table] = await conn.fetchval(
                f"""select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from "{table}" t
                    where tenant = $1""", tid)
        out["tenant"] = await conn.fetchval("select md5(t::text) from tenant t where id = $1", tid)
        out["staff_user"] = await conn.fetchval(
            """select md5(string_agg(u::text, '|' order by u.id)) from staff_user u
               where id in (select "user" from membership where tenant = $1)""", tid)
        return out
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def world(server: Server, sila_env: Any) -> tuple[Side, Side]:
    async def make() -> tuple[Side, Side]:
        a = await build(server, "زمرد", "Zumurrud", sms="twilio", whatsapp=True)
        b = await build(server, "ياقوت", "Yaqut", sms="unifonic", whatsapp=False)
        return a, b

    from conftest import run_async

    a, b = run_async(make())
    # The detector works: B's own queue page, seen by B's staff, shows B's data.
    own = sign_in(server, b.tenant.slug, b.users["all"][1]).get("/portal/requests")
    assert own.status_code == 200 and leaks(own, b.markers - a.markers, "/portal/requests")
    # Freeze B: a suspended tenant's rows are left alone by the beat (reminders, surveys, relay),
    # so any change to them while A probes can only come from A's requests. A's pages do not
    # depend on B's status, and B's ids are as real as ever.
    from sila.platform import directory

    run_async(directory.set_status(b.tenant.id, "suspended", "fuzz: frozen"))
    return a, b


# --- routes and what goes in their parameters -------------------------------------------------------


@dataclass
class Route:
    path: str
    methods: list[str]
    params: list[str]
    types: list[str]  # the router's converter per parameter: str, uuid, int, path
    multipart: bool
    regex: re.Pattern[str]

    def accepts(self, i: int, value: str) -> bool:
        """Would the router even match this value? (No point probing what it 404s itself.)"""
        if self.types[i] == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                return False
        return self.types[i] != "int" or value.lstrip("-").isdigit()

    def default(self, i: int) -> str:
        return {"uuid": str(uuid.uuid4()), "int": "1"}.get(self.types[i], "x")


@functools.cache
def app_routes() -> list[Route]:
    from sila.platform.app import create_app

    app = create_app(get_settings())
    routes = []
    for route in app.routes:
        if route.path.startswith(SKIP_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            methods = sorted(set(handler.http_methods) - {"HEAD", "OPTIONS"})
            if not methods:
                continue
            data = handler.parsed_fn_signature.parameters.get("data")
            media = getattr(getattr(data, "kwarg_definition", None), "media_type", None)
            found = re.findall(r"\{(\w+)(?::(\w+))?\}", route.path)
            params, types = [n for n, _ in found], [t or "str" for _, t in found]
            pattern = re.sub(r"\\\{\w+(?::\w+)?\\\}", "([^/]+)", re.escape(route.path))
            routes.append(Route(route.path, methods, params, types, "multi" in str(media or ""),
                                re.compile(f"^{pattern}/?$")))
    return routes


def fill(path: str, values: list[str]) -> str:
    it = iter(values)
    return re.sub(r"\{\w+(?::\w+)?\}", lambda _: next(it), path)


def crawl(c: Client, starts: list[str], limit: int = 250) -> set[str]:
    """Every same-site path A's own pages link to or post to (GET only, query dropped)."""
    seen, queue, found = set(), list(starts), set()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = c.get(path)
        if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
            continue
        for link in re.findall(r'(?:href|action)="(/[^"#?]*)', response.text):
            if link.startswith(("/static", "/lang", "/logout")):
                continue
            found.add(link)
            if link not in seen and not link.endswith((".pdf", ".csv")):
                queue.append(link)
    return found


def learn(routes: list[Route], paths: set[str], a: Side) -> dict[tuple[str, str], dict[str, Any]]:
    """(route, param) -> {"tables": what A's ids in it were, "words": values that are no id}."""
    info: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"tables": set(), "words": set()})
    for path in paths:
        for route in routes:
            m = route.regex.match(path)
            if m and route.params:
                for name, value in zip(route.params, m.groups()):
                    slot = info[(route.path, name)]
                    if value in a.ids:
                        # The row it is the id of, if any (not every table that points at that row).
                        own = {t.split(".")[0] for t in a.ids[value] if t.endswith(".id")}
                        slot["tables"] |= own or {t.split(".")[0] for t in a.ids[value]}
                    else:
                        slot["words"].add(value)
                break
    return info


def candidates(route: Route, info: dict[tuple[str, str], dict[str, Any]], b: Side,
               full: bool = False, garbage: bool = False) -> list[list[str]]:
    """Parameter values to try: B's identifiers of the table A's links put there (with B's raw
    tokens and slug), the words A's links use, and garbage. Where A's links never showed the
    parameter, `full` tries three rows of every table of B's (`tenant.slug`, `raw token` count
    as tables), otherwise one."""
    per: list[list[str]] = []
    for name in route.params:
        slot = info.get((route.path, name), {"tables": set(), "words": set()})
        values: list[str] = sorted(slot["words"])[:20]
        tables = lambda i: {s.split(".")[0] for s in b.ids[i]}  # noqa: E731
        if slot["tables"]:
            values += [i for i in b.ids if {t.split(".")[0] for t in b.ids[i] if t.endswith(".id")} & slot["tables"]]
        if slot["tables"] or not slot["words"]:
            values += [i for i, src in b.ids.items() if "raw token" in src or "tenant.slug" in src]
        if not slot["tables"] and not slot["words"]:
            by_table: dict[str, list[str]] = defaultdict(list)
            for i in sorted(b.ids):
                by_table[min(tables(i))].append(i)
            values += [i for ids in by_table.values() for i in ids[:3 if full else 1]]
        i = len(per)
        per.append([v for v in dict.fromkeys(values) if route.accepts(i, v)] or [route.default(i)])
    if len(per) > 1 and math.prod(map(len, per)) > 300:
        # Too many to try every pairing: every value of every parameter at least once instead.
        combos = [[values[k % len(values)] for values in per] for k in range(max(map(len, per)))]
    else:
        combos = [list(c) for c in itertools.product(*per)]
    if not garbage:
        return combos
    junk = [[g if route.accepts(i, g) else route.default(i) for i in range(len(route.params))] for g in GARBAGE]
    return combos + [g for g in junk if g not in combos]


# --- probing -------------------------------------------------------------------------------------


def send(c: Client, method: str, url: str, route: Route, ident: str) -> Any:
    if method == "GET":
        return c.get(url)
    body = {**TEXT_FIELDS, **{k: ident for k in ID_FIELDS}}
    if route.multipart:
        return c.post(url, body, files={"documents": PDF, "scan": PDF, "visit_file": PDF, "logo": PDF})
    return c.http.request(method, url, data={**body, "_csrf_token": c.csrf()})


def leaks(response: Any, markers: set[str], url: str) -> list[str]:
    text = response.text + response.headers.get("location", "")
    return [m for m in markers if m in text and m not in url]


def test_no_route_reveals_or_changes_another_tenants_data(server: Server, world: tuple[Side, Side]) -> None:
    from conftest import run_async

    a, b = world
    routes = [r for r in app_routes() if r.params]
    assert len(routes) >= 25, [r.path for r in routes]
    everyone = sign_in(server, a.tenant.slug, a.users["all"][1])
    paths = crawl(everyone, ["/portal", "/", "/policy", "/portal/requests", "/portal/committee", "/portal/feedback",
                             "/portal/surveys", "/portal/notifications", "/portal/notifications/templates",
                             "/portal/beneficiaries", "/portal/policy", "/portal/security", "/portal/library"])
    info = learn(routes, paths, a)
    # Each A client probes on A's host and, with the same cookies, on the platform's host.
    # Only B's own data counts: both tenants' applicants may share a mobile number or a need.
    markers = b.markers - a.markers
    # (who, client, host, every identifier where A's links never showed the parameter, garbage too)
    platform = server.host()
    anonymous = client(server, a.tenant.slug)
    plan: list[tuple[str, Client, str, bool]] = [
        ("all roles", everyone, a_host := everyone.host, True), ("all roles", everyone, platform, False),
        ("anonymous", anonymous, a_host, False), ("anonymous", anonymous, platform, False),
        *[(role, sign_in(server, a.tenant.slug, a.users[role][1]), a_host, False) for role in ROLES]]
    findings: list[str] = []
    probes = 0
    before = run_async(snapshot(b))
    for route in routes:
        for who, c, host, full in plan:
            c.http.headers["Host"] = host
            for values in candidates(route, info, b, full=full, garbage=full):
                url = fill(route.path, values)
                for method in route.methods:
                    response = send(c, method, url, route, values[0])
                    probes += 1
                    status = response.status_code
                    if status >= 500:
                        findings.append(f"{status} {method} {url} as {who} on {host}")
                    elif status < 400 and (found := leaks(response, markers, url)):
                        findings.append(f"LEAK {method} {url} as {who} on {host}: {status} shows {found[:3]}")
            c.http.headers["Host"] = c.host
        after = run_async(snapshot(b))
        changed = [t for t in before if before[t] != after[t]]
        if changed:
            findings.append(f"CHANGED B's {changed} while probing {route.path}")
            before = after
    print(f"{probes} probes of {len(routes)} routes")
    assert probes > 1000
    assert not findings, f"{len(findings)} finding(s) in {probes} probes:\n" + "\n".join(findings[:80])


# --- CSRF, webhooks, rate limits -------------------------------------------------------------------


def csrf_excluded() -> list[re.Pattern[str]]:
    from sila.platform.app import create_app

    return [re.compile(p) for p in create_app(get_settings()).csrf_config.exclude or []]


def own_values(route: Route, info: dict[tuple[str, str], dict[str, Any]], a: Side) -> list[str]:
    """A's own value for each parameter (a request that would otherwise succeed), else garbage."""
    out = []
    for i, name in enumerate(route.params):
        slot = info.get((route.path, name), {"tables": set(), "words": set()})
        own = [v for v, src in a.ids.items() if {s.split(".")[0] for s in src} & slot["tables"]]
        out.append(next((v for v in [*sorted(slot["words"]), *own] if route.accepts(i, v)), route.default(i)))
    return out


def test_every_unsafe_method_without_a_csrf_token_is_refused(server: Server, world: tuple[Side, Side]) -> None:
    a, _ = world
    excluded = csrf_excluded()
    everyone = sign_in(server, a.tenant.slug, a.users["all"][1])
    routes = app_routes()
    info = learn(routes, crawl(everyone, ["/portal", "/portal/requests", "/portal/committee", "/portal/feedback"]), a)
    failures, checked = [], 0
    for route in routes:
        unsafe = [m for m in route.methods if m not in ("GET", "HEAD", "OPTIONS", "TRACE")]
        if not unsafe or any(p.search(route.path) for p in excluded):
            continue
        url = fill(route.path, own_values(route, info, a))
        for c in (everyone, client(server, None)):  # A's signed-in staff; a visitor of the platform's site
            for method in unsafe:
                response = c.http.request(method, url, data={**TEXT_FIELDS, "_csrf_token": "forged"})
                bare = c.http.request(method, url, data=TEXT_FIELDS)
                checked += 2
                for r in (response, bare):
                    if r.status_code != 403:
                        failures.append(f"{method} {url} on {c.host}: {r.status_code} without a valid CSRF token")
    assert checked > 40
    assert not failures, "\n".join(failures)


def hook_routes() -> list[Route]:
    excluded = csrf_excluded()
    return [r for r in app_routes() if "POST" in r.methods and r.params and any(p.search(r.path) for p in excluded)]


@pytest.fixture(scope="module")
def gateways(sila_env: Any) -> list[tuple[Any, str, str]]:
    """A tenant per provider the app offers (its own catalogue), each with its webhook token."""
    from conftest import run_async
    from sila.platform import directory
    from sila.tenants.notifications.services import CHANNEL_PROVIDERS

    async def make() -> list[tuple[Any, str, str]]:
        out = []
        for channel, providers in CHANNEL_PROVIDERS.items():
            for provider in providers:
                t = await directory.create_tenant(slug=f"hk{secrets.token_hex(4)}", kind="association",
                                                  name_ar="جمعية البوابات", status="active")
                await use_gateway(t.id, "http://127.0.0.1:9", channel=channel, provider=provider,
                                  account="AC" + secrets.token_hex(8), secret="secret-" + provider,
                                  signing_secret="signing-" + provider)
                async with tenant_scope(t.id) as tx:
                    token = await tx.connection.fetchval("select webhook_token from provider_config")
                out.append((t, provider, token))
        return out

    return run_async(make())


def test_every_webhook_refuses_an_unsigned_body(server: Server, gateways: list[tuple[Any, str, str]]) -> None:
    """Webhooks skip CSRF, so a signature (checked with the gateway's secret) must stand in for it.
    Tried with the real webhook token of a gateway of every provider, on its tenant's host: a body
    with no signature, or a made-up one, is never accepted."""
    accepted = []
    hooks = [r.path for r in hook_routes()]
    assert hooks, "no webhook routes found"
    for (tenant, provider, token), path in itertools.product(gateways, hooks):
        c = client(server, tenant.slug)
        url = fill(path, [token])
        for headers in ({}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl",
                             "X-Hub-Signature-256": "sha256=" + "0" * 64}):
            r = c.http.post(url, data={"MessageSid": "x", "MessageStatus": "delivered", "status": "delivered",
                                       "messageId": "x"}, headers=headers)
            if r.status_code < 300:
                accepted.append(f"POST {url} ({provider} gateway): {r.status_code}, "
                                f"{'no signature' if not headers else 'made-up signature'}")
    assert not accepted, "unsigned webhook bodies accepted:\n" + "\n".join(accepted)


def public_post_routes(server: Server, a: Side, info: dict[tuple[str, str], dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(host, url, route) of every POST a visitor without an account can send: found by trying
    each POST route anonymously (with a CSRF token and an empty form) and keeping what does not
    ask for a login, refuse, or not exist. Parameters get A's own values, then A's raw tokens."""
    excluded = csrf_excluded()
    visitors = {slug: client(server, slug) for slug in (a.tenant.slug, None)}
    for slug, c in visitors.items():
        c.csrf("/login" if slug else "/signup/organisation")
    found = []
    for route in app_routes():
        if "POST" not in route.methods or any(p.search(route.path) for p in excluded):
            continue
        tries = [own_values(route, info, a)]
        tries += [[t] * len(route.params) for t in sorted(a.tokens) if all(route.accepts(i, t) for i in
                                                                             range(len(route.params)))]
        for slug, c in visitors.items():
            for values in tries if route.params else [[]]:
                url = fill(route.path, values)
                r = c.http.post(url, data={"_csrf_token": c.last_csrf})
                if r.status_code in (403, 404, 405) or "login" in r.headers.get("location", ""):
                    continue
                found.append((slug or "", url, route.path))
                break
    return found


@pytest.fixture(scope="module")
def limited(sila_env: Any) -> Iterator[Server]:
    """An app process with the deployment's default limit on public forms (the session's server
    raises it, so that other tests never meet it). Same database and Redis."""
    from conftest import Process, wait_until

    port = free_port()
    proc = Process([sys.executable, "-m", "uvicorn", "--factory", "sila.platform.app:create_app", "--host",
                    "127.0.0.1", "--port", str(port), "--no-access-log"],
                   sila_env.child(SILA_PUBLIC_FORM_LIMIT=str(DEFAULT_FORM_LIMIT)), f"web-limited-{port}")

    def ready() -> bool:
        assert proc.alive(), proc.output()[-2000:]
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 503)
        except httpx.HTTPError:
            return False

    wait_until(ready, 30, what="the limited server")
    yield Server(port, proc)
    proc.stop()


def test_every_public_form_is_rate_limited(limited: Server, world: tuple[Side, Side]) -> None:
    """Repeated posts from one address (empty forms: the limit must stand before validation)
    get 429 within the deployment's default limit and a few more."""
    a, _ = world
    server = limited
    everyone = sign_in(server, a.tenant.slug, a.users["all"][1])
    routes = app_routes()
    info = learn(routes, crawl(everyone, ["/portal"], limit=30), a)
    forms = public_post_routes(server, a, info)
    paths = {p for _, _, p in forms}
    assert {"/login", "/apply", "/track", "/feedback", "/signup/organisation"} <= paths, sorted(paths)
    limit = DEFAULT_FORM_LIMIT
    unlimited = []
    for host_slug, url, path in forms:
        c = client(server, host_slug or None)  # a fresh address: its own count
        c.csrf("/login" if host_slug else "/signup/organisation")
        statuses = []
        for _ in range(limit + 10):  # bounded: the limit, and some
            statuses.append(c.http.post(url, data={"_csrf_token": c.last_csrf}).status_code)
            if statuses[-1] == 429:
                break
        if 429 not in statuses:
            unlimited.append(f"POST {url} ({path}) on {host_slug or 'the platform'}: {limit + 10} posts, "
                             f"never 429 (statuses {sorted(set(statuses))})")
    assert not unlimited, "public forms without a rate limit:\n" + "\n".join(unlimited)
