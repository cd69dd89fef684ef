"""Typed records of the beneficiaries area read for its pages: imports (sila.tenants.beneficiaries.imports)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

from sila.platform import i18n, spreadsheet
from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.errors import NotFound


@dataclasses.dataclass(frozen=True)
class ImportRecord:
    """An import as its pages show it (no file content)."""

    id: uuid.UUID
    file_name: str
    file_format: str
    encoding: str
    size_bytes: int
    headers: list[str]
    mapping: dict[str, int]
    status: str
    rows_estimate: int
    rows_done: int
    imported: int
    existing: int
    rejected: int
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    kind: str = "beneficiaries"  # or "past_requests" (imports.KINDS)
    files_created: int = 0

    @property
    def busy(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def progress(self) -> int:
        if self.status == "done":
            return 100
        if not self.rows_estimate:
            return 0
        return min(99, self.rows_done * 100 // self.rows_estimate)

    @property
    def encoding_label(self) -> str:
        label = spreadsheet.ENCODING_LABELS.get(self.encoding)
        return i18n.gettext(label) if label else ""


COLUMNS = ("id, file_name, file_format, encoding, size_bytes, headers, mapping, status, rows_estimate, rows_done, "
           "imported, existing, rejected, error, created_at, finished_at, kind, files_created")


def _record(row: Any) -> ImportRecord:
    d = dict(row)
    for k in ("headers", "mapping"):
        if isinstance(d[k], str):
            d[k] = json.loads(d[k])
    return ImportRecord(**d)



async def imports(tenant_id: Any, limit: int = 20) -> list[ImportRecord]:
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            f"select {COLUMNS} from beneficiary_import order by created_at desc limit $1", limit)
    return [_record(r) for r in rows]


async def get_import_in_tenant(tenant_id: Any, import_id: Any) -> ImportRecord:
    iid = parse_uuid(import_id)
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(f"select {COLUMNS} from beneficiary_import where id = $1", iid) \
            if iid else None
    if row is None:
        raise NotFound(import_id)
    return _record(row)
