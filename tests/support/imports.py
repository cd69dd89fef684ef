"""Bulk imports as the admin runs them, at the service level: files built in memory, ID numbers
with a good or a wrong check digit, and a whole run (upload, start, the worker's run) waited for."""
from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import openpyxl

from sila.platform.identity import valid_test_id
from sila.tenants.beneficiaries import imports, queries


def ids(n: int, start: int = 10_000_000) -> list[str]:
    return [valid_test_id(f"1{start + i:08d}") for i in range(n)]


def bad_id(good: str) -> str:
    """The same number with a wrong check digit."""
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def csv_file(headers: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(headers)
    w.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_file(headers: list[str], rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


class Admin:
    def __init__(self, staff: Any) -> None:
        self.id, self.name, self.email, self.support_grant = staff.id, "مديرة", staff.email, None


async def imported(tenant: Any, content: bytes, admin: Any, name: str = "مستفيدون.csv",
                   mapping: dict[str, int] | None = None, kind: str = "beneficiaries") -> queries.ImportRecord:
    iid = await imports.upload(tenant.id, name, content, actor=admin, address="203.0.113.5", kind=kind)
    record = await queries.get_import_in_tenant(tenant.id, iid)
    await imports.start(tenant.id, iid, mapping if mapping is not None else record.mapping, actor=admin,
                        address="203.0.113.5")
    await imports.run(iid, tenant.id)
    # In a full run the session's Celery worker may have taken the task first (run() then returns
    # at once): wait for that worker to finish it.
    for _ in range(600):
        record = await queries.get_import_in_tenant(tenant.id, iid)
        if record.status not in ("queued", "running"):
            return record
        await asyncio.sleep(0.1)
    raise AssertionError(f"the import did not finish: {record}")
