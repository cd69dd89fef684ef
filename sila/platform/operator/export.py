"""The archive export: every row the tenant owns, as JSON and CSV per table, with its documents,
in one ZIP. Built by a worker (`tasks.build_export`), callable directly (tests, a shell).

`manifest.json` lists each table's row count and each file's SHA-256, so a tenant (or an
auditor) can check the archive is whole. Secrets (password and token hashes) are blanked.
The admins are told by email that it is ready; a signed-in operator downloads it through a
link made for them that works once, for 15 minutes (audited), and hands it over.

An archive holds every beneficiary on file while it was built. When one of them is erased
(`beneficiaries.rights.erase`), every archive that may hold them is withdrawn in the erasure's
transaction (`withdraw_holding`): the row says `withdrawn` (never downloadable again), the file is
deleted once the erasure commits, and the tenant's audit records it. An archive being built at
that moment is marked too and is rebuilt from the erased rows instead of being finished. Copies
already handed over, and the deployment's database backups, are outside the platform: see the
README ("Erasure, archives and backups").
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

from sila.platform import audit, crypto, directory
from sila.platform.auth import new_token, token_hash
from sila.platform.db import after_commit, platform_scope, tenant_scope
from sila.platform.operator.services import _tell_admins, dispatch_export, record
from sila.platform.spreadsheet import escape_cell

log = logging.getLogger(__name__)

SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "download_token_hash", "totp_secret",
                            # Gateway keys stay with the charity's provider account, not in a file that travels.
                            "secret", "signing_secret",
                            # A keyed hash of the ID number: useless outside, and it would let the IDs be guessed.
                            "id_hash"})
# National ID numbers leave the platform masked to their last four digits (the archive is a file
# that gets downloaded, mailed and copied; the charity holds the documents that carry the full number).
MASKED_COLUMNS = {("beneficiary", "id_number")}
# A cell a spreadsheet would run as a formula starts with a quote in the CSV (`spreadsheet.escape_cell`,
# the one escape); the JSON keeps every value as it was.
# The download: only a signed-in operator, with a link made for them that works once, for 15 minutes.
LINK_SECONDS = 900
LINK_KEY = "sila:export:link:"
# A worker that died mid-build leaves `running`; after this long another may take it over
# (longer than the task's time limit, so two workers never build the same export at once).
STALE_RUNNING = dt.timedelta(seconds=900)
CHUNK = 500


def _jsonable(value: Any, pg_type: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return json.loads(value) if pg_type in ("json", "jsonb") and isinstance(value, str) else value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, "") for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v, "") for k, v in value.items()}
    return str(value)  # uuid, datetime (ISO 8601 with offset), Decimal, …


_csv_cell = escape_cell


def mask_id(last4: Any) -> str:
    return "******" + str(last4 or "")[-4:]


def _blob_name(table: str, row: Any, column: str) -> str:
    filename = str(row["filename"]).replace("\\", "/").rsplit("/", 1)[-1] if "filename" in row.keys() else ""
    return f"documents/{table}/{row['id'] if 'id' in row.keys() else uuid.uuid4()}-{filename or column}"


def _decrypt(tid: uuid.UUID, table: str, column: str, row: Any, blob: bytes) -> str:
    return crypto.decrypt_column(tid, table, column, row, bytes(blob))


async def _write_table(zf: zipfile.ZipFile, conn: Any, tid: uuid.UUID, table: str, query: str,
                       *args: Any) -> tuple[int, list]:
    """Stream one table into `tables/<name>.json` and `.csv` without holding it in memory.
    Binary columns (uploaded documents) become files under `documents/`, named in the row.
    Columns encrypted at rest (`<field>_enc`, sila.platform.crypto) are exported as `<field>`:
    masked (national IDs), blank (secrets), otherwise decrypted, since the platform's keys
    mean nothing to the charity once it has left."""
    stmt = await conn.prepare(query)
    columns = [(a.name[:-4] if a.type.name == "bytea" and a.name.endswith("_enc") else a.name, a.type.name, a.name)
               for a in stmt.get_attributes()]
    count, files = 0, []
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as csv_buf, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as json_buf:
        writer = csv.writer(csv_buf)
        writer.writerow([name for name, _, _ in columns])
        json_buf.write("[")
        async for record in stmt.cursor(*args, prefetch=CHUNK):
            row: dict[str, Any] = {}
            for name, pg_type, source in columns:
                value = record[source]
                if name in SECRET_COLUMNS:
                    value = None
                elif (table, name) in MASKED_COLUMNS:
                    value = mask_id(record["id_last4"]) if value is not None else None
                elif name != source and value is not None:
                    value = _decrypt(tid, table, source, record, value)
                elif pg_type == "bytea" and value is not None:
                    path = _blob_name(table, record, name)
                    zf.writestr(path, bytes(value))
                    files.append({"path": path, "bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()})
                    value = path
                row[name] = _jsonable(value, pg_type if name == source else "")
            json_buf.write(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
            writer.writerow([_csv_cell(row[name]) for name, _, _ in columns])
            count += 1
        json_buf.write("\n]\n")
        for buf, name, prefix in ((json_buf, "json", b""), (csv_buf, "csv", "\ufeff".encode())):
            buf.seek(0)
            with zf.open(f"tables/{table}.{name}", "w") as raw:
                raw.write(prefix)  # a BOM on the CSV, so spreadsheet programs read the Arabic as UTF-8
                while chunk := buf.read(1 << 16):
                    raw.write(chunk.encode("utf-8"))
    return count, files


async def _progress(export_id: uuid.UUID, **values: Any) -> None:
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(values, start=2))
    async with platform_scope("export progress") as tx:
        await tx.connection.execute(f"update tenant_export set {sets} where id = $1", export_id, *values.values())


async def _claim(export_id: uuid.UUID) -> dict[str, Any] | None:
    async with platform_scope("export claim") as tx:
        row = await tx.connection.fetchrow(
            """update tenant_export set status = 'running', started_at = now(), tables_done = 0, error = '',
                      withdrawn_at = null
               where id = $1 and (status in ('queued', 'failed')
                                  or (status = 'running' and started_at < now() - $2::interval))
               returning id, tenant""", export_id, STALE_RUNNING)
    return dict(row) if row else None


async def build_export(export_id: Any) -> Path | None:
    """Build the ZIP for a queued export. Idempotent: a done export, or one another worker is
    building, is left alone; a gone tenant or export is not an error."""
    export_id = uuid.UUID(str(export_id))
    claimed = await _claim(export_id)
    if claimed is None:
        return None
    tid = claimed["tenant"]
    target_dir = directory.tenant_exports_dir(tid)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{export_id}.zip"
    partial = target.with_suffix(".partial")
    try:
        async with tenant_scope(tid) as tx:
            tables = await directory.tenant_owned_tables(tx.connection)
            tenant = dict(await tx.connection.fetchrow("select * from tenant where id = $1", tid))
        await _progress(export_id, tables_total=len(tables) + 1)
        counts: dict[str, int] = {}
        files: list[dict[str, Any]] = []
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            # One transaction per table keeps each short; an archived tenant no longer changes.
            for done, table in enumerate(tables, start=1):
                async with tenant_scope(tid) as tx:
                    # The explicit filter matters for the few tenant tables without RLS (tenant_domain).
                    counts[table], found = await _write_table(
                        zf, tx.connection, tid, table, f'select * from "{table}" where tenant = $1 order by 1', tid)
                    files += found
                await _progress(export_id, tables_done=done, rows_total=sum(counts.values()))
            async with tenant_scope(tid) as tx:
                # Staff accounts are platform-wide; export those of this tenant's people.
                counts["staff_user"], _ = await _write_table(
                    zf, tx.connection, tid, "staff_user",
                    'select * from staff_user where id in (select "user" from membership) order by 1')
            zf.writestr("manifest.json", json.dumps({
                "format": "sila-tenant-export/1",
                "tenant": {k: _jsonable(v, "") for k, v in tenant.items()},
                "generated_at": dt.datetime.now(dt.UTC).isoformat(),
                "tables": counts,
                "documents": files,
            }, ensure_ascii=False, indent=2))
        digest = hashlib.sha256()
        with partial.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        os.replace(partial, target)
        if not await _finish(export_id, tid, tenant, counts, len(files), target.stat().st_size, digest.hexdigest()):
            return None  # a person was erased while it was built: rebuilt from the erased rows
        return target
    except Exception as exc:
        partial.unlink(missing_ok=True)
        log.exception("export %s failed", export_id)
        await _progress(export_id, status="failed", error=f"{type(exc).__name__}: {exc}"[:500],
                        finished_at=dt.datetime.now(dt.UTC))
        raise


async def _finish(export_id: uuid.UUID, tid: uuid.UUID, tenant: dict[str, Any], counts: dict[str, int],
                  files: int, size: int, sha: str) -> bool:
    """Mark it done and tell the admins it is ready (with its SHA-256), in one transaction. The
    file itself is handed over by a signed-in operator (`create_link`), never by a mailed link.

    False when an erasure marked it while it was built (`withdrawn_at`): the file may hold the
    person, so it is deleted and the export queued again. The row lock orders the two: an erasure
    that comes after this commit finds the export done and withdraws it."""
    # Here, not at the top: operator.services -> tasks -> export: a cycle.

    async with tenant_scope(tid) as tx:
        done = await tx.connection.fetchval(
            """update tenant_export set status = 'done', finished_at = now(), rows_total = $2, files_total = $3,
                      size_bytes = $4, sha256 = $5, download_token_hash = null, link_expires_at = null,
                      tables_done = tables_total
               where id = $1 and withdrawn_at is null returning id""", export_id, sum(counts.values()), files, size, sha)
        if done is None:
            await tx.connection.execute(
                "update tenant_export set status = 'queued', withdrawn_at = null, tables_done = 0 where id = $1",
                export_id)
            (directory.tenant_exports_dir(tid) / f"{export_id}.zip").unlink(missing_ok=True)
            after_commit(lambda: dispatch_export(export_id))
            return False
        await _tell_admins(tx.connection, tenant, "platform.export_ready", sha256=sha)
    return True


async def withdraw_holding(conn: Any, tid: Any, on_file_since: dt.datetime) -> list[uuid.UUID]:
    """Inside an erasure's transaction (tenant scope): withdraw every archive that may hold a
    person on file since `on_file_since` (built, or being built, after that), audited; their
    files are deleted once the erasure commits. Returns the withdrawn (built) exports."""
    rows = await conn.fetch(
        """update tenant_export set withdrawn_at = now(), download_token_hash = null, link_expires_at = null,
                  status = case when status = 'done' then 'withdrawn' else status end
           where status in ('done', 'running') and coalesce(finished_at, now()) >= $1
           returning id, status""", on_file_since)
    withdrawn = [r["id"] for r in rows if r["status"] == "withdrawn"]
    for export_id in withdrawn:
        await audit.record(tid, "archive.withdrawn", actor_label="—", target_type="tenant_export",
                           target_id=export_id, after={"reason": "beneficiary.erased"})
    folder = directory.tenant_exports_dir(tid)

    def delete_files() -> None:
        for export_id in withdrawn:
            (folder / f"{export_id}.zip").unlink(missing_ok=True)

    if withdrawn:
        after_commit(delete_files)
    return withdrawn


async def create_link(redis: Any, operator: dict[str, Any], tenant_id: uuid.UUID, export_id: uuid.UUID) -> str | None:
    """A download token for this operator and this built export: it works once, within
    LINK_SECONDS, and only in this operator's signed-in session. None when there is no such file."""
    async with platform_scope("export link") as tx:
        found = await tx.connection.fetchval(
            "select 1 from tenant_export where id = $1 and tenant = $2 and status = 'done'", export_id, tenant_id)
    if not found or not (directory.tenant_exports_dir(tenant_id) / f"{export_id}.zip").exists():
        return None
    token, digest = new_token()
    await redis.set(LINK_KEY + digest, json.dumps({"op": str(operator["id"]), "export": str(export_id)}),
                    ex=LINK_SECONDS)
    return token


async def take_download(redis: Any, operator: dict[str, Any], token: str, address: str) -> tuple[Path, str] | None:
    """The ZIP a download token points at, once, for the operator it was made for; the download is
    written to the operator audit and the tenant's own. None when unknown, used, expired or not theirs."""
    # Here, not at the top: operator.services -> tasks -> export: a cycle.

    raw = await redis.getdel(LINK_KEY + token_hash(token))
    data = json.loads(raw) if raw else None
    if not data or data["op"] != str(operator["id"]):
        return None
    export_id = uuid.UUID(data["export"])
    async with platform_scope("export download") as tx:
        row = await tx.connection.fetchrow(
            """select e.id, e.tenant, e.sha256, t.slug from tenant_export e join tenant t on t.id = e.tenant
               where e.id = $1 and e.status = 'done'""", export_id)
    if row is None:
        return None
    path = directory.tenant_exports_dir(row["tenant"]) / f"{row['id']}.zip"
    if not path.exists():
        return None
    async with tenant_scope(row["tenant"]) as tx:
        tenant = dict(await tx.connection.fetchrow("select * from tenant where id = $1", row["tenant"]))
        await record(operator, "tenant.export_downloaded", tenant=tenant, address=address,
                     detail={"export": str(export_id), "sha256": row["sha256"]})
    return path, f"sila-{row['slug']}-{row['id'].hex[:8]}.zip"
