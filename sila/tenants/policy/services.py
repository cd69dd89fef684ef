"""Policy operations: documents, the draft, its board approval, publishing, versions.

Every function opens `tenant_scope(tenant_id)` (or joins the caller's scope for the same
tenant), so row-level security decides what exists: another tenant's id is simply not found.

`current_policy_version(tenant_id)` is what the request workflow pins: it returns the
latest published version, frozen (a trigger refuses UPDATE/DELETE on policy_version).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid
from typing import Any

import anyio

from sila.platform import audit
from sila.platform.dates import HijriDate, Reconciled, dual_date, format_gregorian, format_hijri, weekday_name
from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.files import DOCX, EXTENSIONS, JPEG, PDF, PNG, TEXT, safe_name, sniff
from sila.platform.i18n import N_
from sila.tenants.policy import catalogue, importer, queries
from sila.tenants.policy.custom_fields import from_dicts
from sila.tenants.policy.rules import (
    BoardApprovalInput,
    PolicyDraft,
    default_draft,
    draft_from_dict,
    draft_to_dict,
    validate_approval,
    validate_publish,
)
from sila.tenants.policy.tables import Document, PolicyVersion, TenantProfile
from sila.tenants.policy.tables import PolicyDraft as DraftTable

# --- documents ------------------------------------------------------------------------------

MB = 1024 * 1024
# purpose -> (accepted types, size limit, message when the type is wrong)
UPLOADS: dict[str, tuple[frozenset[str], int, str]] = {
    "tool": (frozenset({PDF}), 10 * MB, N_("Upload a PDF file.")),
    "minutes": (frozenset({PDF, PNG, JPEG}), 10 * MB, N_("Upload the scan as a PDF, PNG or JPEG file.")),
    "logo": (frozenset({PNG, JPEG}), 1 * MB, N_("Upload the logo as a PNG or JPEG image.")),
    # The charity's own policy, read to propose a draft (importer.py); pasted text is stored as TEXT.
    "import": (frozenset({PDF, DOCX}), 10 * MB, N_("Upload the policy as a PDF or Word (DOCX) file.")),
}
MAX_PASTED = 200_000  # characters of pasted policy text
MSG_EMPTY_FILE = N_("The file is empty.")
MSG_FILE_TOO_LARGE = N_("The file is larger than %(mb)s MB. Upload a smaller file.")


class UploadError(ValueError):
    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid, self.params = msgid, params


def check_upload(purpose: str, content: bytes) -> str:
    """The content type to store, or UploadError with a message for the user."""
    accepted, limit, wrong_type = UPLOADS[purpose]
    if not content:
        raise UploadError(MSG_EMPTY_FILE)
    if len(content) > limit:
        raise UploadError(MSG_FILE_TOO_LARGE, mb=limit // MB)
    kind = sniff(content)
    if kind is None or kind.content_type not in accepted:
        raise UploadError(wrong_type)
    return kind.content_type


def _safe_filename(name: str, content_type: str) -> str:
    return safe_name(name, EXTENSIONS[content_type], limit=120)


async def store_document(tenant_id: Any, purpose: str, filename: str, content: bytes, actor: Any = None,
                         *, pasted: bool = False) -> uuid.UUID:
    """Store an uploaded file (its type sniffed and checked for `purpose`), or, with `pasted`,
    text the admin pasted (purpose "import" only), kept like a file so it can be read again."""
    if pasted:
        if purpose != "import" or not content:
            raise UploadError(MSG_EMPTY_FILE)
        content_type = TEXT
    else:
        content_type = check_upload(purpose, content)
    async with tenant_scope(tenant_id):
        rows = await Document.insert(
            Document(tenant=tenant_id, purpose=purpose, filename=_safe_filename(filename, content_type),
                     content_type=content_type, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                     content=content, created_by=actor)
        ).returning(Document.id)
        await audit.record(tenant_id, "document.upload", actor_user=actor, target_type="document",
                           target_id=rows[0]["id"], after={"purpose": purpose, "size": len(content)})
    return rows[0]["id"]


async def get_document(tenant_id: Any, document_id: Any, *, with_content: bool = True) -> dict[str, Any] | None:
    columns = Document.all_columns() if with_content else Document.all_columns(exclude=[Document.content])
    async with tenant_scope(tenant_id):
        return await Document.select(*columns).where(Document.id == document_id).first()


async def get_document_in_tenant(tenant_id: Any, document_id: Any) -> dict[str, Any]:
    """A stored document with its content; NotFound for unknown ids and other tenants' alike."""
    did = parse_uuid(document_id)
    doc = await get_document(tenant_id, did) if did else None
    if doc is None:
        raise NotFound(document_id)
    return doc


async def existing_documents(tenant_id: Any, ids: list[str], purpose: str) -> set[str]:
    """Which of `ids` are this tenant's documents of `purpose` (others are dropped, not trusted)."""
    wanted = [u for u in map(parse_uuid, ids) if u is not None]
    if not wanted:
        return set()
    async with tenant_scope(tenant_id):
        rows = await Document.select(Document.id).where(Document.id.is_in(wanted), Document.purpose == purpose)
    return {str(r["id"]) for r in rows}



# --- letterhead -----------------------------------------------------------------------------


async def get_profile(tenant_id: Any) -> dict[str, Any] | None:
    async with tenant_scope(tenant_id):
        row = await TenantProfile.select().where(TenantProfile.tenant == tenant_id).output(load_json=True).first()
    return row


# --- approvals ------------------------------------------------------------------------------


def approval_to_dict(approval: BoardApprovalInput, dates: Reconciled) -> dict[str, Any]:
    """What is stored: both calendars (one possibly filled in), which side was filled, the gap."""
    return {
        "meeting_number": approval.meeting_number,
        "session_ordinal": approval.session_ordinal,
        "date_gregorian": dates.gregorian.isoformat(),
        "date_hijri": list(dates.hijri),
        "filled": dates.filled,
        "day_difference": dates.day_difference,
        "chair_title": approval.chair_title.strip(),
        "chair_name": approval.chair_name.strip(),
        "decisions": list(approval.decisions),
    }


def approval_from_dict(data: dict[str, Any]) -> BoardApprovalInput:
    """The approval as the admin entered it: a side we filled in by conversion is left out,
    so checking it again converts again (and still says which side was entered)."""
    filled = data.get("filled")
    greg, hijri = data.get("date_gregorian"), data.get("date_hijri")
    return BoardApprovalInput(
        meeting_number=data.get("meeting_number"),
        session_ordinal=data.get("session_ordinal"),
        date_gregorian=dt.date.fromisoformat(greg) if greg and filled != "gregorian" else None,
        date_hijri=tuple(hijri) if hijri and filled != "hijri" else None,
        chair_title=data.get("chair_title", ""),
        chair_name=data.get("chair_name", ""),
        decisions=list(data.get("decisions", [])),
    )


@dataclasses.dataclass(frozen=True)
class ApprovalRecord:
    """A stored board approval, ready to show in either language."""

    meeting_number: int | None
    session_ordinal: int | None
    gregorian: dt.date
    hijri: HijriDate
    filled: str | None
    day_difference: int
    chair_title: str
    chair_name: str
    decisions: tuple[str, ...]
    minutes_document: uuid.UUID | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], minutes_document: Any = None) -> ApprovalRecord:
        return cls(
            meeting_number=data.get("meeting_number"),
            session_ordinal=data.get("session_ordinal"),
            gregorian=dt.date.fromisoformat(data["date_gregorian"]),
            hijri=HijriDate(*data["date_hijri"]),
            filled=data.get("filled"),
            day_difference=int(data.get("day_difference") or 0),
            chair_title=data.get("chair_title", ""),
            chair_name=data.get("chair_name", ""),
            decisions=tuple(data.get("decisions", ())),
            minutes_document=minutes_document,
        )

    @property
    def dates_disagree(self) -> bool:
        return self.day_difference != 0

    @property
    def days_apart(self) -> int:
        return abs(self.day_difference)

    def hijri_text(self, lang: str) -> str:
        return format_hijri(tuple(self.hijri), lang)

    def gregorian_text(self, lang: str) -> str:
        return format_gregorian(self.gregorian, lang)

    def weekday(self, lang: str) -> str:
        return weekday_name(self.gregorian, lang)

    def session_text(self, lang: str) -> str:
        if self.session_ordinal is None:
            return ""
        if lang == "ar":
            return "الجلسة " + catalogue.ordinal_ar(self.session_ordinal)
        return f"Session {self.session_ordinal}"

    def decision_labels(self, lang: str) -> list[str]:
        return [catalogue.DECISIONS[d].label(lang) for d in self.decisions if d in catalogue.DECISIONS]


# --- the draft --------------------------------------------------------------------------------

# Which draft fields each configuration page owns: saving one page never touches another's.
SECTIONS: dict[str, tuple[str, ...]] = {
    "channels": ("channels",),
    "tools": ("tools",),
    "form": ("custom_fields",),
    "steps": ("steps",),
    "window": ("review_window_days", "review_window_text_ar", "review_window_text_en", "review_window_basis",
               "verify_target_days", "research_target_days", "appeal_days", "online_completion"),
    "texts": ("introduction_ar", "introduction_en", "general_goal_ar", "general_goal_en",
              "detailed_goals_ar", "detailed_goals_en", "layout", "table_of_contents"),
    "source": ("source_document", "offer_original"),
    "committee": ("committee",),
}


@dataclasses.dataclass
class DraftState:
    draft: PolicyDraft
    approval: dict[str, Any] | None
    minutes_document: uuid.UUID | None
    updated_at: dt.datetime | None

    @property
    def approval_record(self) -> ApprovalRecord | None:
        return ApprovalRecord.from_dict(self.approval, self.minutes_document) if self.approval else None

    def publish_errors(self, *, without_approval: bool = False) -> dict[str, list[str]]:
        return validate_publish(self.draft, approval_from_dict(self.approval) if self.approval else None,
                                without_approval=without_approval)


async def _locked_draft(tenant_id: Any) -> queries.DraftRow:
    """The draft row, locked for this transaction; created from our defaults the first time."""
    return await queries.lock_draft(uuid.UUID(str(tenant_id)), draft_to_dict(default_draft()))


async def form_questions_in_scope() -> dict[int, list[Any]]:
    """Each published version's own support-request questions (custom_fields.CustomField), by
    version number, read in the caller's tenant scope (exports name a column per question)."""
    return {n: from_dicts(q) for n, q in (await queries.form_questions_by_version()).items()}


async def load_draft(tenant_id: Any) -> DraftState:
    async with tenant_scope(tenant_id):
        row = await DraftTable.select().where(DraftTable.tenant == tenant_id).output(load_json=True).first()
    if row is None:
        return DraftState(default_draft(), None, None, None)
    return DraftState(draft_from_dict(row["content"]), row["approval"], row["minutes_document"], row["updated_at"])


def replace(draft: PolicyDraft, **changes: Any) -> PolicyDraft:
    """A deep copy of `draft` with some fields changed."""
    copy = draft_from_dict(draft_to_dict(draft))
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


async def save_section(tenant_id: Any, section: str, values: PolicyDraft, actor: Any = None,
                       also: tuple[str, ...] = ()) -> None:
    """Replace the fields of one configuration page (and `also`) in the draft; the rest stays as saved."""
    names = SECTIONS[section] + also
    async with tenant_scope(tenant_id):
        row = await _locked_draft(tenant_id)
        draft = draft_from_dict(row.content)
        before = {n: draft_to_dict(draft)[n] for n in names}
        for name in names:
            setattr(draft, name, getattr(values, name))
        after = {n: draft_to_dict(draft)[n] for n in names}
        await queries.set_draft_content(row.tenant, draft_to_dict(draft), actor)
        if before != after:
            await audit.record(tenant_id, f"policy.draft.{section}", actor_user=actor, target_type="policy_draft",
                               target_id=row.id, before=before, after=after)


KEEP = object()  # save_approval: leave the minutes scan as it is


async def save_approval(tenant_id: Any, approval: BoardApprovalInput, *, minutes_document: Any = KEEP,
                        actor: Any = None) -> dict[str, Any]:
    """Record the board approval for the draft. Raises ValueError if it does not validate."""
    errors = validate_approval(approval)
    if errors:
        raise ValueError(errors)
    stored = approval_to_dict(approval, approval.dates())
    async with tenant_scope(tenant_id):
        row = await _locked_draft(tenant_id)
        scan = row.minutes_document if minutes_document is KEEP else minutes_document
        await queries.set_draft_approval(row.tenant, stored, scan, actor)
        await audit.record(tenant_id, "policy.approval.recorded", actor_user=actor, target_type="policy_draft",
                           target_id=row.id, before=row.approval, after=stored)
    return stored


# --- publishing and versions ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PublishedVersion:
    """One frozen version of a tenant's policy: what requests pin and the public page shows."""

    id: uuid.UUID
    number: int
    policy: PolicyDraft
    approval: ApprovalRecord | None  # None: published without a board approval, acknowledged
    published_at: dt.datetime
    published_by_name: str
    content: dict[str, Any]  # the snapshot as stored, for diffs

    @property
    def review_window_days(self) -> int | None:
        return self.policy.review_window_days if self.policy.has_committee else None

    def published_text(self, lang: str) -> str:
        """The day of publication in Riyadh, Hijri with the Gregorian beside it."""
        return dual_date(self.published_at, lang)

    @property
    def steps(self) -> list[str]:
        """The request workflow's steps, in order."""
        return self.policy.enabled_steps()

    @property
    def channels(self) -> list[Any]:
        return [c for c in self.policy.channels if c.enabled]

    @property
    def tools(self) -> list[Any]:
        return [t for t in self.policy.tools if t.enabled]


def _version(row: Any) -> PublishedVersion:
    """From a policy_version row: Piccolo's dict or the typed VersionRow publishing returns."""
    v = row if isinstance(row, queries.VersionRow) else queries.VersionRow.of(row)
    return PublishedVersion(
        id=v.id, number=v.number, policy=draft_from_dict(v.content),
        approval=ApprovalRecord.from_dict(v.approval, v.minutes_document) if v.approval else None,
        published_at=v.published_at, published_by_name=v.published_by_name, content=v.content,
    )


class PublishError(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class VersionExists(Exception):
    """publish(expect_number=n) found that version n is already there."""


async def publish(tenant_id: Any, *, actor: Any = None, actor_name: str = "",
                  expect_number: int | None = None, without_approval: bool = False) -> PublishedVersion:
    """Freeze the draft and its approval as the next version. The draft stays for later edits;
    its approval is used up (the next version needs the board again). `expect_number` makes
    a repeated run (demo data) publish nothing twice. `without_approval`: the admin
    acknowledged that no board approval is recorded; used only when the draft has none (an
    approval recorded later is published as the next version)."""
    async with tenant_scope(tenant_id):
        row = await _locked_draft(tenant_id)  # the lock also serialises concurrent publishes
        number = await queries.next_version_number(row.tenant)
        if expect_number is not None and number != expect_number:
            raise VersionExists(number - 1)
        draft = draft_from_dict(row.content)
        stored = row.approval
        approval = approval_from_dict(stored) if stored else None
        errors = validate_publish(draft, approval, without_approval=without_approval)
        if errors:
            raise PublishError(errors)
        docs = [t.document_id for t in draft.tools if t.document_id]
        present = await existing_documents(tenant_id, docs, "tool")
        for tool in draft.tools:  # a reference that is not this tenant's document is dropped
            if tool.document_id and tool.document_id not in present:
                tool.document_id = None
        dates = approval.dates() if approval else None
        record = approval_to_dict(approval, dates) if approval and dates else None
        new = await queries.insert_version(row.tenant, number, draft_to_dict(draft), record,
                                           dates.gregorian if dates else None,
                                           row.minutes_document if record else None, actor, actor_name)
        await queries.clear_draft_approval(row.tenant)
        await mark_done(tenant_id, "publish")
        await audit.record(tenant_id, "policy.published", actor_user=actor, target_type="policy_version",
                           target_id=new.id, after={"number": number, "board_approval": record is not None,
                                                       "acknowledged_without_approval": record is None})
    return _version(new)


async def current_policy_version(tenant_id: Any) -> PublishedVersion | None:
    """The version in force now (the latest published), or None before the first publication.

    Call it inside the same `tenant_scope` that writes the request, so the pinned version
    is the one in force when the request was submitted."""
    async with tenant_scope(tenant_id):
        row = await PolicyVersion.select().where(PolicyVersion.tenant == tenant_id).order_by(
            PolicyVersion.number, ascending=False).first()
    return _version(row) if row else None


async def get_version(tenant_id: Any, *, number: int | None = None, version_id: Any = None) -> PublishedVersion | None:
    query = PolicyVersion.select()
    query = query.where(PolicyVersion.number == number) if number is not None else query.where(
        PolicyVersion.id == version_id)
    async with tenant_scope(tenant_id):
        row = await query.first()
    return _version(row) if row else None


async def get_version_in_tenant(tenant_id: Any, *, number: int | None = None,
                                version_id: Any = None) -> PublishedVersion:
    """A published version by number or id; NotFound for unknown ones and other tenants' alike."""
    version = await get_version(tenant_id, number=number, version_id=version_id)
    if version is None:
        raise NotFound(number if number is not None else version_id)
    return version


async def list_versions(tenant_id: Any) -> list[PublishedVersion]:
    async with tenant_scope(tenant_id):
        rows = await PolicyVersion.select().order_by(PolicyVersion.number, ascending=False)
    return [_version(r) for r in rows]


# --- onboarding checklist ---------------------------------------------------------------------


async def mark_done(tenant_id: Any, step: str) -> None:
    """Remember that an onboarding step is complete (idempotent)."""
    async with tenant_scope(tenant_id):
        await queries.mark_setup_done(uuid.UUID(str(tenant_id)), step)


# --- importing the charity's own document -----------------------------------------------------

_import_limiter: Any = None


async def get_import_document(tenant_id: Any, document_id: Any) -> dict[str, Any]:
    """One of this tenant's import documents; NotFound for any other id alike."""
    doc = await get_document_in_tenant(tenant_id, document_id)
    if doc["purpose"] != "import":
        raise NotFound(document_id)
    return doc


async def read_import(tenant_id: Any, document_id: Any) -> tuple[dict[str, Any], Any]:
    """The stored import document and what the importer proposes from it (read afresh each
    time: the same file always gives the same proposal). NotFound for anything but this
    tenant's import documents; importer.ImportError_ when the file cannot be read."""
    global _import_limiter
    doc = await get_import_document(tenant_id, document_id)
    if _import_limiter is None:
        _import_limiter = anyio.CapacityLimiter(2)  # CPU-bound: at most two documents at once
    proposal = await anyio.to_thread.run_sync(importer.propose_from, doc["filename"], bytes(doc["content"]),
                                              limiter=_import_limiter)
    return doc, proposal


async def apply_import(tenant_id: Any, document_id: Any, draft: PolicyDraft, sections: tuple[str, ...], *,
                       approval: BoardApprovalInput | None = None, actor: Any = None) -> None:
    """Write the reviewed sections of an imported draft, and the approval, in one transaction.
    Nothing is published: the draft is the admin's to finish and publish."""
    async with tenant_scope(tenant_id):
        for section in sections:
            await save_section(tenant_id, section, draft, actor=actor)
            if section != "source":
                await mark_done(tenant_id, section)
        if approval is not None:
            await save_approval(tenant_id, approval, actor=actor)
            await mark_done(tenant_id, "approval")
        await audit.record(tenant_id, "policy.draft.imported", actor_user=actor, target_type="document",
                           target_id=str(document_id), after={"sections": list(sections),
                                                              "approval": approval is not None})
