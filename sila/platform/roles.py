"""The one spelling of a staff role: a `StrEnum` whose values are the strings the database stores.

Guards (`requires_staff(Role.admin)`), the workflow's action table, labels and templates (the Jinja
global `Role`) all use it; a member compares equal to its string, so `Role.admin in user.roles` holds
for roles read from the database as plain text.
"""
from __future__ import annotations

import enum

from sila.platform.i18n import N_


class Role(enum.StrEnum):
    admin = "admin"
    relations_officer = "relations_officer"
    social_researcher = "social_researcher"
    committee_member = "committee_member"
    # Reads the indicators dashboard only: no beneficiary, request or feedback page (no personal data).
    board_member = "board_member"

    @property
    def label(self) -> str:
        """The English msgid of the role's display name (translate it with gettext)."""
        return ROLE_LABELS[self]


ROLE_LABELS: dict[str, str] = {
    Role.admin: N_("Administrator"),
    Role.relations_officer: N_("Relations officer"),
    Role.social_researcher: N_("Social researcher"),
    Role.committee_member: N_("Research committee member"),
    Role.board_member: N_("Board member"),
}

# The roles that work cases and so see personal data: a guard naming no role admits these only,
# never a board member (who reads the indicators and nothing else).
CASE_ROLES: tuple[Role, ...] = (Role.admin, Role.relations_officer, Role.social_researcher, Role.committee_member)
