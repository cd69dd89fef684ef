"""A real local SMS / WhatsApp gateway, and pointing a tenant's channels at it."""
from __future__ import annotations

import threading
import time
import uuid
from typing import Any


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
