"""The tenant's audit trail: who did what, when, before and after. Written in the caller's scope."""
from __future__ import annotations

import json
import uuid
from typing import Any

from sila.platform.db import current_connection


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str, ensure_ascii=False)


async def record(
    tenant_id: Any,
    action: str,
    *,
    actor_user: Any = None,
    actor_label: str = "",
    target_type: str = "",
    target_id: Any = "",
    before: Any = None,
    after: Any = None,
    address: str = "",
) -> None:
    await current_connection().execute(
        """
        insert into audit_entry (tenant, actor_user, actor_label, action, target_type, target_id, before, after, address)
        values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)
        """,
        uuid.UUID(str(tenant_id)),
        uuid.UUID(str(actor_user)) if actor_user else None,
        actor_label,
        action,
        target_type,
        str(target_id),
        _json(before),
        _json(after),
        address,
    )


def actor_fields(user: Any) -> dict[str, Any]:
    """`actor_user` / `actor_label` for the signed-in user: platform support (an operator, not a
    staff user) is named by label only, since `actor_user` points at staff users."""
    if user is None:
        return {"actor_user": None, "actor_label": ""}
    label = user.name or user.email
    if getattr(user, "support_grant", None):
        return {"actor_user": None, "actor_label": f"{label} (support)"}
    return {"actor_user": user.id, "actor_label": label}
