"""Support requests' services: intake (online and by staff), reading, queues, workflow transitions.

A package of modules, one job each; this module re-exports their public names so that
`from sila.tenants.requests import services` keeps working for every area that calls it.
"""
from __future__ import annotations

from sila.platform.actors import Actor
from sila.platform.errors import NotFound
from sila.tenants.requests.services.common import Problem, new_reference, normalise_reference
from sila.tenants.requests.services.intake import (
    MSG_CHANNEL,
    OnlineSubmission,
    StaffIntake,
    Submitted,
    record_by_staff,
    submit_online,
)
from sila.tenants.requests.services.queue import (
    NEXT_AGENDA,
    QueueFilter,
    overdue_count,
    queue,
    queue_count,
    search_clause,
    staff_with_role,
)
from sila.tenants.requests.queries import AppealRecord, appeals_of
from sila.tenants.requests.services.reading import get_request_document_in_tenant, get_request_in_tenant
from sila.tenants.requests.actions import CHECKLIST, Invalid
from sila.tenants.requests.forms import MSG_SIGNER_REQUIRED
from sila.tenants.requests.workflow import MSG_WRONG_ROLE, MSG_WRONG_STATE, TransitionError
from sila.tenants.requests.services.transitions import (
    MSG_ASSIGNEE,
    act,
    act_in_scope,
    add_documents,
    assign,
    assign_many,
)

__all__ = [
    "AppealRecord", "appeals_of",
    "CHECKLIST", "Invalid", "MSG_ASSIGNEE", "MSG_WRONG_ROLE", "MSG_WRONG_STATE", "TransitionError", "MSG_CHANNEL", "MSG_SIGNER_REQUIRED", "NEXT_AGENDA", "Actor", "NotFound",
    "OnlineSubmission", "Problem", "QueueFilter", "StaffIntake", "Submitted", "act", "act_in_scope",
    "add_documents", "assign", "assign_many", "get_request_document_in_tenant", "get_request_in_tenant", "new_reference",
    "normalise_reference", "overdue_count", "queue", "queue_count", "record_by_staff", "search_clause",
    "staff_with_role", "submit_online",
]
