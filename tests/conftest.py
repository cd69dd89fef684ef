"""Real PostgreSQL, real Redis, real SMTP peer, real app servers and workers as subprocesses.

PostgreSQL and Redis come from SILA_TEST_DATABASE_URL / SILA_TEST_REDIS_URL when set,
otherwise from embedded servers this session starts. Each session gets a fresh database.

The app is served by real uvicorn processes (not Litestar's in-process test client), so the
app's pool lives in its own loop and two processes can share Redis state like production.
"""
from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
PASSWORD = "Sila-test-Passw0rd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def run_async(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, even where a loop is already running
    (Playwright's sync API keeps one in the test's thread)."""
    result: dict[str, Any] = {}

    async def and_close() -> Any:
        from sila.workers import sms

        try:
            return await coro
        finally:  # a gateway session this loop opened goes with it
            await sms.close_session()

    def target() -> None:
        try:
            result["value"] = asyncio.run(and_close())
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


# --- backing services -------------------------------------------------------------------


@dataclass
class Backing:
    owner_url: str  # a database URL on a server where we may create databases
    redis_url: str


@pytest.fixture(scope="session")
def backing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backing]:
    stack = contextlib.ExitStack()
    pg_url = os.environ.get("SILA_TEST_DATABASE_URL")
    redis_url = os.environ.get("SILA_TEST_REDIS_URL")
    if not pg_url or not redis_url:
        from sila.platform.embedded import EmbeddedPostgres, EmbeddedRedis

        data = Path(tmp_path_factory.mktemp("embedded"))
        if not pg_url:
            pg_url = stack.enter_context(EmbeddedPostgres(data)).start()
        if not redis_url:
            redis_url = stack.enter_context(EmbeddedRedis(data)).start()
    with stack:
        yield Backing(pg_url, redis_url)


@pytest.fixture(scope="session")
def database_url(backing: Backing) -> Iterator[str]:
    name = f"sila_test_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        from sila.platform.db import dsn_to_config

        conn = await asyncpg.connect(**dsn_to_config(backing.owner_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield _with_database(backing.owner_url, name)
    with contextlib.suppress(Exception):
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url(backing: Backing) -> str:
    import redis

    url = backing.redis_url
    if url.startswith("redis://") and urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + "/15"
    redis.Redis.from_url(url).flushdb()
    return url


# --- SMTP peer ----------------------------------------------------------------------------


@dataclass
class SmtpSink:
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> list[email.message.EmailMessage]:
        wait_until(lambda: len(self.to(address)) >= count, timeout, what=f"{count} email(s) to {address}")
        return self.to(address)


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            with sink.lock:
                sink.messages.append(msg)  # type: ignore[arg-type]
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


def body_of(msg: email.message.EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def link_in(msg: email.message.EmailMessage) -> str:
    found = re.search(r"https?://\S+", body_of(msg))
    assert found, "no link in the email"
    return found.group(0)


# --- settings for this process and its children -------------------------------------------


@dataclass
class Env:
    values: dict[str, str]
    web_port: int

    def child(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, **self.values, **extra}
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env


@pytest.fixture(scope="session")
def sila_env(database_url: str, redis_url: str, smtp_sink: SmtpSink) -> Env:
    web_port = free_port()
    values = {
        "SILA_ENV": "test",
        "SILA_DATABASE_URL": database_url,
        "SILA_REDIS_URL": redis_url,
        "SILA_SECRET_KEY": secrets.token_hex(32),
        "SILA_BASE_DOMAIN": "localhost",
        "SILA_PUBLIC_URL": f"http://localhost:{web_port}",
        "SILA_EMAIL_PROVIDER": "smtp",
        "SILA_SMTP_HOST": "127.0.0.1",
        "SILA_SMTP_PORT": str(smtp_sink.port),
        "SILA_DB_POOL_SIZE": "4",
        # The suite signs in hundreds of times from one address; test_auth checks the limit itself.
        "SILA_PUBLIC_FORM_LIMIT": "100000",
        "SILA_DATA_DIR": str(ROOT / ".sila" / "test"),
    }
    os.environ.update(values)
    from sila.platform import db
    from sila.platform.migrate import migrate
    from sila.platform.settings import get_settings

    get_settings.cache_clear()
    asyncio.run(migrate(get_settings(), quiet=True))
    # The test process reads and writes as the app role, like the app: RLS applies here too.
    db.configure(get_settings().app_dsn)
    return Env(values, web_port)


# --- processes ------------------------------------------------------------------------------


class Process:
    def __init__(self, args: list[str], env: dict[str, str], name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.name = name
        self.log_path = ARTIFACTS / f"{name}.log"
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive():
            self.kill(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Server:
    port: int
    process: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def host(self, slug: str | None = None) -> str:
        return f"{slug}.localhost:{self.port}" if slug else f"localhost:{self.port}"

    def client(self, slug: str | None = None) -> "Client":
        return Client(self, self.host(slug))


def start_server(env: Env, port: int | None = None, name: str = "web", **extra_env: str) -> Server:
    port = port or free_port()
    proc = Process(
        [sys.executable, "-m", "uvicorn", "--factory", "sila.platform.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"],
        env.child(**extra_env),
        f"{name}-{port}",
    )

    def ready() -> bool:
        if not proc.alive():
            raise AssertionError(f"server exited:\n{proc.output()[-3000:]}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 503)
        except httpx.HTTPError:
            return False

    wait_until(ready, 30, what="the web server")
    return Server(port, proc)


@pytest.fixture(scope="session", autouse=True)
async def close_http_sessions() -> AsyncIterator[None]:
    """Gateways are called through one aiohttp session per loop (sila.workers.sms): the test
    loop's is closed in that loop, before the loop itself closes."""
    yield
    from sila.workers import sms

    await sms.close_session()


@pytest.fixture(scope="session")
def server(sila_env: Env) -> Iterator[Server]:
    srv = start_server(sila_env, sila_env.web_port)
    yield srv
    srv.process.stop()


CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Client:
    """An HTTP client bound to one site (Host header), keeping its own cookies, like a browser tab."""

    def __init__(self, server: Server, host: str) -> None:
        self.server = server
        self.host = host
        self.http = httpx.Client(base_url=server.url, headers={"Host": host}, follow_redirects=False, timeout=30)
        self.last_csrf: str | None = None

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.http.cookies.jar if c.name == name), None)

    def set_cookie(self, name: str, value: str) -> None:
        """Replace a cookie as the server would have set it (host-only, for this server)."""
        for c in [c for c in self.http.cookies.jar if c.name == name]:
            self.http.cookies.jar.clear(c.domain, c.path, c.name)
        self.http.cookies.set(name, value, domain="127.0.0.1", path="/")

    def get(self, path: str, **kw: Any) -> httpx.Response:
        response = self.http.get(path, **kw)
        if m := CSRF_RE.search(response.text):
            self.last_csrf = m.group(1)
        return response

    def csrf(self, path: str = "/login") -> str:
        if self.last_csrf is None:
            self.get(path)
        assert self.last_csrf, f"no CSRF token on {path}"
        return self.last_csrf

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> httpx.Response:
        data = dict(data or {})
        if csrf:
            data.setdefault("_csrf_token", self.csrf())
        response = self.http.post(path, data=data, **kw)
        if m := CSRF_RE.search(response.text):
            self.last_csrf = m.group(1)
        return response

    def login(self, email_address: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/login")
        response = self.post("/login", {"email": email_address, "password": password, "next": "/portal"})
        assert response.status_code == 303, response.text[-2000:]
        return response


# --- data, built through the real services ---------------------------------------------------


@dataclass
class Staff:
    id: uuid.UUID
    email: str
    password: str
    tenant: Any


@pytest.fixture
def make_tenant(sila_env: Env) -> Callable[..., Any]:
    async def make(status: str = "active", kind: str = "association", slug: str | None = None,
                   name_ar: str = "جمعية الاختبار") -> Any:
        from sila.platform import directory

        slug = slug or f"t{secrets.token_hex(4)}"
        return await directory.create_tenant(slug=slug, kind=kind, name_ar=name_ar, name_en=f"Test {slug}",
                                             status=status)

    return make


@pytest.fixture
def make_staff(sila_env: Env) -> Callable[..., Any]:
    async def make(tenant: Any, *roles: str, name: str = "موظف الاختبار") -> Staff:
        from sila.platform.accounts import services

        email_address = f"{secrets.token_hex(4)}@staff.test"
        user_id = None
        for role in roles or ("admin",):
            user_id = await services.add_member(tenant, email=email_address, name=name, role=role, password=PASSWORD)
        assert user_id is not None
        return Staff(user_id, email_address, PASSWORD, tenant)

    return make


@pytest.fixture
async def two_tenants(make_tenant: Callable[..., Any], make_staff: Callable[..., Any]) -> tuple[Staff, Staff]:
    """Tenant A and tenant B, each with an admin: every isolation test starts here."""
    a, b = await make_tenant(), await make_tenant()
    return await make_staff(a, "admin"), await make_staff(b, "admin")


# --- browser ------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (`*.localhost` resolves to loopback inside it)."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ar-SA")
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                   has_touch=True, locale="ar-SA")
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(page: Any, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- workers ---------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    process: Process


@pytest.fixture(scope="session")
def celery_worker(sila_env: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """A real Celery worker (prefork, 2 children) with the one embedded beat, as in production."""
    import redis

    name = f"sila-test-{secrets.token_hex(3)}@localhost"
    schedule = tmp_path_factory.mktemp("beat") / "celerybeat-schedule"
    proc = Process(
        [sys.executable, "-m", "celery", "-A", "sila.workers.celery_app", "worker", "--beat", "-s", str(schedule),
         "--pool=prefork", "--concurrency=2", "-n", name, "--loglevel=INFO"],
        sila_env.child(),
        "celery-worker",
    )
    client = redis.Redis.from_url(sila_env.values["SILA_REDIS_URL"])

    def ready() -> bool:
        if not proc.alive():
            raise AssertionError(f"celery worker exited:\n{proc.output()[-3000:]}")
        return bool(client.exists(f"sila:heartbeat:{name}"))

    wait_until(ready, 60, what="the celery worker's heartbeat")
    yield Worker(name, proc)
    proc.stop(30)


# --- operator ---------------------------------------------------------------------------------

OPERATOR_PASSWORD = "Operator-test-Passw0rd"


@dataclass
class OperatorAccount:
    id: uuid.UUID
    email: str
    name: str
    password: str
    secret: str  # the TOTP secret, as the operator's authenticator app holds it

    def code(self, at: float | None = None) -> str:
        import pyotp

        return pyotp.TOTP(self.secret).at(at if at is not None else time.time())


@pytest.fixture
def make_operator(sila_env: Env) -> Callable[..., Any]:
    """An operator with an enrolled authenticator, created through the real service."""

    async def make(name: str = "مشغّل الاختبار") -> OperatorAccount:
        from sila.platform.operator import services

        address = f"op-{secrets.token_hex(4)}@ops.test"
        op_id = await services.create_operator(address, name, OPERATOR_PASSWORD)
        secret = services.new_totp_secret()
        await services.set_totp({"id": op_id, "email": address, "name": name}, secret)
        return OperatorAccount(op_id, address, name, OPERATOR_PASSWORD, secret)

    return make


def operator_login(client: Client, op: OperatorAccount, at: float | None = None) -> httpx.Response:
    """Password, then the current TOTP code, on the platform's host."""
    client.get("/operator/login")
    response = client.post("/operator/login", {"email": op.email, "password": op.password})
    assert response.status_code == 303 and response.headers["location"] == "/operator/login/code", response.text[-800:]
    client.get("/operator/login/code")
    response = client.post("/operator/login/code", {"code": op.code(at)})
    assert response.status_code == 303 and response.headers["location"] == "/operator", response.text[-800:]
    return response


@pytest.fixture
async def operator_client(server: Server, make_operator: Callable[..., Any]) -> Client:
    op = await make_operator()
    client = server.client()
    operator_login(client, op)
    client.operator = op  # type: ignore[attr-defined]
    return client


# --- policy ---------------------------------------------------------------------------------

# The smallest file our upload check accepts as a PDF (it reads the `%PDF-` magic bytes).
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(size: tuple[int, int] = (120, 60), color: str = "#0b6e4f") -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).ellipse((5, 5, size[0] - 5, size[1] - 5), fill=color)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def signup_form(slug: str, **changes: str) -> dict[str, str]:
    return {"kind": "association", "name_ar": "جمعية النور الخيرية", "name_en": "Al Noor Charity", "slug": slug,
            "regulator": "ncnp", "licence_number": "١٢٣٤", "region": "riyadh", "city": "الرياض", **changes}


def sign_up(server: Server, slug: str, email: str | None = None) -> tuple[Client, str]:
    """A new charity through the real sign-up wizard; returns the tenant-host client, signed in."""
    email = email or f"{secrets.token_hex(4)}@charity.test"
    platform = server.client()
    platform.get("/signup/organisation")
    assert platform.post("/signup/organisation", signup_form(slug)).status_code == 303
    platform.get("/signup/account")
    response = platform.post("/signup/account", {"name": "مديرة الجمعية", "email": email, "password": PASSWORD,
                                                "confirm": PASSWORD})
    assert response.status_code == 303, response.text[-3000:]
    tenant = server.client(slug)
    welcome = urlsplit(response.headers["location"])
    assert welcome.hostname == f"{slug}.localhost"
    assert tenant.get(welcome.path).headers["location"] == "/portal/setup"
    return tenant, email


@pytest.fixture
async def policy_admin(server: Server, make_tenant: Callable[..., Any], make_staff: Callable[..., Any]) -> Client:
    """An active tenant's admin, signed in on its host (`.staff` holds the account)."""
    staff = await make_staff(await make_tenant())
    client = server.client(staff.tenant.slug)
    client.login(staff.email)
    client.staff = staff  # type: ignore[attr-defined]
    return client


# --- requests ---------------------------------------------------------------------------------


@pytest.fixture
def publish_policy(sila_env: Env) -> Callable[..., Any]:
    """Publish a seed organisation's policy for `tenant` through the policy services, optionally
    with other steps / channels / window: `await publish_policy(tenant, "mafatih", steps=[...])`."""

    async def publish(tenant: Any, seed: str = "mafatih", *, steps: list[str] | None = None,
                      channels: list[str] | None = None, window: int | None | str = "seed") -> Any:
        from sila.tenants.policy import services
        from sila.tenants.policy.rules import ChannelConfig, StepConfig
        from sila.tenants.policy.seeds import seed_organisations

        org = next(o for o in seed_organisations() if o.slug == seed)
        draft = org.draft
        if steps is not None:
            draft.steps = [StepConfig(code) for code in steps]
        if channels is not None:
            draft.channels = [ChannelConfig(code) for code in channels]
        if window != "seed":
            draft.review_window_days = window  # type: ignore[assignment]
        for section in services.SECTIONS:
            await services.save_section(tenant.id, section, draft)
        await services.save_approval(tenant.id, org.approval)
        return await services.publish(tenant.id, actor_name="test")

    return publish


def valid_id(prefix: str = "1") -> str:
    """A fresh national ID (prefix "1") or iqama ("2") number with a valid check digit."""
    from sila.tenants.beneficiaries.identity import valid_test_id

    return valid_test_id(prefix + "".join(secrets.choice("0123456789") for _ in range(9 - len(prefix))))


async def outbox_rows(tenant_id: Any, kind: str | None = None) -> list[dict[str, Any]]:
    from sila.platform.db import tenant_scope

    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch("select * from outbox order by created_at")
    return [dict(r) for r in rows if kind is None or r["kind"] == kind]


async def audit_rows(tenant_id: Any, action_prefix: str = "") -> list[dict[str, Any]]:
    import json as _json

    from sila.platform.db import tenant_scope

    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            "select * from audit_entry where action like $1 order by created_at", action_prefix + "%")
    return [{**dict(r), "before": _json.loads(r["before"]) if r["before"] else None,
             "after": _json.loads(r["after"]) if r["after"] else None} for r in rows]


# --- notifications ---------------------------------------------------------------------------


class Gateway:
    """A real local HTTP gateway speaking the SMS / WhatsApp providers' request shapes.

    It records every request, and accepts each message once per idempotency key, as a gateway
    that honours `X-Sila-Idempotency-Key` would: a replay gets the first answer back and is
    counted as a replay, never as a second message. It can be told to fail or to hang.
    """

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.accepted: dict[str, dict[str, Any]] = {}  # key -> the request first accepted
        self.replays: dict[str, int] = {}
        self.failures: list[int] = []  # HTTP statuses to answer with, next requests first
        self.hangs: list[float] = []  # seconds to sit on the next requests (accepting them)
        self.fail_all: int | None = None
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                gateway._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handle(self, h: Any) -> None:
        import json as _json
        from urllib.parse import parse_qsl

        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length)
        ctype = h.headers.get("Content-Type", "")
        body: Any = _json.loads(raw) if "json" in ctype else dict(parse_qsl(raw.decode()))
        key = h.headers.get("X-Sila-Idempotency-Key", "")
        record = {"path": h.path, "headers": dict(h.headers), "body": body, "key": key}
        with self.lock:
            self.requests.append(record)
            status = self.failures.pop(0) if self.failures else self.fail_all
            hang = self.hangs.pop(0) if (self.hangs and status is None) else 0.0
            if status is None:
                if key in self.accepted:
                    self.replays[key] = self.replays.get(key, 0) + 1
                else:
                    self.accepted[key] = {**record, "message_id": f"m-{uuid.uuid4().hex[:12]}"}
                message_id = self.accepted[key]["message_id"]
        if hang:
            time.sleep(hang)
        if status is not None:
            payload, code = {"message": "gateway unavailable"}, status
        else:
            payload, code = self._answer(h.path, message_id)
        data = _json.dumps(payload).encode()
        try:
            h.send_response(code)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass  # the client gave up waiting (a timeout): the message was accepted all the same

    @staticmethod
    def _answer(path: str, message_id: str) -> tuple[dict[str, Any], int]:
        if path.startswith("/rest/SMS/messages"):
            return {"success": True, "message": "", "errorCode": "ER-00",
                    "data": {"MessageID": message_id, "Status": "Sent", "NumberOfUnits": 1}}, 200
        if path.startswith("/v1/messages"):
            return {"statusCode": 201, "messageId": message_id, "cost": "1", "currency": "SAR", "totalCount": 1}, 201
        if path.startswith("/gw/sendsms.php"):
            return {"code": "1", "message": "Success"}, 200
        if path.startswith("/2010-04-01/"):
            return {"sid": message_id, "status": "queued"}, 201
        if path.endswith("/messages"):
            return {"messaging_product": "whatsapp", "contacts": [{"wa_id": "966500000000"}],
                    "messages": [{"id": message_id}]}, 200
        return {"message": "no such endpoint"}, 404

    def delivered(self, key: Any) -> int:
        """How many times the message with this key reached the gateway as a new message (0 or 1)."""
        with self.lock:
            return 1 if str(key) in self.accepted else 0

    def seen(self, key: Any) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r["key"] == str(key))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway()
    yield gw
    gw.stop()


def admin_actor() -> Any:
    from sila.tenants.requests.services import Actor

    return Actor(None, "test", frozenset({"admin"}))


async def use_gateway(tenant_id: Any, gateway_url: str, channel: str = "sms", provider: str = "unifonic", *,
                      account: str = "", sender: str = "SILA", secret: str = "app-sid-secret-0001",
                      signing_secret: str = "") -> None:
    """Point a tenant's channel at a local gateway, through the real service (secrets encrypted)."""
    from sila.tenants.notifications.services import GatewayInput, save_provider

    await save_provider(tenant_id, GatewayInput(channel=channel, provider=provider, enabled=True, base_url=gateway_url,
                                                account=account, sender=sender, secret=secret,
                                                signing_secret=signing_secret), admin_actor())


async def no_quiet_hours(tenant_id: Any) -> None:
    """Beneficiary messages may wait for quiet hours; tests that wait for delivery turn them off."""
    from sila.platform.db import tenant_scope

    async with tenant_scope(tenant_id) as tx:
        await tx.connection.execute(
            """insert into notification_settings (tenant, quiet_enabled) values ($1, false)
               on conflict (tenant) do update set quiet_enabled = false""", tenant_id)


async def served_request(tenant: Any, officer: Any, *, mobile: str = "0551234567", channel: str = "sms",
                         language: str = "ar", email: str = "", name: str = "مريم سعد العتيبي",
                         service_type: str = "سلة غذائية", delivered_on: Any = None) -> dict[str, Any]:
    """A request recorded by a relations officer, verified, and a service delivered on it — all
    through issue 4's services. The tenant's policy must have the steps receive, verify, deliver."""
    import datetime as _dt

    from sila.platform.db import tenant_scope
    from sila.tenants.beneficiaries.forms import ApplicantInput
    from sila.tenants.beneficiaries.identity import normalise_mobile
    from sila.tenants.requests import services as rs
    from sila.tenants.requests.terms import terms_in_force

    terms = await terms_in_force(tenant.id)
    actor = rs.Actor(officer.id, "نورة الموظفة", frozenset({"relations_officer"}))
    applicant = ApplicantInput(id_number=valid_id(), name=name, mobile=normalise_mobile(mobile)[0], email=email,
                               preferred_channel=channel, preferred_language=language, city="الرياض", category="family",
                               household_size=4)
    rid = await rs.record_by_staff(tenant, terms, rs.StaffIntake(applicant=applicant, channel=terms.staff_channels()[0],
                                                                 need="سلة غذائية شهرية", consent_text="موافقة"), actor)
    await rs.act(tenant, rid, "verify", actor, {f"check_{k}": "on" for k in rs.CHECKLIST})
    await rs.act(tenant, rid, "record_service", actor, {
        "service_type": service_type, "delivered_on": (delivered_on or _dt.date.today()).isoformat()})
    async with tenant_scope(tenant.id) as tx:
        req = dict(await tx.connection.fetchrow("select * from support_request where id = $1", rid))
        req["delivery"] = dict(await tx.connection.fetchrow(
            "select * from service_delivery where request = $1 order by recorded_at desc limit 1", rid))
    return req


SERVICE_STEPS = ["receive", "verify", "deliver"]
