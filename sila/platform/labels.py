"""Display names of the platform's codes (English msgids; templates translate them)."""
from sila.platform.i18n import N_

ROLE_LABELS = {
    "admin": N_("Administrator"),
    "relations_officer": N_("Relations officer"),
    "social_researcher": N_("Social researcher"),
    "committee_member": N_("Research committee member"),
}
STATUS_LABELS = {
    "pending": N_("Pending approval"),
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "archived": N_("Archived"),
}
KIND_LABELS = {"association": N_("Association"), "waqf": N_("Waqf")}
