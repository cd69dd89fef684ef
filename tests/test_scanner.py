"""An external scanner in CI: Debian's wapiti against a deployment of this session.

The deployment is what `sila dev` runs: its own database, migrated and loaded with the demo
tenants (`sila load-demo`: three charities, each with its published seed policy and its admin),
and one web server. wapiti crawls and attacks three sites at once — a charity's public site,
the platform host, and the charity's portal signed in as its admin — and the test fails on:

- any vulnerability wapiti reports (SQL/command injection, path traversal, XSS, stored XSS,
  CRLF, open redirect, CSRF, dangerous methods, backup files, .htaccess bypass);
- any anomaly it reports (a 500 it provoked, "Internal Server Error"; a request that timed out,
  "Resource consumption");
- any 5xx in the server's own access log, whether or not wapiti noticed it.

Informational findings (wapiti's "additionals", e.g. the server fingerprint) are listed in the
failure message and in the reports, not failed on. The header modules (csp, http_headers,
cookieflags) are not run: over plain HTTP they always report HSTS and the cookies' Secure flag,
which production sets and this test server cannot; the headers themselves are tested directly.
ssrf and xxe are not run: they need wapiti's out-of-band endpoint (wapiti3.ovh by default), which
CI neither reaches nor should. blindsql (time-based) is not run: its verdict rests on response
times, which a loaded CI machine makes flaky; error-based sql is run. nikto and buster are
dictionary scans of a generic web server, slow and meaningless for an app with no file tree.

Tenants are resolved from the Host header and glibc does not resolve `*.localhost`, so wapiti
is pointed at 127.0.0.1 with `-H "Host: <slug>.localhost:<port>"`; every link the app writes is
relative, so the crawl stays on the site. Reports land in artifacts/wapiti/.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from support.data import valid_id
from support.servers import ARTIFACTS, ROOT, Server, free_port, start_server, with_database

pytestmark = pytest.mark.scanner

REPORTS = ARTIFACTS / "wapiti"

# Run wapiti from its own interpreter with two fixes for Debian's 3.0.4 on Python 3.11:
# - its URL-exclusion patterns end in `\Z(?ms)`, which Python 3.11 refuses ("global flags not at
#   the start"), so every `-x` crashes the crawl: the flags move to the front;
# - it sends every field of a multipart form as a *file* part (requests names a part after its
#   field when given a bare string), which no browser does: text fields go as text parts, so the
#   application form is attacked field by field like the others. (Hostile file parts are the
#   fuzzer's job.)
WAPITI_MAIN = r"""
import re, sys
import requests
import wapitiCore.net.crawler as crawler

def wildcard_translate(pattern):
    return re.compile("(?ms)" + "".join(".*" if c == "*" else re.escape(c) for c in pattern) + r"\Z")

crawler.wildcard_translate = wildcard_translate

_post = requests.Session.post

def post(self, url, data=None, json=None, files=None, **kw):
    if files:
        files = [(k, (None, v)) if isinstance(v, str) else (k, v) for k, v in files]
    return _post(self, url, data=data, json=json, files=files, **kw)

requests.Session.post = post

from wapitiCore.main.wapiti import wapiti_main
sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
"""

# Attack modules, each a class of injection or misconfiguration a Litestar + Jinja2 app can have.
MODULES = "exec,file,sql,xss,permanentxss,crlf,redirect,csrf,methods,backup,htaccess"

# Bounds: the crawl stops after CRAWL_SECONDS, each module after ATTACK_SECONDS (checked
# between forms, so a module may overrun by one form's payloads); the three rounds run at once.
CRAWL_SECONDS = 40
ATTACK_SECONDS = 20
REQUEST_TIMEOUT = 30
ROUND_TIMEOUT = 600  # a hung wapiti fails the test instead of hanging CI

ACCESS_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})')
APP_ERROR = re.compile(r"^\w[\w.]*(?:Error|Exception)\b.*$", re.M)

NAME = "سارة عبدالله القحطاني"
PDF = ("id.pdf", b"%PDF-1.4\n% test document\n", "application/pdf")


def wapiti_python() -> str:
    """The interpreter of Debian's /usr/bin/wapiti (its shebang), which has wapitiCore."""
    path = shutil.which("wapiti")
    if path is None:
        pytest.fail("wapiti is not installed (Debian: apt-get install wapiti; .ci/run installs it)")
    first = Path(path).read_text(errors="replace").splitlines()[0]
    assert first.startswith("#!"), f"{path} is not a script: {first!r}"
    return first[2:].strip().split()[0]


async def _create_database(owner_url: str, name: str) -> None:
    from sila.platform.db import dsn_to_config

    conn = await asyncpg.connect(**dsn_to_config(owner_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(owner_url: str, name: str) -> None:
    from sila.platform.db import dsn_to_config

    conn = await asyncpg.connect(**dsn_to_config(owner_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _sila(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "sila.platform.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"sila {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _apply_once(server: Server, slug: str) -> None:
    """One online request, as an applicant sends it, so the portal's queue and request page exist."""
    client = server.client(slug)
    page = client.get("/apply")
    assert page.status_code == 200, page.text[-2000:]
    data = {"submit_token": re.search(r'name="submit_token" value="([^"]+)"', page.text).group(1),
            "policy_version": re.search(r'name="policy_version" value="([^"]+)"', page.text).group(1),
            "name": NAME, "id_number": valid_id(), "mobile": "0551234567", "preferred_channel": "sms",
            "preferred_language": "ar", "city": "الرياض", "category": "family", "household_size": "٥",
            "need": "دعم علاج الأسنان", "attest": "yes", "signature": NAME, "consent": "yes"}
    response = client.post("/apply", data, files={"documents": PDF})
    assert response.status_code == 303, response.text[-2000:]


class Round:
    """One wapiti run against one site; its JSON report and console output in artifacts/wapiti/."""

    def __init__(self, name: str, server: Server, host: str, start: str, *, cookies: dict[str, str] | None = None,
                 exclude: tuple[str, ...] = (), also: tuple[str, ...] = (), work: Path) -> None:
        self.name = name
        self.report = REPORTS / f"{name}.json"
        self.console = REPORTS / f"{name}.txt"
        base = server.url
        # wapiti loads its fingerprint database (for the wapp module, not run) at start and fetches
        # it from GitHub when missing: an empty one keeps the scan offline.
        config = work / name / "config"
        config.mkdir(parents=True)
        (config / "apps.json").write_text("{}")
        args = [wapiti_python(), "-c", WAPITI_MAIN, "-u", base + start, "--scope", "folder",
                "-H", f"Host: {host}", "-m", MODULES, "-d", "4", "--max-links-per-page", "40",
                "--max-scan-time", str(CRAWL_SECONDS), "--max-attack-time", str(ATTACK_SECONDS),
                "-t", str(REQUEST_TIMEOUT), "--flush-session", "--no-bugreport",
                "--store-session", str(work / name / "session"), "--store-config", str(config),
                "-f", "json", "-o", str(self.report), "-v", "1"]
        for path in also:
            args += ["-s", base + path]
        for path in exclude:
            args += ["-x", base + path]
        if cookies:
            # A fixed Cookie header rather than wapiti's cookie file: requests matches a jar's
            # cookies against the Host header's name, the file's loader against the URL's
            # (127.0.0.1), so cookies from a file are never sent.
            args += ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())]
        self.args = args
        self.report.unlink(missing_ok=True)
        self.out = self.console.open("w")
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=work, env={**os.environ, "LANG": "C.UTF-8"})
        self.started = time.monotonic()
        self.seconds = 0.0

    def wait(self) -> dict[str, Any]:
        try:
            self.proc.wait(ROUND_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"wapiti ({self.name}) ran over {ROUND_TIMEOUT}s; see {self.console}")
        finally:
            self.seconds = time.monotonic() - self.started
            self.out.close()
        console = self.console.read_text(errors="replace")
        assert self.proc.returncode == 0 and self.report.exists(), (
            f"wapiti ({self.name}) exited {self.proc.returncode} without a report:\n{console[-4000:]}")
        report = json.loads(self.report.read_text())
        crawled = re.search(r"Wapiti found (\d+) URLs and forms", console)
        report["_crawled"] = int(crawled.group(1)) if crawled else 0
        report["_seconds"] = round(self.seconds)
        return report


def findings(report: dict[str, Any], kind: str) -> list[str]:
    return [f"{category}: {item['method']} {item['path']} parameter={item.get('parameter') or '-'}: "
            f"{item['info']}\n    {item.get('curl_command', '')}"
            for category, items in report.get(kind, {}).items() for item in items]


@pytest.fixture(scope="module")
def deployment(backing: Any, sila_env: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A `sila dev` of its own (database, demo tenants, web server with an access log), so what
    the scanner creates — sign-ups, applications, feedback — stays out of the other tests' data."""
    wapiti_python()
    name = f"sila_scan_{secrets.token_hex(4)}"
    asyncio.run(_create_database(backing.owner_url, name))
    port = free_port()
    data_dir = tmp_path_factory.mktemp("scan-data")
    extra = {
        "SILA_DATABASE_URL": with_database(backing.owner_url, name),
        "SILA_PUBLIC_URL": f"http://localhost:{port}",
        "SILA_DATA_DIR": str(data_dir),
        # The scanner sends thousands of forms from one address: the limits would answer most of
        # them with 429 and hide what the handlers do (the limits have their own tests).
        "SILA_PUBLIC_FORM_LIMIT": "10000000",
        "SILA_LOGIN_MAX_FAILURES_ADDRESS": "10000000",
    }
    env = sila_env.child(**extra)
    _sila(env, "migrate")
    _sila(env, "load-demo")
    creds = json.loads((data_dir / "demo-credentials.json").read_text())["passwords"]
    REPORTS.mkdir(parents=True, exist_ok=True)
    server = start_server(sila_env, port, name="wapiti/web", access_log=True, **extra)
    try:
        yield server, creds
    finally:
        server.process.stop()
        # The scanner's failed sign-ins count against 127.0.0.1 in the session's Redis: clear
        # them, or every later test's sign-in from this address would be locked out.
        import redis

        r = redis.Redis.from_url(sila_env.values["SILA_REDIS_URL"])
        for key in r.scan_iter("sila:login:*"):
            r.delete(key)
        asyncio.run(_drop_database(backing.owner_url, name))


def test_wapiti_finds_no_vulnerability_and_no_server_error(deployment: Any, tmp_path: Path) -> None:
    server, creds = deployment
    slug = "basmat"
    _apply_once(server, slug)

    admin = server.client(slug)
    admin.login(f"admin@{slug}.demo", creds[f"admin@{slug}.demo"])
    cookies = {c.name: c.value for c in admin.http.cookies.jar}
    assert "sila_session" in cookies, cookies

    log_start = server.process.log_path.stat().st_size
    rounds = [
        Round("tenant-public", server, server.host(slug), "/", work=tmp_path,
              exclude=("/policy/pdf", "/policy/v/*/pdf", "/portal*")),
        Round("platform", server, server.host(), "/", work=tmp_path, exclude=("/operator/*/pdf",)),
        # Signed in as the charity's admin; signing out (or changing the password) would end
        # the round's session and leave the rest of it scanning the login page.
        Round("tenant-portal-admin", server, server.host(slug), "/portal/", also=("/portal",), work=tmp_path,
              cookies=cookies,
              exclude=("/logout", "/portal/account*", "/portal/profile*", "*/pdf", "*.pdf")),
    ]
    reports = {r.name: r.wait() for r in rounds}

    log = server.process.log_path.read_bytes()[log_start:].decode(errors="replace")
    statuses = Counter(m.group(3) for m in ACCESS_LINE.finditer(log))
    server_errors = Counter(f"{m.group(1)} {m.group(2).split('?')[0]} -> {m.group(3)}"
                            for m in ACCESS_LINE.finditer(log) if m.group(3).startswith("5"))
    errors = Counter(APP_ERROR.findall(log))

    summary = [f"{name}: {report['_crawled']} URLs and forms crawled, {report['_seconds']}s, "
               f"{sum(map(len, report['vulnerabilities'].values()))} vulnerabilities, "
               f"{sum(map(len, report['anomalies'].values()))} anomalies, "
               f"{sum(map(len, report['additionals'].values()))} informational"
               for name, report in reports.items()]
    summary.append(f"server: {sum(statuses.values())} requests, by status {dict(sorted(statuses.items()))}")
    print("\n".join(summary))

    problems: list[str] = []
    for name, report in reports.items():
        assert report["_crawled"] >= 5, f"{name}: wapiti crawled almost nothing; see {REPORTS / name}.txt"
        problems += [f"[{name}] vulnerability {f}" for f in findings(report, "vulnerabilities")]
        problems += [f"[{name}] anomaly {f}" for f in findings(report, "anomalies")]
    problems += [f"[server] {count} x {line}" for line, count in server_errors.most_common()]
    problems += [f"[server] {count} x {line}" for line, count in errors.most_common()]
    info = [f"[{name}] {f}" for name, report in reports.items() for f in findings(report, "additionals")]
    assert not problems, "\n".join(summary + problems + ["informational:"] + info)
    # The portal round really was signed in: it reached pages only staff see.
    staff_pages = {m.group(2).split("?")[0] for m in ACCESS_LINE.finditer(log)
                   if m.group(1) == "GET" and m.group(2).startswith("/portal/") and m.group(3) == "200"}
    assert len(staff_pages) >= 5, f"the portal round was not signed in: {staff_pages}"
