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

import itertools
import re
import secrets
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sila.platform.db import tenant_scope
from support.clients import Client, sign_in
from support.fuzz import DEFAULT_FORM_LIMIT, DOC_PDF, ROLES, Side, build, client, fake_ip, snapshot
from support.gateways import use_gateway
from support.routes import ID_FIELDS, Route, TEXT_FIELDS, app_routes, candidates, crawl, fill, learn, own_values
from support.servers import Process, Server, free_port, run_async, wait_until








# --- the two tenants, built through the real services and pages -------------------------------------




















@pytest.fixture(scope="module")
def world(server: Server, sila_env: Any) -> tuple[Side, Side]:
    async def make() -> tuple[Side, Side]:
        a = await build(server, "زمرد", "Zumurrud", sms="twilio", whatsapp=True)
        b = await build(server, "ياقوت", "Yaqut", sms="unifonic", whatsapp=False)
        return a, b


    a, b = run_async(make())
    # The detector works: B's own queue page, seen by B's staff, shows B's data.
    own = sign_in(server, b.users["all"][1], b.tenant.slug, forwarded_for=fake_ip()).get("/portal/requests")
    assert own.status_code == 200 and leaks(own, b.markers - a.markers, "/portal/requests")
    # Freeze B: a suspended tenant's rows are left alone by the beat (reminders, surveys, relay),
    # so any change to them while A probes can only come from A's requests. A's pages do not
    # depend on B's status, and B's ids are as real as ever.
    from sila.platform import directory

    run_async(directory.set_status(b.tenant.id, "suspended", "fuzz: frozen"))
    a.api_key = run_async(api_key(a))  # type: ignore[attr-defined]
    return a, b


async def api_key(side: Side) -> str:
    """A key of A's with every scope: the JSON API is probed with it, with B's identifiers."""
    from sila.platform.actors import Actor
    from sila.tenants.api import forms as api_forms
    from sila.tenants.api import services as api_services

    _, key = await api_services.create_key(side.tenant.id, name="fuzz", scopes=list(api_forms.SCOPES),
                                           expires_on=None, actor=Actor(None, "fuzz", frozenset()))
    return key


# --- routes and what goes in their parameters -------------------------------------------------------














# --- probing -------------------------------------------------------------------------------------


def send(c: Client, method: str, url: str, route: Route, ident: str) -> Any:
    if method == "GET":
        return c.get(url)
    body = {**TEXT_FIELDS, **{k: ident for k in ID_FIELDS}}
    if route.path.startswith("/api/"):  # the JSON API: a JSON body, no CSRF (its key is the credential)
        return c.http.request(method, url, json=body)
    if route.multipart:
        return c.post(url, body, files={"documents": DOC_PDF, "scan": DOC_PDF, "visit_file": DOC_PDF, "logo": DOC_PDF})
    return c.http.request(method, url, data={**body, "_csrf_token": c.csrf()})


def leaks(response: Any, markers: set[str], url: str) -> list[str]:
    text = response.text + response.headers.get("location", "")
    return [m for m in markers if m in text and m not in url]


def test_no_route_reveals_or_changes_another_tenants_data(server: Server, world: tuple[Side, Side]) -> None:

    a, b = world
    routes = [r for r in app_routes() if r.params]
    assert len(routes) >= 25, [r.path for r in routes]
    everyone = sign_in(server, a.users["all"][1], a.tenant.slug, forwarded_for=fake_ip())
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
        *[(role, sign_in(server, a.users[role][1], a.tenant.slug, forwarded_for=fake_ip()), a_host, False) for role in ROLES],
        ("A's API key", keyed := client(server, a.tenant.slug), a_host, True), ("A's API key", keyed, platform, False)]
    keyed.http.headers["Authorization"] = f"Bearer {a.api_key}"  # type: ignore[attr-defined]
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
    from sila.platform.app import CSRF_EXCLUDE

    return [re.compile(p) for p in CSRF_EXCLUDE]




def test_every_unsafe_method_without_a_csrf_token_is_refused(server: Server, world: tuple[Side, Side]) -> None:
    a, _ = world
    excluded = csrf_excluded()
    everyone = sign_in(server, a.users["all"][1], a.tenant.slug, forwarded_for=fake_ip())
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
    everyone = sign_in(server, a.users["all"][1], a.tenant.slug, forwarded_for=fake_ip())
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
