"""The applicant's notifications, written to the outbox in the transition's transaction.

The wording is the tenant's (notifications area templates, our defaults otherwise), in the
applicant's language, through the contact channel they chose, with fallback.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sila.platform.dates import dual_date
from sila.tenants.notifications.services import notify_request


def due_text(due_at: dt.datetime | None, lang: str) -> str:
    if due_at is None:
        return ""
    return dual_date(due_at, lang)


async def notify_in_scope(tenant: Any, req: dict[str, Any], kind: str, *, channel: str | None = None,
                          **variables: Any) -> None:
    """One message for the applicant of `req`, in the tenant's wording, through their channel with
    fallback (the notifications area). Call inside the transition's tenant scope."""
    await notify_request(tenant, req, kind, channel=channel, **variables)
