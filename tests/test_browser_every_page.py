"""Every page of every role, in Chromium, on a phone (390x844) and a desktop (1366x900): nothing
wider than the screen (`scrollWidth <= innerWidth`) and axe-core's WCAG A/AA rules clean,
colour contrast included. Pages are found by crawling the links each role sees, starting from
its home, on the living demo (sila/tenants/work/demo.py: requests at every stage, committee
sessions, complaints), so a page added later is checked without editing this file.

One server, one browser, one demo load; each page pattern (ids and numbers folded) is checked
once, by the first role that reaches it, except each role's home, queue and a request page,
which every role gets (and a screenshot of, in Arabic and in English)."""
from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from support.browser import axe_problems, screenshot
from support.clients import create_operator, operator_login
from support.servers import run_async

from sila.platform import demo
from sila.platform.settings import load_settings

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
SKIP = re.compile(r"/logout|/lang/|\.pdf$|/pdf\b|/minutes|/documents?/|/download|/export|/file|\.csv|/logo|/_dev")
IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")
MAX_PAGES_PER_ROLE = 45


def pattern(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({k.split("=")[0] for k in parts.query.split("&") if k})
    return IDS.sub("#", parts.path.rstrip("/") or "/") + ("?" + "&".join(keys) if keys else "")


def links(page: Any, prefix: tuple[str, ...]) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    return [h.split("#")[0] for h in hrefs if h and h.startswith(prefix) and not SKIP.search(h)]


def check(page: Any, base: str, path: str, name: str, problems: list[str], width: int, shot: str | None = None) -> None:
    response = page.goto(base + path)
    assert response is not None
    if response.status != 200:
        problems.append(f"{name} {path}: HTTP {response.status}")
        return
    # On a phone an overflowing page makes Chromium zoom out (innerWidth grows with it): compare
    # with the screen's own width too.
    wide = page.evaluate(f"[document.documentElement.scrollWidth, Math.min(window.innerWidth, {int(width)})]")
    if wide[0] > wide[1]:
        culprits = page.evaluate("""w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1 || e.getBoundingClientRect().left < -1)
            .slice(-3).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width))""",
                                 wide[1])
        problems.append(f"{name} {path}: {wide[0]}px wide on a {wide[1]}px screen {culprits}")
    if found := axe_problems(page):
        problems.append(f"{name} {path}: " + json.dumps(found, ensure_ascii=False))
    if shot:
        screenshot(page, shot)


def test_every_page_fits_the_screen_and_passes_axe(server, chromium, tmp_path):
    started = time.monotonic()
    accounts = run_async(demo.load_demo(load_settings(), tmp_path / "creds.json"))
    operator = run_async(create_operator())
    tenant = next(t for t in accounts.tenants if t.slug == "basmat")  # the policy with every step
    base = f"http://basmat.localhost:{server.port}"
    platform = f"http://localhost:{server.port}"
    problems: list[str] = []
    seen: set[str] = set()
    pages_checked = 0

    def crawl(name: str, site: str, start: list[str], prefix: tuple[str, ...], cookies: list[dict[str, Any]],
              lang: str = "ar") -> None:
        nonlocal pages_checked
        contexts = {v: chromium.new_context(viewport=size, locale="ar-SA", is_mobile=v == "phone",
                                            has_touch=v == "phone") for v, size in VIEWPORTS.items()}
        for ctx in contexts.values():
            if cookies:
                ctx.add_cookies(cookies)
            if lang == "en":
                ctx.add_cookies([{"name": "sila_lang", "value": "en", "url": site}])
        tabs = {v: ctx.new_page() for v, ctx in contexts.items()}
        queue, own, count = list(start), set(), 0
        while queue and count < MAX_PAGES_PER_ROLE:
            path = queue.pop(0)
            key = pattern(path)
            key_page = path in start or key in ("/portal/requests/#",) and key not in own
            if key in own or (key in seen and not key_page):
                continue
            own.add(key)
            seen.add(key)
            count += 1
            for v, tab in tabs.items():
                shot = f"every-{name}-{lang}-{v}-{key.strip('/').replace('/', '_').replace('#', 'N').replace('?', '_') or 'home'}" \
                    if key_page else None
                check(tab, site, path, f"{name}/{v}", problems, VIEWPORTS[v]["width"], shot)
            pages_checked += 1
            queue += [h for h in links(tabs["desktop"], prefix) if pattern(h) not in own]
        for ctx in contexts.values():
            ctx.close()

    def cookies_of(client: Any, site: str) -> list[dict[str, Any]]:
        return [{"name": c.name, "value": c.value, "url": site} for c in client.http.cookies.jar]

    crawl("public", base, ["/", "/policy", "/apply", "/track", "/feedback", "/login"], ("/",), [])
    crawl("platform", platform, ["/", "/signup", "/operator/login"], ("/signup", "/operator/login"), [])
    roles = [("admin", tenant.email, tenant.password)] + [(role, email, pw) for email, pw, role in tenant.staff]
    for role, email, password in roles:
        client = server.client("basmat")
        client.login(email, password)
        crawl(role, base, ["/portal", "/portal/requests"], ("/portal",), cookies_of(client, base))
    client = server.client("basmat")
    client.login(tenant.email, tenant.password)
    crawl("admin", base, ["/portal", "/portal/requests"], ("/portal/requests",), cookies_of(client, base), lang="en")
    op = server.client()
    operator_login(op, operator)
    crawl("operator", platform, ["/operator"], ("/operator",), cookies_of(op, platform))

    assert pages_checked > 30, pages_checked
    assert not problems, f"{len(problems)} problems on {pages_checked} pages:\n" + "\n".join(problems)
    print(f"{pages_checked} pages, each at two sizes, in {time.monotonic() - started:.0f}s")
