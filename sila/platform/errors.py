"""The one "not found" of the domain.

Services raise `NotFound` when an id names nothing the current tenant can see: an id that does
not exist, a malformed one and another tenant's look the same (forced RLS hides the row, so the
code could not tell them apart even if it wanted to). `web.EXCEPTION_HANDLERS` maps it to the
404 page, so routes never translate it by hand.

It is a plain exception, not Litestar's `NotFoundException`: services also run in Celery
workers and service-level tests, where an HTTP exception means nothing; the web layer alone
knows that it becomes a 404.
"""
from __future__ import annotations


class NotFound(Exception):
    """Nothing of that id in the current scope (unknown, malformed, or another tenant's)."""


__all__ = ["NotFound"]
