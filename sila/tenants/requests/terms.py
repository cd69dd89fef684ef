"""What the request workflow needs from a published policy version: its number, enabled
channels, steps in order, review window (and its wording), tools.

Built from the policy area's `current_policy_version` / `get_version` (frozen versions), so a
request submitted under version N is always handled by version N's terms.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from sila.tenants.policy import catalogue
from sila.tenants.policy import services as policy_services
from sila.tenants.policy.custom_fields import CustomField, from_dicts
from sila.tenants.policy.deadlines import basis_of
from sila.tenants.policy.services import PublishedVersion
from sila.tenants.requests.workflow import Workflow


@dataclasses.dataclass(frozen=True)
class Term:
    key: str  # catalogue code, or "own:<Arabic name>" for the tenant's own channel / tool
    code: str | None
    label_ar: str
    label_en: str
    note: str = ""
    public_form: bool = False
    document: Any = None  # a tool's uploaded document (policy area: /portal/documents/<id>)

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label_ar


@dataclasses.dataclass(frozen=True)
class PolicyTerms:
    number: int
    steps: tuple[str, ...]
    review_window_days: int | None
    window_text_ar: str
    window_text_en: str
    attest_text_ar: str
    attest_text_en: str
    channels: tuple[Term, ...]  # enabled only, in the policy's order
    tools: tuple[Term, ...]
    review_window_basis: str = "calendar"  # sila.platform.workdays: calendar or working days
    appeal_days: int = 0  # 0: the policy offers no appeal
    online_completion: bool = False  # an incomplete request may be completed from /track
    # The charity's own questions on its support-request form, as this version published them
    # (a request answers and is shown with the questions of the version it pins).
    custom_fields: tuple[CustomField, ...] = ()

    @property
    def workflow(self) -> Workflow:
        return Workflow.from_steps(self.steps)

    @property
    def public_form_open(self) -> bool:
        return any(c.public_form for c in self.channels)

    @property
    def public_channel(self) -> Term | None:
        """The channel an online request is recorded under: the website when enabled."""
        return next((c for c in self.channels if c.code == "website"), None) or next(
            (c for c in self.channels if c.public_form), None)

    def channel(self, key: str) -> Term | None:
        return next((c for c in self.channels if c.key == key), None)

    def staff_channels(self) -> list[Term]:
        """Channels a relations officer records on an applicant's behalf (not the online form)."""
        return [c for c in self.channels if not c.public_form]

    def window_text(self, lang: str) -> str:
        return (self.window_text_en if lang == "en" else self.window_text_ar).strip()

    def attest_text(self, lang: str) -> str:
        return self.attest_text_en if lang == "en" else self.attest_text_ar


def _term(item: Any, table: dict[str, Any]) -> Term:
    std = table.get(item.code) if item.code else None
    return Term(
        key=item.code or "own:" + item.label_ar.strip(),
        code=item.code,
        label_ar=item.label("ar"),
        label_en=item.label("en"),
        note=getattr(item, "note", ""),
        public_form=bool(getattr(std, "public_form", False)),
        document=getattr(item, "document_id", None),
    )


def terms_of(version: PublishedVersion) -> PolicyTerms:
    policy = version.policy
    attest = next((s for s in policy.steps if s.code == "attest"), None)
    return PolicyTerms(
        number=version.number,
        steps=tuple(version.steps),
        review_window_days=version.review_window_days,
        window_text_ar=policy.review_window_text_ar,
        window_text_en=policy.review_window_text_en,
        attest_text_ar=attest.text("ar") if attest else "",
        attest_text_en=attest.text("en") if attest else "",
        channels=tuple(_term(c, catalogue.CHANNELS) for c in version.channels),
        tools=tuple(_term(t, catalogue.TOOLS) for t in version.tools),
        review_window_basis=basis_of(policy),
        appeal_days=int(getattr(policy, "appeal_days", 0) or 0),
        online_completion=bool(getattr(policy, "online_completion", False)),
        custom_fields=tuple(from_dicts(policy.custom_fields)),
    )


async def terms_in_force(tenant_id: Any) -> PolicyTerms | None:
    """The published version in force now, or None before the first is published."""
    version = await policy_services.current_policy_version(tenant_id)
    return terms_of(version) if version else None


async def terms_of_version(tenant_id: Any, number: int) -> PolicyTerms | None:
    version = await policy_services.get_version(tenant_id, number=number)
    return terms_of(version) if version else None
