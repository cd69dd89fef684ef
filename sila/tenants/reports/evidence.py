"""The governance evidence pack: what a charity shows its board and its regulator (the National
Center for Non-Profit Sector, or the General Authority for Awqaf) to prove the policy is
published, approved and applied, for a chosen period.

One Arabic-first PDF (letterhead, both calendars): the policy's public address and the day it
went live; every version with its board approval and what changed (the policy area's diff);
the channels and tools in force; the dashboard's indicators (`queries.dashboard`, the same
computation, with the same charts); a sample of committee minutes without names; and what the
platform cannot attest. Plus a ZIP: that PDF, each published version's PDF, each approval
record and minutes scan, and CSVs of the figures.

Built by a worker (`tasks.build_evidence`), progress kept on the row for the page's bar; the
files are kept on the row (tenant-owned, forced RLS) for download, and every step is audited.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import logging
import uuid
import zipfile
from typing import Any

from sila.platform import audit, i18n, spreadsheet
from sila.platform.dates import dual_date, dual_datetime, localised_number
from sila.platform.db import after_commit, parse_uuid, tenant_scope
from sila.platform.directory import get_tenant
from sila.platform.errors import NotFound
from sila.platform.pdf import data_uri, render_pdf
from sila.platform.settings import get_settings
from sila.tenants.policy import services as policy
from sila.tenants.policy import view
from sila.tenants.policy.rules import diff_versions
from sila.tenants.policy.view import letterhead
from sila.tenants.reports import labels, queries
from sila.tenants.reports.period import Period

log = logging.getLogger(__name__)

STATUS = {"queued": i18n.N_("Waiting for a worker"), "running": i18n.N_("Being prepared"),
          "done": i18n.N_("Ready"), "failed": i18n.N_("Failed")}
MINUTES_SAMPLE = 2  # sessions shown, the latest closed in the period
ITEMS_PER_SESSION = 10

MSG_NO_VERSION = i18n.N_("No version of the policy has been published: nothing can be attested about it.")
MSG_LIVE_LATE = i18n.N_("The policy went live on %(date)s, after the period began: before that day the "
                        "platform holds no policy in force.")
MSG_NO_MINUTES = i18n.N_("Version %(n)s: no scan of the board's minutes was attached to its approval; the "
                         "approval rests on what was typed.")
MSG_DATES_DISAGREE = i18n.N_("Version %(n)s: the approval's Hijri and Gregorian dates are %(days)s day(s) apart "
                             "as entered; the platform cannot tell which is right.")
MSG_APPROVED_AFTER = i18n.N_("Version %(n)s was published on %(published)s, before the approval dated "
                             "%(approved)s.")
MSG_NO_APPROVAL = i18n.N_("Version %(n)s was published with no board approval recorded.")
MSG_NO_MEETING = i18n.N_("Version %(n)s: the approval names no meeting number or session.")
MSG_NO_CHAIR = i18n.N_("Version %(n)s: the approval names no chair.")
MSG_NO_REPORT = i18n.N_("%(num)s message(s) in the period were handed to a provider that sent no delivery "
                        "report: their arrival cannot be attested.")
MSG_NO_WINDOW = i18n.N_("%(num)s decision(s) in the period were on requests with no review window: "
                        "their timeliness cannot be measured.")
MSG_NO_SESSIONS = i18n.N_("No committee session was closed in the period: no minutes to sample.")


@dataclasses.dataclass
class VersionFact:
    number: int
    published_at: dt.datetime
    published_by: str
    approval: Any  # policy.services.ApprovalRecord
    changes: list[str]
    has_minutes: bool


@dataclasses.dataclass
class SessionSample:
    number: int
    held_at: dt.datetime
    closed_at: dt.datetime | None
    members: int
    items: list[dict[str, Any]]


@dataclasses.dataclass
class Evidence:
    tenant: Any
    period: Period
    generated_at: dt.datetime
    public_url: str
    live_since: dt.datetime | None
    versions: list[VersionFact]
    in_force: Any  # PublishedVersion or None
    channels: list[str]
    tools: list[str]
    dashboard: queries.Dashboard
    charts: dict[str, Any]
    sessions: list[SessionSample]
    cannot_attest: list[str]
    letterhead: Any
    logo: str | None


def period_of(row: dict[str, Any]) -> Period:
    return Period(row["calendar"], (row["from_year"], row["from_month"]), (row["to_year"], row["to_month"]))


# --- the page's side: ask, list, download -----------------------------------------------------


async def request_pack(tenant_id: Any, period: Period, actor: Any, address: str) -> uuid.UUID:
    tid = parse_uuid(tenant_id)
    async with tenant_scope(tenant_id) as tx:
        pack_id = await tx.connection.fetchval(
            """insert into evidence_pack (tenant, calendar, from_year, from_month, to_year, to_month, requested_by)
               values ($1, $2, $3, $4, $5, $6, $7) returning id""",
            tid, period.calendar, *period.start_month, *period.end_month, parse_uuid(getattr(actor, "id", None))
            if not getattr(actor, "support_grant", None) else None)
        await audit.record(tenant_id, "evidence.requested", **audit.actor_fields(actor), target_type="evidence_pack",
                           target_id=pack_id, address=address, after={"period": period.query()})
        after_commit(lambda: dispatch(pack_id, tid))
    return pack_id


def dispatch(pack_id: Any, tenant_id: Any) -> None:
    try:
        # cycle: reports.tasks imports this module (the task builds the pack)
        from sila.tenants.reports.tasks import build_evidence

        build_evidence.apply_async(args=[str(pack_id), str(tenant_id)], retry=False)
    except Exception as exc:  # Redis away: the row stays queued; asking again re-dispatches
        log.warning("evidence pack %s not handed to the broker (%s)", pack_id, exc)


COLUMNS = ("id, calendar, from_year, from_month, to_year, to_month, status, progress, step, error, size_bytes, "
           "sha256, created_at, started_at, finished_at")


async def packs(tenant_id: Any, limit: int = 20) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            f"select {COLUMNS} from evidence_pack order by created_at desc limit $1", limit)
    return [{**dict(r), "period": period_of(dict(r))} for r in rows]


async def get_pack_in_tenant(tenant_id: Any, pack_id: Any) -> dict[str, Any]:
    pid = parse_uuid(pack_id)
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(f"select {COLUMNS} from evidence_pack where id = $1", pid) if pid else None
    if row is None:
        raise NotFound(pack_id)
    return {**dict(row), "period": period_of(dict(row))}


async def download(tenant_id: Any, pack_id: Any, kind: str, actor: Any, address: str) -> tuple[bytes, dict[str, Any]]:
    """The pack's PDF or ZIP (NotFound until it is ready), audited."""
    pid = parse_uuid(pack_id)
    column = {"pdf": "pdf", "zip": "zip"}[kind]
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(
            f"select {column} as content, {COLUMNS} from evidence_pack where id = $1 and status = 'done'",
            pid) if pid else None
        if row is None or row["content"] is None:
            raise NotFound(pack_id)
        await audit.record(tenant_id, "evidence.downloaded", **audit.actor_fields(actor), target_type="evidence_pack",
                           target_id=pid, address=address, after={"format": kind})
    return bytes(row["content"]), {**dict(row), "period": period_of(dict(row))}


# --- the worker's side ----------------------------------------------------------------------


async def _progress(tenant_id: Any, pack_id: uuid.UUID, progress: int, step: str, **extra: Any) -> None:
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(extra, start=4))
    async with tenant_scope(tenant_id) as tx:
        await tx.connection.execute(
            f"update evidence_pack set progress = $2, step = $3{', ' + sets if sets else ''} where id = $1",
            pack_id, progress, step, *extra.values())


async def build(pack_id: Any, tenant_id: Any) -> bool:
    """Build a queued pack. Idempotent: a pack that is done, running elsewhere or gone is left."""
    pid, tid = parse_uuid(pack_id), parse_uuid(tenant_id)
    tenant = await get_tenant(tid) if tid else None
    if pid is None or tenant is None:
        return False
    async with tenant_scope(tid) as tx:
        row = await tx.connection.fetchrow(
            """update evidence_pack set status = 'running', started_at = now(), progress = 5, step = 'facts'
               where id = $1 and (status = 'queued' or (status = 'running' and started_at < now() - interval '15 minutes'))
               returning *""", pid)
    if row is None:
        return False
    try:
        with i18n.language("ar"):
            evidence = await gather(tenant, period_of(dict(row)))
            await _progress(tid, pid, 30, "pdf")
            pack_pdf = await render_pdf("reports/evidence_pdf.html", context(evidence), lang="ar")
            await _progress(tid, pid, 55, "policies")
            files = await policy_files(tenant, evidence)
            await _progress(tid, pid, 85, "zip")
            archive = build_zip(evidence, pack_pdf, files)
        async with tenant_scope(tid) as tx:
            await tx.connection.execute(
                """update evidence_pack set status = 'done', progress = 100, step = 'done', pdf = $2, zip = $3,
                     size_bytes = $4, sha256 = $5, finished_at = now() where id = $1""",
                pid, pack_pdf, archive, len(archive), hashlib.sha256(archive).hexdigest())
            await audit.record(tid, "evidence.built", actor_label="—", target_type="evidence_pack", target_id=pid,
                               after={"period": period_of(dict(row)).query(), "bytes": len(archive)})
        return True
    except Exception as exc:
        log.exception("evidence pack %s failed", pid)
        async with tenant_scope(tid) as tx:
            await tx.connection.execute(
                "update evidence_pack set status = 'failed', error = $2, finished_at = now() where id = $1",
                pid, type(exc).__name__)
        return False


async def gather(tenant: Any, period: Period) -> Evidence:
    """Every fact the pack states, read once (inside the caller's language)."""
    lang = i18n.get_language()
    versions = sorted(await policy.list_versions(tenant.id), key=lambda v: v.number)
    facts: list[VersionFact] = []
    previous: Any = None
    for v in versions:
        changes: list[str] = [c.text(i18n.gettext, i18n.ngettext) for c in diff_versions(previous.content, v.content, lang)] \
            if previous else []
        facts.append(VersionFact(v.number, v.published_at, v.published_by_name, v.approval, changes,
                                 v.approval is not None and v.approval.minutes_document is not None))
        previous = v
    in_force = next((v for v in reversed(versions) if v.published_at < period.end), None)
    d = await queries.dashboard(tenant.id, period)
    sessions = await minutes_sample(tenant.id, period)
    profile = await policy.get_profile(tenant.id)
    logo = None
    if profile and profile.get("logo"):
        doc = await policy.get_document(tenant.id, profile["logo"])
        logo = data_uri(doc["content_type"], doc["content"]) if doc else None
    evidence = Evidence(
        tenant=tenant, period=period, generated_at=dt.datetime.now(dt.UTC),
        public_url=get_settings().tenant_url(tenant.slug, "/policy"),
        live_since=versions[0].published_at if versions else None, versions=facts, in_force=in_force,
        channels=[c.label(lang) for c in in_force.channels] if in_force else [],
        tools=[t.label(lang) for t in in_force.tools] if in_force else [],
        # The dashboard's own charts, as images: WeasyPrint lays out an <img> of an SVG, not inline <svg>.
        dashboard=d, charts={k: data_uri("image/svg+xml", str(v).encode()) for k, v in
                             labels.dashboard_charts(d, lang).items()}, sessions=sessions, cannot_attest=[],
        letterhead=letterhead(tenant, profile, lang), logo=logo)
    evidence.cannot_attest = cannot_attest(evidence)
    return evidence


def cannot_attest(e: Evidence) -> list[str]:
    """What the platform does not hold the proof of, said plainly."""
    lang, g = i18n.get_language(), i18n.gettext
    out = []
    if not e.versions:
        out.append(g(MSG_NO_VERSION))
    elif e.live_since and e.live_since > e.period.start:
        out.append(g(MSG_LIVE_LATE, date=dual_date(e.live_since, lang)))
    for v in e.versions:
        a = v.approval
        if a is None:  # published after the admin acknowledged that no approval is recorded
            out.append(g(MSG_NO_APPROVAL, n=v.number))
            continue
        if not v.has_minutes:
            out.append(g(MSG_NO_MINUTES, n=v.number))
        if a.dates_disagree:
            out.append(g(MSG_DATES_DISAGREE, n=v.number, days=a.days_apart))
        if a.gregorian > v.published_at.date():
            out.append(g(MSG_APPROVED_AFTER, n=v.number, published=dual_date(v.published_at, lang),
                         approved=dual_date(a.gregorian, lang)))
        if a.meeting_number is None and a.session_ordinal is None:
            out.append(g(MSG_NO_MEETING, n=v.number))
        if not a.chair_name.strip():
            out.append(g(MSG_NO_CHAIR, n=v.number))
    unreported = sum(max(0, c.sent - c.confirmed - c.failed_after_send) for c in e.dashboard.messages)
    if unreported:
        out.append(g(MSG_NO_REPORT, num=unreported))
    no_window = e.dashboard.decisions.decided - e.dashboard.decisions.with_window
    if no_window > 0:
        out.append(g(MSG_NO_WINDOW, num=no_window))
    if not e.sessions:
        out.append(g(MSG_NO_SESSIONS))
    return out


async def minutes_sample(tenant_id: Any, period: Period) -> list[SessionSample]:
    """The latest committee sessions closed in the period, without a name, reference or reason:
    the requests are numbered, each with its decision and the count of votes."""
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        sessions = await c.fetch(
            """select id, number, held_at, closed_at from committee_session
               where status = 'closed' and held_at >= $1 and held_at < $2 order by held_at desc limit $3""",
            period.start, period.end, MINUTES_SAMPLE)
        out = []
        for s in sessions:
            items = await c.fetch(
                """select i.position, i.decision,
                          count(v.id) filter (where v.vote = 'accept') as accept,
                          count(v.id) filter (where v.vote = 'reject') as reject,
                          count(v.id) filter (where v.vote = 'abstain') as abstain
                   from committee_item i left join committee_vote v on v.item = i.id
                   where i.session = $1 group by i.id, i.position, i.decision order by i.position limit $2""",
                s["id"], ITEMS_PER_SESSION)
            members = await c.fetchval(
                """select count(distinct v.member_name) from committee_vote v join committee_item i on i.id = v.item
                   where i.session = $1""", s["id"])
            out.append(SessionSample(s["number"], s["held_at"], s["closed_at"], members or 0, [dict(i) for i in items]))
    return out


def context(e: Evidence) -> dict[str, Any]:
    lang = i18n.get_language()
    return {"e": e, "d": e.dashboard, "labels": labels, "dual_date": dual_date, "dual_datetime": dual_datetime,
            "num": lambda v, digits=0: labels_num(v, lang, digits)}


def labels_num(value: Any, lang: str, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}" if isinstance(value, float) or digits else f"{value:,}"
    return localised_number(text, lang)


async def policy_files(tenant: Any, e: Evidence) -> dict[str, bytes]:
    """Each published version's PDF (the policy area's template, as the public page serves it),
    its approval record, and its minutes scan."""
    files: dict[str, bytes] = {}
    profile = await policy.get_profile(tenant.id)
    for fact in e.versions:
        version = await policy.get_version_in_tenant(tenant.id, number=fact.number)
        with i18n.language("ar"):
            doc = view.build(tenant, profile, version.policy, version.approval)
            files[f"policy/policy-v{fact.number}-ar.pdf"] = await render_pdf(
                "policy/pdf.html", {"doc": doc, "version": version, "tenant": tenant, "logo": e.logo}, lang="ar")
        a = version.approval
        if a is None:
            continue  # nothing approved to file: the PDF's "cannot attest" list says so
        files[f"approvals/approval-v{fact.number}.json"] = json.dumps({
            "version": fact.number, "published_at": version.published_at, "meeting_number": a.meeting_number,
            "session_ordinal": a.session_ordinal, "date_gregorian": a.gregorian, "date_hijri": list(a.hijri),
            "chair_title": a.chair_title, "chair_name": a.chair_name, "decisions": list(a.decisions),
            "minutes_scan": bool(a.minutes_document)}, default=str, ensure_ascii=False, indent=1).encode()
        if a.minutes_document:
            scan = await policy.get_document(tenant.id, a.minutes_document)
            if scan:
                ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(scan["content_type"], "bin")
                files[f"approvals/minutes-v{fact.number}.{ext}"] = bytes(scan["content"])
    return files


def figures(e: Evidence) -> dict[str, bytes]:
    """The dashboard's numbers as CSV, one file per table."""
    g, d = i18n.gettext, e.dashboard

    def groups(kind: str, rows: list[queries.Group], caption: str) -> bytes:
        return spreadsheet.csv_bytes([caption, g("Requests")],
                                     [[labels.group_label(kind, r.key, r.label), r.count] for r in rows])

    return {
        "figures/requests-by-channel.csv": groups("channel", d.by_channel, g("Channel")),
        "figures/requests-by-category.csv": groups("category", d.by_category, g("Category")),
        "figures/requests-by-stage.csv": groups("stage", d.by_stage, g("Stage")),
        "figures/decisions-against-window.csv": groups("decision", d.decisions.buckets, g("Against the window")),
        "figures/overdue-by-age.csv": groups("overdue_age", d.overdue.buckets, g("Age")),
        "figures/summary.csv": spreadsheet.csv_bytes([g("Indicator"), g("In the period")], [
            [g("requests received"), d.received],
            [g("Decided in the period:"), d.decisions.decided],
            [g("decided within the review window"), d.decisions.within_percent],
            [g("overdue now"), d.overdue.count],
            [g("waiting for missing information"), d.incomplete.count],
            [g("Referrals to a social researcher"), d.research.referred],
            [g("Field visits"), d.research.field_visits],
            [g("Committee sessions held"), d.committee.sessions_held],
            [g("Services delivered"), d.services.delivered],
            [g("People served"), d.services.beneficiaries],
            [g("Amounts recorded (SAR)"), d.services.amount],
            [g("average satisfaction (1 to 5)"), d.satisfaction.average],
            [g("Answers:"), d.satisfaction.responses]]),
        "figures/feedback.csv": spreadsheet.csv_bytes(
            [g("Type"), g("Received"), g("Answered"), g("Average days to answer"), g("Open now")],
            [[labels.group_label("feedback", k.kind), k.received, k.answered, k.average_days_to_answer, k.open_now]
             for k in d.feedback.kinds]),
        "figures/messages.csv": spreadsheet.csv_bytes(
            [g("Channel"), g("Messages"), g("Sent"), g("Failed"), g("Delivery confirmed"), g("Delivery rate")],
            [[labels.group_label("message_channel", c.channel), c.messages, c.sent, c.failed, c.confirmed,
              c.delivery_rate] for c in d.messages]),
    }


def build_zip(e: Evidence, pack_pdf: bytes, files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    contents = {"evidence-pack.pdf": pack_pdf, **files, **figures(e)}
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in contents.items():
            zf.writestr(name, content)
        zf.writestr("manifest.json", json.dumps({
            "format": "sila-evidence-pack/1", "tenant": e.tenant.slug, "period": e.period.query(),
            "generated_at": e.generated_at, "files": {n: hashlib.sha256(c).hexdigest() for n, c in contents.items()}},
            default=str, indent=1))
    return buf.getvalue()
