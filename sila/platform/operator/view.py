"""What the console's templates share: labels of audit actions, sizes and ages for people."""
from __future__ import annotations

from sila.platform.i18n import N_, gettext, get_language
from sila.platform.templating import digits
from sila.platform.organisations import REGIONS, REGULATORS

ACTION_LABELS = {
    "operator.created": N_("Operator account created"),
    "operator.updated": N_("Operator account updated from the command line"),
    "operator.reset": N_("Operator password reset; authenticator to enrol again"),
    "operator.totp_enrolled": N_("Authenticator enrolled"),
    "operator.signed_in": N_("Signed in"),
    "tenant.approve": N_("Tenant approved"),
    "tenant.suspend": N_("Tenant suspended"),
    "tenant.reactivate": N_("Tenant reactivated"),
    "tenant.archive": N_("Tenant archived"),
    "tenant.ask_info": N_("More information asked of the sign-up"),
    "tenant.reject": N_("Sign-up rejected"),
    "tenant.quota_changed": N_("Message quota changed"),
    "tenant.export_requested": N_("Archive export requested"),
    "tenant.export_downloaded": N_("Archive export downloaded by platform support"),
    "tenant.deleted": N_("Tenant and all its data deleted"),
    "support.grant_created": N_("Support access granted"),
    "support.grant_revoked": N_("Support access revoked"),
    "support.portal_opened": N_("Opened the tenant's portal under its grant"),
    "support.session_started": N_("Platform support opened the portal"),
    "support.page_view": N_("Platform support viewed a page"),
}
EXPORT_STATUS = {"queued": N_("Waiting for a worker"), "running": N_("Being built"), "done": N_("Ready"),
                 "failed": N_("Failed"), "withdrawn": N_("Withdrawn")}


def action(code: str) -> str:
    return gettext(ACTION_LABELS[code]) if code in ACTION_LABELS else code


def regulator(code: str) -> str:
    item = REGULATORS.get(code)
    return item.label(get_language()) if item else ""


def region(code: str) -> str:
    item = REGIONS.get(code)
    return item.label(get_language()) if item else ""


def size(n: int | None) -> str:
    value, unit = float(n or 0), N_("B")
    for unit in (N_("B"), N_("KB"), N_("MB"), N_("GB")):
        if value < 1024 or unit == "GB":
            break
        value /= 1024
    text = f"{value:.0f}" if unit == "B" or value >= 100 else f"{value:.1f}"
    if get_language() == "ar":
        text = text.replace(".", "٫")  # the Arabic decimal separator
    return f"{digits(text)} {gettext(unit)}"


def age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = int(seconds)
    if s < 120:
        return gettext("%(n)s s", n=digits(s))
    if s < 7200:
        return gettext("%(n)s min", n=digits(s // 60))
    return gettext("%(n)s h", n=digits(s // 3600))


def percent(part: int, whole: int) -> int:
    return min(100, round(100 * part / whole)) if whole else 0
