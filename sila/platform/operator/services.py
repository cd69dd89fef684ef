"""Platform operators: accounts with a TOTP second factor, the tenant lifecycle, the operator
audit, usage and health.

What operators may see: the tenant directory (no row-level security: it is the platform's
own), the operator audit, and aggregates. Aggregates over RLS-protected tables are counted
inside `tenant_scope(tenant)`, one tenant at a time, by the functions in this module that
return numbers only. We chose that over SECURITY DEFINER functions: a definer function runs
as the owner, and forced row-level security binds the owner too unless it is a superuser, so
such a function would either see nothing in production or quietly depend on a superuser
owner; tenant_scope keeps the one RLS rule in force and needs no new privileged objects.
Tables whose migration granted `platform_access` (outbox, delivery attempts, support grants,
exports) are counted across tenants in `platform_scope`; their personal columns (recipients,
bodies) are never selected here.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import shutil
import time
import uuid
from typing import Any

import pyotp
from cryptography.fernet import Fernet, InvalidToken

from sila.platform import audit, directory
from sila.platform.auth import MIN_PASSWORD_LENGTH, hash_password, verify_password
from sila.platform.broker import queue_keys
from sila.platform.dates import parse_digits
from sila.platform.db import after_commit, current_connection, platform_scope, tenant_scope
from sila.platform.i18n import N_
from sila.platform.messages import compose
from sila.platform.settings import get_settings
from sila.platform.tables import Operator
from sila.platform.tenancy import clear_cache
from sila.workers.outbox import enqueue

log = logging.getLogger(__name__)

OPERATOR_MIN_PASSWORD = max(MIN_PASSWORD_LENGTH, 12)
TOTP_ISSUER = "Sila"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- accounts -------------------------------------------------------------------------------


def password_problem(password: str) -> str | None:
    # Length over composition rules (NIST SP 800-63B); only the obviously weak are refused.
    if len(password) < OPERATOR_MIN_PASSWORD:
        return f"operator passwords need at least {OPERATOR_MIN_PASSWORD} characters"
    if len(set(password)) < 6 or password.isdigit():
        return "operator passwords need more varied characters"
    return None


async def create_operator(email: str, name: str, password: str, *, reset_totp: bool = False) -> uuid.UUID:
    """Create an operator (who enrols an authenticator at first sign-in), or set an existing
    one's name and password. `reset_totp` also forgets the authenticator: that is how a lost
    device is recovered, by someone with access to the server."""
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    email = email.strip().lower()
    existing = await Operator.select(Operator.id).where(Operator.email == email).first()
    async with platform_scope("create operator"):
        if existing:
            values: dict[Any, Any] = {Operator.password_hash: hash_password(password), Operator.name: name}
            if reset_totp:
                values[Operator.totp_secret] = None
            await Operator.update(values).where(Operator.id == existing["id"])
            op_id = existing["id"]
        else:
            rows = await Operator.insert(
                Operator(email=email, name=name, password_hash=hash_password(password))
            ).returning(Operator.id)
            op_id = rows[0]["id"]
        await record({"id": op_id, "email": email, "name": name},
                     "operator.created" if not existing else "operator.reset" if reset_totp else "operator.updated",
                     address="cli")
    return op_id


async def authenticate(email: str, password: str) -> dict[str, Any] | None:
    row = await Operator.select().where(Operator.email == email.strip().lower()).first()
    if verify_password(row["password_hash"] if row else None, password) and row and row["is_active"]:
        return row
    return None


async def get_operator(operator_id: Any) -> dict[str, Any] | None:
    return await Operator.select().where(Operator.id == uuid.UUID(str(operator_id)), Operator.is_active.eq(True)).first()


def _fernet() -> Fernet:
    # The TOTP secret is stored encrypted: a database dump alone does not give the second factor.
    key = hashlib.sha256(b"sila-totp\0" + get_settings().secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_secret(secret: str) -> str:
    return "f1:" + _fernet().encrypt(secret.encode()).decode()


def open_secret(stored: str | None) -> str | None:
    if not stored:
        return None
    try:
        return _fernet().decrypt(stored[3:].encode()).decode() if stored.startswith("f1:") else stored
    except InvalidToken:
        log.error("an operator's TOTP secret cannot be decrypted (was SILA_SECRET_KEY changed?)")
        return None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def normalise_code(code: str) -> str:
    return "".join(ch for ch in parse_digits(code or "") if ch.isdigit())


async def verify_totp(redis: Any, operator_id: Any, secret: str | None, code: str) -> bool:
    """A current code (one step of clock drift either way), usable once: a code seen over a
    shoulder or replayed from a captured request does not open a second session."""
    code = normalise_code(code)
    if not secret or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    step_now = int(time.time()) // totp.interval
    for step in (step_now, step_now - 1, step_now + 1):
        if hmac.compare_digest(totp.at(step * totp.interval), code):
            return bool(await redis.set(f"sila:totp:used:{operator_id}:{step}", "1", nx=True, ex=totp.interval * 4))
    return False


async def set_totp(operator: dict[str, Any], secret: str, address: str = "") -> None:
    async with platform_scope("operator enrols TOTP"):
        await Operator.update({Operator.totp_secret: seal_secret(secret)}).where(Operator.id == operator["id"])
        await record(operator, "operator.totp_enrolled", address=address)


async def signed_in(operator: dict[str, Any], address: str) -> None:
    async with platform_scope("operator signs in"):
        await Operator.update({Operator.last_login_at: _now()}).where(Operator.id == operator["id"])
        await record(operator, "operator.signed_in", address=address)


# --- the operator audit ------------------------------------------------------------------------


async def record(
    operator: dict[str, Any] | None,
    action: str,
    *,
    tenant: dict[str, Any] | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    address: str = "",
    mirror: bool = True,
) -> None:
    """Write to the operator audit in the current scope. With `tenant` (and `mirror`), the scope
    must be that tenant's: the same entry goes into the tenant's own audit, which its admin reads."""
    conn = current_connection()
    label = f"{operator['name'] or operator['email']} <{operator['email']}>" if operator else ""
    await conn.execute(
        """insert into operator_audit (operator, operator_label, action, subject_tenant, subject_label, reason,
                                       detail, address)
           values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)""",
        operator["id"] if operator else None, label, action, tenant["id"] if tenant else None,
        tenant["slug"] if tenant else "", reason, json.dumps(detail, default=str) if detail else None, address,
    )
    if tenant is not None and mirror:
        await audit.record(tenant["id"], action, actor_label=label, target_type="tenant", target_id=tenant["id"],
                           after={"reason": reason, **(detail or {})}, address=address)


async def audit_log(*, tenant_id: Any = None, action: str = "", limit: int = 200) -> list[dict[str, Any]]:
    where, args = ["true"], []
    if tenant_id:
        args.append(uuid.UUID(str(tenant_id)))
        where.append(f"subject_tenant = ${len(args)}")
    if action:
        args.append(action + "%")
        where.append(f"action like ${len(args)}")
    async with platform_scope("operator audit log") as tx:
        rows = await tx.connection.fetch(
            f"select * from operator_audit where {' and '.join(where)} order by created_at desc limit {int(limit)}",
            *args)
    return [dict(r) for r in rows]


# --- the tenant directory -----------------------------------------------------------------------

# Riyadh's calendar month: a quota resets at local midnight on the 1st, not UTC's.
SQL_MONTH_START = "(date_trunc('month', now() at time zone 'Asia/Riyadh') at time zone 'Asia/Riyadh')"
# What counts against the quota: the counter `deliver` keeps (sila.workers.policy.SQL_COUNT_SENT).
SQL_THIS_MONTH = "date_trunc('month', now() at time zone 'Asia/Riyadh')::date"
SQL_SENT_THIS_MONTH = f"""coalesce((select u.sent from message_usage u
                                    where u.tenant = t.id and u.month = {SQL_THIS_MONTH}), 0)"""
# Regulator and region come from the tenant's profile (filled in during onboarding, readable
# by the platform); before that, the regulator follows from the kind.
SQL_PROFILE_COLUMNS = """coalesce(p.regulator, case t.kind when 'waqf' then 'awqaf' else 'ncnp' end) as regulator,
    coalesce(p.region, '') as region, coalesce(p.city, '') as city, coalesce(p.licence_number, '') as licence_number"""
FILTERS = ("q", "status", "kind", "regulator", "region", "created_from", "created_to")


async def search_tenants(filters: dict[str, str], limit: int = 200) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The directory with this month's message count and whether a support grant is live."""
    where, args = ["true"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if q := filters.get("q"):
        where.append(f"(t.slug ilike {arg('%' + q + '%')} or t.name_ar ilike ${len(args)} or t.name_en ilike ${len(args)})")
    for column in ("status", "kind", "regulator", "region"):
        if value := filters.get(column):
            where.append(f"{column} = {arg(value)}")
    if value := filters.get("created_from"):
        where.append(f"t.created_at >= ({arg(dt.date.fromisoformat(value))}::date at time zone 'Asia/Riyadh')")
    if value := filters.get("created_to"):
        where.append(f"t.created_at < (({arg(dt.date.fromisoformat(value))}::date + 1) at time zone 'Asia/Riyadh')")
    async with platform_scope("operator tenant list") as tx:
        rows = await tx.connection.fetch(
            f"""select * from (select t.*, {SQL_PROFILE_COLUMNS},
                  {SQL_SENT_THIS_MONTH} as messages,
                  exists (select 1 from support_grant g where g.tenant = t.id and g.revoked_at is null
                          and g.expires_at > now()) as grant_live
                from tenant t left join tenant_profile p on p.tenant = t.id) t
                where {' and '.join(where)} order by t.created_at desc limit {int(limit)}""",
            *args)
        counts = dict(await tx.connection.fetch("select status, count(*) from tenant group by status"))
    return [dict(r) for r in rows], counts


async def get_tenant_row(tenant_id: Any) -> dict[str, Any] | None:
    async with platform_scope("operator reads a tenant") as tx:
        row = await tx.connection.fetchrow(
            f"select t.*, {SQL_PROFILE_COLUMNS} from tenant t left join tenant_profile p on p.tenant = t.id"
            " where t.id = $1", uuid.UUID(str(tenant_id)))
    return dict(row) if row else None


async def tenant_activity(tenant_id: Any) -> dict[str, Any]:
    """Counts and sizes only: this is the one place the console opens a tenant's scope to
    read, and nothing but numbers and timestamps leaves it."""
    tid = uuid.UUID(str(tenant_id))
    records: dict[str, int] = {}
    db_bytes = 0
    async with tenant_scope(tid) as tx:
        conn = tx.connection
        for table in await directory.tenant_owned_tables(conn):
            n, size = await conn.fetchrow(
                f'select count(*), coalesce(sum(pg_column_size(x.*)), 0) from "{table}" x where x.tenant = $1', tid)
            records[table], db_bytes = n, db_bytes + size
        people = await conn.fetchrow(
            """select count(distinct m."user") as staff,
                      count(distinct m."user") filter (where m.role = 'admin') as admins,
                      max(m.last_signed_in_at) as last_login
               from membership m""")
        audit_30 = await conn.fetchval("select count(*) from audit_entry where created_at > now() - interval '30 days'")
        policy = await conn.fetchrow("select max(number) as number, max(published_at) as published_at from policy_version")
        requests = await conn.fetchrow(
            f"""select count(*) as total, count(*) filter (where decided_at is not null) as decided,
                       count(*) filter (where created_at >= {SQL_MONTH_START}) as this_month,
                       count(*) filter (where stage not in ('closed', 'rejected')) as open
                from support_request""")
    exports = directory.tenant_exports_dir(tid)
    export_bytes = sum(p.stat().st_size for p in exports.glob("*.zip")) if exports.exists() else 0
    return {"records": records, "db_bytes": db_bytes, "export_bytes": export_bytes, "staff": people["staff"],
            "admins": people["admins"], "last_login": people["last_login"], "audit_30": audit_30,
            "policy": dict(policy), "requests": dict(requests)}


async def monthly_messages(tenant_id: Any = None, months: int = 12) -> list[tuple[dt.date, int]]:
    """Messages sent per Riyadh month, oldest first, zero-filled; one tenant or all."""
    args: list[Any] = [months - 1]
    where = ""
    if tenant_id is not None:
        args.append(uuid.UUID(str(tenant_id)))
        where = "and u.tenant = $2"
    async with platform_scope("operator usage") as tx:
        rows = await tx.connection.fetch(
            f"""with start_month as (select ({SQL_THIS_MONTH} - make_interval(months => $1::int))::date as month),
                counts as (select u.month, sum(u.sent) as n from message_usage u, start_month
                           where u.month >= start_month.month {where} group by 1),
                m as (select generate_series(start_month.month, {SQL_THIS_MONTH}, interval '1 month')::date as month
                      from start_month)
                select m.month, coalesce(c.n, 0)::int as n from m left join counts c using (month)
                order by m.month""", *args)
    return [(r["month"], r["n"]) for r in rows]


async def usage_by_tenant() -> list[dict[str, Any]]:
    async with platform_scope("operator usage") as tx:
        rows = await tx.connection.fetch(
            f"""select t.id, t.slug, t.name_ar, t.name_en, t.status, t.message_quota,
                       {SQL_SENT_THIS_MONTH} as messages,
                       count(o.id) filter (where o.created_at >= {SQL_MONTH_START} and o.status = 'failed') as failed,
                       count(o.id) filter (where o.status in ('pending', 'queued')) as waiting
                from tenant t left join outbox o on o.tenant = t.id
                   and (o.status in ('pending', 'queued') or (o.status = 'failed' and o.created_at >= {SQL_MONTH_START}))
                where t.status <> 'archived'
                group by t.id order by 7 desc, t.slug""")
    return [dict(r) for r in rows]


GOVERNANCE_DAYS = 365


@dataclasses.dataclass(frozen=True)
class GovernanceNumbers:
    """Across active tenants, numbers only (no tenant named, no person): for the platform's own
    reporting on how the policies it hosts are kept."""

    tenants: int
    published: int  # with a published version (publishing requires the board's approval record)
    measured: int  # with at least one decision under a review window in the last year
    median_within: float | None  # the median, over those, of the % decided within the window


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


async def governance_numbers() -> GovernanceNumbers:
    """One query over the `governance_by_tenant` view (migrations/reports, numbers per tenant and
    nothing else; requests and policies are not platform-readable themselves). "Within the window"
    is the reports area's definition: decided no later than the request's own due date, over the
    last year's (GOVERNANCE_DAYS) decisions that had one."""
    async with platform_scope("operator governance numbers") as tx:
        row = await tx.connection.fetchrow(
            """select count(*) as tenants, count(*) filter (where published) as published,
                      count(*) filter (where with_window > 0) as measured,
                      percentile_cont(0.5) within group (order by 100.0 * within / with_window)
                        filter (where with_window > 0) as median_within
               from governance_by_tenant where status = 'active'""")
    found = row["median_within"]
    return GovernanceNumbers(row["tenants"], row["published"], row["measured"],
                             None if found is None else round(float(found), 1))


async def set_quota(operator: dict[str, Any], tenant_id: Any, quota: int, address: str) -> None:
    tid = uuid.UUID(str(tenant_id))
    async with tenant_scope(tid) as tx:
        tenant = await _lock_tenant(tx.connection, tid)
        await tx.connection.execute("update tenant set message_quota = $2, updated_at = now() where id = $1", tid, quota)
        await record(operator, "tenant.quota_changed", tenant=tenant, address=address,
                     detail={"before": tenant["message_quota"], "after": quota})


# --- the lifecycle ---------------------------------------------------------------------------------

TRANSITIONS = {  # action -> (from statuses, to status)
    "approve": ({"pending"}, "active"),
    "ask_info": ({"pending"}, "pending"),  # the sign-up stays pending; its admin is asked why
    "reject": ({"pending"}, "archived"),   # a sign-up refused: closed like an archive, with the reason told
    "suspend": ({"active"}, "suspended"),
    "reactivate": ({"suspended"}, "active"),
    "archive": ({"pending", "active", "suspended"}, "archived"),
}


class LifecycleError(Exception):
    """An action the tenant's status does not allow, or a deletion asked for too early.
    `msgid` is an English message id for the page."""

    def __init__(self, msgid: str, **variables: Any) -> None:
        super().__init__(msgid)
        self.msgid, self.variables = msgid, variables


class TenantGone(Exception):
    pass


async def _lock_tenant(conn: Any, tid: uuid.UUID) -> dict[str, Any]:
    row = await conn.fetchrow("select * from tenant where id = $1 for update", tid)
    if row is None:
        raise TenantGone()
    return dict(row)


async def change_status(operator: dict[str, Any], tenant_id: Any, action: str, *, reason: str = "",
                        address: str = "", retention_days: int | None = None) -> dict[str, Any]:
    """One transaction in the tenant's scope: the status, the operator audit, the tenant's
    audit and (on approval) the admins' email all commit together or not at all."""
    allowed, new_status = TRANSITIONS[action]
    tid = uuid.UUID(str(tenant_id))
    async with tenant_scope(tid) as tx:
        conn = tx.connection
        tenant = await _lock_tenant(conn, tid)
        if tenant["status"] not in allowed:
            raise LifecycleError(N_("This is not possible while the tenant is %(status)s."), status=tenant["status"])
        detail: dict[str, Any] = {"from": tenant["status"], "to": new_status}
        sets = ["status = $2", "status_reason = $3", "updated_at = now()"]
        args: list[Any] = [tid, new_status, reason if action in REASON_KEPT else ""]
        if action == "approve":
            sets += ["approved_at = coalesce(approved_at, now())", "info_requested_at = null"]
        if action == "ask_info":
            sets += ["info_requested_at = now()", "info_reply = ''", "info_replied_at = null"]
        if action in ("archive", "reject"):
            days = get_settings().archive_retention_days if retention_days is None else retention_days
            sets += ["archived_at = now()", f"delete_after = now() + make_interval(days => {int(days)})"]
            detail["retention_days"] = days
        await conn.execute(f"update tenant set {', '.join(sets)} where id = $1", *args)
        await record(operator, f"tenant.{action}", tenant=tenant, reason=reason, detail=detail, address=address)
        if action in TOLD:
            await _tell_admins(conn, tenant, TOLD[action], reason=reason,
                               link=get_settings().tenant_url(tenant["slug"], "/portal" if action == "approve" else "/portal/setup"))
    clear_cache()  # this process at once; the others within tenancy.CACHE_SECONDS
    return {**tenant, "status": new_status}


REASON_KEPT = {"suspend", "archive", "reject", "ask_info"}  # the reason is shown to the tenant
TOLD = {"approve": "platform.tenant_approved", "ask_info": "platform.tenant_info_requested",
        "reject": "platform.tenant_rejected"}


async def _tell_admins(conn: Any, tenant: dict[str, Any], kind: str, **context: Any) -> int:
    """Email every admin of `tenant` in their own language. Runs in the tenant's scope. A sign-up
    whose address is not confirmed yet has no admin: the address it signed up with is told."""
    admins = await conn.fetch(
        """select distinct u.email, u.preferred_language from membership m join staff_user u on u.id = m."user"
           where m.role = 'admin' and u.is_active""")
    if not admins:
        admins = await conn.fetch(
            """select distinct email, 'ar' as preferred_language from auth_token
               where purpose = 'signup' and used_at is null""")
    info = directory._info(tenant)
    for admin in admins:
        subject, text, html = compose(kind, admin["preferred_language"] or "ar", {**context, "tenant": info})
        await enqueue(tenant_id=tenant["id"], channel="email", kind=kind, recipient=admin["email"],
                      subject=subject, body_text=text, body_html=html)
    return len(admins)


# --- archive: export and deletion -------------------------------------------------------------------


async def request_export(operator: dict[str, Any], tenant_id: Any, address: str) -> uuid.UUID:
    """Queue an export; a worker builds it (`sila.platform.operator.tasks.build_export`)."""
    tid = uuid.UUID(str(tenant_id))
    async with tenant_scope(tid) as tx:
        tenant = await _lock_tenant(tx.connection, tid)
        busy = await tx.connection.fetchval(
            "select id from tenant_export where status in ('queued', 'running') order by created_at desc limit 1")
        if busy:
            export_id = busy  # one at a time; asking again re-dispatches a stuck one
        else:
            export_id = await tx.connection.fetchval(
                "insert into tenant_export (tenant, requested_by) values ($1, $2) returning id", tid, operator["id"])
            await record(operator, "tenant.export_requested", tenant=tenant, address=address,
                         detail={"export": str(export_id)})
        after_commit(lambda: dispatch_export(export_id))
    return export_id


def dispatch_export(export_id: uuid.UUID) -> None:
    try:
        # Here, not at the top: operator.tasks -> export -> services: a cycle.
        # cycle: operator.tasks imports operator.export, which imports this module
        from sila.platform.operator.tasks import build_export

        build_export.apply_async(args=[str(export_id)], retry=False)
    except Exception as exc:  # Redis away: the row stays queued and the console offers to retry
        log.warning("export %s not handed to the broker (%s)", export_id, exc)


async def exports_of(tenant_id: Any) -> list[dict[str, Any]]:
    async with platform_scope("operator export progress") as tx:
        rows = await tx.connection.fetch(
            """select id, tenant, status, tables_total, tables_done, rows_total, files_total, size_bytes, sha256, error,
                      created_at, started_at, finished_at, link_expires_at, withdrawn_at
               from tenant_export where tenant = $1 order by created_at desc""", uuid.UUID(str(tenant_id)))
    return [dict(r) for r in rows]


async def get_export(tenant_id: Any, export_id: Any) -> dict[str, Any] | None:
    return next((e for e in await exports_of(tenant_id) if str(e["id"]) == str(export_id)), None)


async def delete_tenant(operator: dict[str, Any], tenant_id: Any, confirm: str, address: str) -> dict[str, int]:
    """Delete every row and file of an archived tenant whose retention period has ended and
    whose export was built. Returns rows deleted per table (kept in the operator audit)."""
    tid = uuid.UUID(str(tenant_id))
    tenant = await get_tenant_row(tid)
    if tenant is None:
        raise TenantGone()
    if tenant["status"] != "archived":
        raise LifecycleError(N_("Only an archived tenant can be deleted."))
    if tenant["delete_after"] is None or tenant["delete_after"] > _now():
        raise LifecycleError(N_("The retention period has not ended yet."))
    if confirm.strip() != tenant["slug"]:
        raise LifecycleError(N_("Type the tenant's address exactly to confirm."))
    if not any(e["status"] == "done" for e in await exports_of(tid)):
        raise LifecycleError(N_("Build the archive export before deleting."))
    # Staff accounts are platform-wide: keep those who still work for another charity. Each
    # other tenant is asked in its own scope (membership is never readable across tenants).
    async with tenant_scope(tid) as tx:
        members = {r["user"] for r in await tx.connection.fetch(
            'select "user" from membership union select "user" from member_deactivation')}
    keep: set[uuid.UUID] = set()
    if members:
        async with platform_scope("operator deletion: other tenants") as tx:
            others = [r["id"] for r in await tx.connection.fetch("select id from tenant where id <> $1", tid)]
        for other in others:
            async with tenant_scope(other) as tx:
                keep |= {r["user"] for r in await tx.connection.fetch(
                    """select "user" from membership where "user" = any($1::uuid[])
                       union select "user" from member_deactivation where "user" = any($1::uuid[])""",
                    list(members))}
    async with tenant_scope(tid) as tx:
        conn = tx.connection
        await _lock_tenant(conn, tid)
        deleted = await directory.delete_tenant_rows(conn, tid)
        gone = list(members - keep)
        status = await conn.execute("delete from staff_user where id = any($1::uuid[])", gone)
        deleted["staff_user"] = int(status.split()[-1])
        await conn.execute(
            """insert into operator_audit (operator, operator_label, action, subject_tenant, subject_label, detail,
                                           address)
               values ($1, $2, 'tenant.deleted', $3, $4, $5::jsonb, $6)""",
            operator["id"], f"{operator['name'] or operator['email']} <{operator['email']}>", tid, tenant["slug"],
            json.dumps({"rows": deleted, "name_ar": tenant["name_ar"]}), address)
    shutil.rmtree(directory.tenant_exports_dir(tid), ignore_errors=True)
    clear_cache()
    return deleted


# --- support access ----------------------------------------------------------------------------------


async def live_grant(tenant_id: Any) -> dict[str, Any] | None:
    async with platform_scope("operator checks support grant") as tx:
        row = await tx.connection.fetchrow(
            """select id, created_at, expires_at, note from support_grant
               where tenant = $1 and revoked_at is null and expires_at > now() order by expires_at desc limit 1""",
            uuid.UUID(str(tenant_id)))
    return dict(row) if row else None


# --- health --------------------------------------------------------------------------------------------

HEARTBEAT_PREFIX = "sila:heartbeat:"
HEARTBEAT_STALE = 60
QUEUES = ("celery",)


async def health(redis: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"redis_ok": True, "queues": {}, "workers": []}
    try:
        for queue in QUEUES:  # the broker's keys are prefixed and split by priority
            result["queues"][queue] = sum([await redis.llen(key) for key in queue_keys(queue)])
        now = time.time()
        async for key in redis.scan_iter(match=HEARTBEAT_PREFIX + "*", count=100):
            beat = await redis.get(key)
            if beat:
                age = now - float(beat)
                result["workers"].append({"name": key.decode()[len(HEARTBEAT_PREFIX):], "age": age,
                                          "alive": age <= HEARTBEAT_STALE})
    except Exception as exc:  # the page still shows what the database knows
        log.warning("health: Redis unreachable (%s)", exc)
        result["redis_ok"] = False
    result["workers"].sort(key=lambda w: w["name"])
    can_send = directory.tenant_can_send_sql("o")
    async with platform_scope("operator health") as tx:
        conn = tx.connection
        result["outbox"] = dict(await conn.fetchrow(
            f"""select count(*) filter (where o.status in ('pending', 'queued') and {can_send}) as backlog,
                       count(*) filter (where o.status in ('pending', 'queued') and not {can_send}) as held,
                       extract(epoch from now() - min(o.created_at)
                               filter (where o.status in ('pending', 'queued') and {can_send})) as oldest_age,
                       count(*) filter (where o.status = 'failed' and o.created_at > now() - interval '24 hours')
                         as failed_24h
                from outbox o"""))
        result["providers"] = [dict(r) for r in await conn.fetch(
            """select provider, count(*) as attempts, count(*) filter (where not ok) as failed,
                      count(*) filter (where not ok and finished_at > now() - interval '1 hour') as failed_1h,
                      count(*) filter (where finished_at > now() - interval '1 hour') as attempts_1h
               from delivery_attempt where finished_at > now() - interval '24 hours'
               group by provider order by provider""")]
        result["exports"] = dict(await conn.fetchrow(
            """select count(*) filter (where status in ('queued', 'running')) as active,
                      count(*) filter (where status = 'failed') as failed from tenant_export"""))
    result["checked_at"] = _now()
    return result
