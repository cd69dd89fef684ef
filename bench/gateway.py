"""A local HTTP SMS gateway (Unifonic's request shape) that counts messages by idempotency key.

Run as its own process: `python -m bench.gateway PORT`. A message is *delivered* the first
time its `X-Sila-Idempotency-Key` arrives; a later request with the same key is a *replay*
(a duplicate on the wire that a real gateway honouring the key would drop). The bench reads:

  GET  /_stats   {"accepted", "replays", "requests", "first", "last"}  (times: time.time())
  GET  /_keys    {key: requests seen}
  GET  /_times   [acceptance time of each message, in order]
  POST /_reset
"""
from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

lock = threading.Lock()
seen: dict[str, int] = {}
times: list[float] = []
requests = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, payload: Any, code: int = 200) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        with lock:
            if self.path == "/_stats":
                replays = sum(n - 1 for n in seen.values())
                payload: Any = {"accepted": len(seen), "replays": replays, "requests": requests,
                                "first": times[0] if times else None, "last": times[-1] if times else None}
            elif self.path == "/_keys":
                payload = dict(seen)
            elif self.path == "/_times":
                payload = list(times)
            else:
                payload = {"ok": True}
        self._send(payload)

    def do_POST(self) -> None:  # noqa: N802
        global requests
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == "/_reset":
            with lock:
                seen.clear()
                times.clear()
                requests = 0
            return self._send({"ok": True})
        key = self.headers.get("X-Sila-Idempotency-Key", "")
        with lock:
            requests += 1
            if key not in seen:
                times.append(time.time())
            seen[key] = seen.get(key, 0) + 1
        self._send({"success": True, "message": "", "errorCode": "ER-00",
                    "data": {"MessageID": f"m-{uuid.uuid4().hex[:12]}", "Status": "Sent", "NumberOfUnits": 1}})


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    server.serve_forever()


if __name__ == "__main__":
    main()
