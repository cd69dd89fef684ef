"""A real SMTP peer and reading the emails it received."""
from __future__ import annotations

import contextlib
import email
import email.policy
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from support.servers import free_port, wait_until


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


def body_of(msg: email.message.EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def link_in(msg: email.message.EmailMessage) -> str:
    found = re.search(r"https?://\S+", body_of(msg))
    assert found, "no link in the email"
    return found.group(0)


@contextlib.contextmanager
def running_smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP peer on a free local port, keeping every message it is sent."""
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
    try:
        yield sink
    finally:
        controller.stop()
