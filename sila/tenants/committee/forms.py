"""The committee's forms, each one model read by `parse_form`: a session, its agenda, a vote, a decision."""
from __future__ import annotations

from typing import Annotated, Any

from sila.platform.forms import Choice, Flag, Form, LocalDateTime, Many, Text, WholeNumber
from sila.platform.i18n import N_
from sila.tenants.committee.rule import MAJORITIES, MAX_MEMBERS, MSG_MAJORITY, MSG_MEMBERS_REQUIRED, \
    MSG_QUORUM_COUNT, MSG_QUORUM_KIND, QUORUM_KINDS

MSG_WHEN_REQUIRED = N_("Enter the date and time of the session.")
MSG_VOTE_REQUIRED = N_("Choose your vote.")
MSG_DECISION_REQUIRED = N_("Choose the committee's decision.")
MSG_CHOOSE_MEMBER = N_("Choose a member from the list.")
VOTES = {"accept": N_("Accept"), "reject": N_("Decline"), "abstain": N_("Abstain")}
# What the presiding member may confirm: the rule's outcome, or deferring the item to a later session.
DECISIONS = {"accept": N_("Accept the request"), "reject": N_("Decline the request"),
             "defer": N_("Defer to a later session")}
MAX_REASON = 4000


class SessionForm(Form):
    held_at: Annotated[Any, LocalDateTime(required=MSG_WHEN_REQUIRED, message=MSG_WHEN_REQUIRED)]
    location: Annotated[str, Text(200)]


class AgendaForm(Form):
    requests: Annotated[list[str], Many(max_items=100)]


class VoteForm(Form):
    vote: Annotated[str, Choice(VOTES, message=MSG_VOTE_REQUIRED)]
    reasons: Annotated[str, Text(MAX_REASON, multiline=True)]


class DecideForm(Form):
    decision: Annotated[str, Choice(DECISIONS, message=MSG_DECISION_REQUIRED)]
    reason: Annotated[str, Text(MAX_REASON, multiline=True)]


class ConflictForm(Form):
    reasons: Annotated[str, Text(MAX_REASON, multiline=True)]


class AttendanceForm(Form):
    """The members present (ticked); the others are recorded absent."""

    present: Annotated[list[str], Many(max_items=MAX_MEMBERS, message=MSG_CHOOSE_MEMBER)]


class RuleForm(Form):
    """The policy's committee page. Which staff may be chosen is checked by `rule.validate`."""

    members: Annotated[list[str], Many(max_items=MAX_MEMBERS, message=MSG_MEMBERS_REQUIRED,
                                       required=MSG_MEMBERS_REQUIRED)]
    chair: Annotated[str, Text(40, too_long=MSG_CHOOSE_MEMBER)]
    deputy: Annotated[str, Text(40, too_long=MSG_CHOOSE_MEMBER)]
    quorum: Annotated[str, Choice(QUORUM_KINDS, default="majority", message=MSG_QUORUM_KIND)]
    quorum_count: Annotated[int | None, WholeNumber(1, MAX_MEMBERS, message=MSG_QUORUM_COUNT)]
    majority: Annotated[str, Choice(MAJORITIES, default="simple", message=MSG_MAJORITY)]
    casting_vote: Annotated[bool, Flag()]
