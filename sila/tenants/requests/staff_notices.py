"""Telling staff what was given to them: a request (or several at once) assigned, a request
referred to a researcher. An email through the outbox, in the reader's language, written in the
same transaction as the assignment; the portal's home counts the same work ("assigned to me",
"referred to me"), and a request the applicant completed from the tracking page. Nobody is told of
what they did themselves."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sila.platform.db import current_connection, parse_uuid
from sila.platform.messages import compose
from sila.platform.settings import get_settings
from sila.workers.outbox import enqueue


async def tell_in_scope(tenant: Any, user_id: Any, kind: str, requests: Sequence[dict[str, Any]], *,
                        by: Any = None, by_name: str = "") -> bool:
    """`kind` is "staff.assigned", "staff.referred" or "staff.completed"; `requests` their rows
    (reference, id)."""
    uid = parse_uuid(user_id)
    if uid is None or not requests or uid == parse_uuid(by):
        return False
    person = await current_connection().fetchrow(
        """select u.email, coalesce(nullif(u.preferred_language, ''), 'ar') as lang from staff_user u
           where u.id = $1 and u.is_active and exists (select 1 from membership m where m."user" = u.id)""", uid)
    if person is None:
        return False
    url = get_settings().tenant_url
    items = [{"reference": r["reference"], "link": url(tenant.slug, f"/portal/requests/{r['id']}")} for r in requests]
    queue = url(tenant.slug, "/portal/requests?researcher=me" if kind == "staff.referred" else "/portal/requests?assignee=me")
    subject, text, html = compose(kind, person["lang"], {"items": items, "count": len(items), "by": by_name,
                                                        "queue": queue, "tenant": tenant})
    await enqueue(tenant_id=tenant.id, channel="email", kind=kind, recipient=person["email"], subject=subject,
                  body_text=text, body_html=html)
    return True


async def officers_in_scope() -> list[Any]:
    """The tenant's active relations officers: who hears of a request nobody holds yet."""
    rows = await current_connection().fetch(
        """select u.id from membership m join staff_user u on u.id = m."user"
           where m.role = 'relations_officer' and u.is_active order by u.id""")
    return [r["id"] for r in rows]
