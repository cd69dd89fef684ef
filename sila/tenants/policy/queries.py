"""The policy area's data access, in the caller's open tenant scope: Piccolo's query builder where it
says the query plainly (documents, the profile and versions are read with it in services.py), raw SQL
here where it is the better tool (`on conflict`, `for update`, `returning`, array and JSON operators),
reads returned as typed records. None of these opens a scope."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

from sila.platform.db import current_connection, json_value


@dataclasses.dataclass(frozen=True)
class DraftRow:
    """The tenant's one draft as stored: its content and the approval recorded for it (JSON)."""

    id: uuid.UUID
    tenant: uuid.UUID
    content: dict[str, Any]
    approval: dict[str, Any] | None
    minutes_document: uuid.UUID | None
    updated_by: uuid.UUID | None
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class VersionRow:
    """A published version as stored (policy_version; a trigger refuses to change it)."""

    id: uuid.UUID
    tenant: uuid.UUID
    number: int
    content: dict[str, Any]
    approval: dict[str, Any] | None
    approved_on: dt.date | None
    minutes_document: uuid.UUID | None
    published_by: uuid.UUID | None
    published_by_name: str
    published_at: dt.datetime

    @classmethod
    def of(cls, row: Any) -> VersionRow:
        """From a row (asyncpg's or Piccolo's); the JSON columns decoded."""
        d = {f.name: row[f.name] for f in dataclasses.fields(cls)}
        return cls(**{**d, "content": json_value(d["content"]), "approval": json_value(d["approval"])})


async def lock_draft(tenant_id: uuid.UUID, default_content: dict[str, Any]) -> DraftRow:
    """The draft, locked for this transaction; created with `default_content` the first time."""
    conn = current_connection()
    await conn.execute(
        "insert into policy_draft (tenant, content) values ($1, $2::jsonb) on conflict (tenant) do nothing",
        tenant_id, json.dumps(default_content, ensure_ascii=False))
    row = await conn.fetchrow("select * from policy_draft where tenant = $1 for update", tenant_id)
    return DraftRow(**{**dict(row), "content": json_value(row["content"]), "approval": json_value(row["approval"])})


async def set_draft_content(tenant_id: uuid.UUID, content: dict[str, Any], actor: Any) -> None:
    await current_connection().execute(
        "update policy_draft set content = $2::jsonb, updated_by = $3, updated_at = now() where tenant = $1",
        tenant_id, json.dumps(content, ensure_ascii=False), actor)


async def set_draft_approval(tenant_id: uuid.UUID, approval: dict[str, Any], minutes_document: Any,
                             actor: Any) -> None:
    await current_connection().execute(
        """update policy_draft set approval = $2::jsonb, minutes_document = $3, updated_by = $4,
           updated_at = now() where tenant = $1""",
        tenant_id, json.dumps(approval, ensure_ascii=False), minutes_document, actor)


async def clear_draft_approval(tenant_id: uuid.UUID) -> None:
    """A published approval is used up: the next version needs the board again."""
    await current_connection().execute(
        "update policy_draft set approval = null, minutes_document = null, updated_at = now() where tenant = $1",
        tenant_id)


async def next_version_number(tenant_id: uuid.UUID) -> int:
    return await current_connection().fetchval(
        "select coalesce(max(number), 0) + 1 from policy_version where tenant = $1", tenant_id)


async def insert_version(tenant_id: uuid.UUID, number: int, content: dict[str, Any],
                         approval: dict[str, Any] | None, approved_on: dt.date | None, minutes_document: Any,
                         published_by: Any, published_by_name: str) -> VersionRow:
    row = await current_connection().fetchrow(
        """insert into policy_version (tenant, number, content, approval, approved_on, minutes_document,
               published_by, published_by_name)
           values ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8) returning *""",
        tenant_id, number, json.dumps(content, ensure_ascii=False),
        json.dumps(approval, ensure_ascii=False) if approval else None, approved_on, minutes_document,
        published_by, published_by_name)
    return VersionRow.of(row)


async def form_questions_by_version() -> dict[int, list[dict[str, Any]]]:
    """Each published version's support-request questions as stored (custom_fields dicts), by number."""
    rows = await current_connection().fetch(
        "select number, content->'custom_fields' as questions from policy_version order by number")
    return {r["number"]: json_value(r["questions"]) or [] for r in rows}


async def mark_setup_done(tenant_id: uuid.UUID, step: str) -> None:
    """Remember that an onboarding step is complete (idempotent)."""
    await current_connection().execute(
        """update tenant_profile set setup_done = array_append(setup_done, $2)
           where tenant = $1 and not ($2 = any(setup_done))""", tenant_id, step)
