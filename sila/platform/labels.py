"""Display names of the platform's codes (English msgids; templates translate them); roles: `roles.ROLE_LABELS`."""
from sila.platform.i18n import N_

STATUS_LABELS = {
    "pending": N_("Pending approval"),
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "archived": N_("Archived"),
}
KIND_LABELS = {"association": N_("Association"), "waqf": N_("Waqf")}
