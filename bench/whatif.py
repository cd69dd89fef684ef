"""What-if worker for the pipeline benchmark (not a fix: app code is untouched).

The profile of `sila.outbox.deliver` shows ~60% of a delivery in `ssl.create_default_context`:
`HttpGateway.post` opens a new `httpx.AsyncClient` per message, and each one loads the CA
bundle, even for an http:// gateway. This worker is Sila's Celery app with one change made from
outside: every `httpx.AsyncClient` gets the same SSL context, made once per process. The bench
runs the pipeline through it too, to size what sharing a client/context would buy.

    celery -A bench.whatif worker ...
"""
from __future__ import annotations

import ssl
from typing import Any

import httpx

from sila.workers.celery_app import app

_context = ssl.create_default_context()
_init = httpx.AsyncClient.__init__


def _shared_context_init(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> None:
    kwargs.setdefault("verify", _context)
    _init(self, *args, **kwargs)


httpx.AsyncClient.__init__ = _shared_context_init  # type: ignore[method-assign]

__all__ = ["app"]
