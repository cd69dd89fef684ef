"""Counters in Redis for every limit (sign-in failures, tracking codes, public forms).

INCR and EXPIRE run in one script: two app processes share one count, and a crash between
the two commands cannot leave a counter that never expires.
"""
from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from redis.exceptions import RedisError
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

_INCR = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


async def hit(redis: Any, key: str, window_seconds: int) -> int:
    """Count one event in a window that starts with the first; returns the count so far."""
    return int(await redis.eval(_INCR, 1, key, int(window_seconds)))


def client_address(connection: Any) -> str:
    client = connection.scope.get("client")
    return client[0] if client else "unknown"


FORM_WINDOW_SECONDS = 600


def public_form_limit(name: str) -> Any:
    """A guard for a public form's POSTs: at most `SILA_PUBLIC_FORM_LIMIT` submissions per client
    address per site in ten minutes, then 429. Generous for a person, tight for a script."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return
        site = connection.scope.get("state", {}).get("site")
        where = str(site.tenant.id) if site is not None and site.tenant is not None else "platform"
        state = connection.app.state
        key = f"sila:form:{name}:{where}:{client_address(connection)}"
        try:
            count = await hit(state.redis, key, FORM_WINDOW_SECONDS)
        except RedisError:
            return  # Redis down: an applicant's submission matters more than the limit
        if count > state.settings.public_form_limit:
            raise TooManyRequestsException()

    return guard
