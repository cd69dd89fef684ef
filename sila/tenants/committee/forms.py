"""The committee's forms, each one model read by `parse_form`: a session, its agenda, a vote, a decision."""
from __future__ import annotations

from typing import Annotated, Any

from sila.platform.forms import Choice, Form, LocalDateTime, Many, Text
from sila.platform.i18n import N_

MSG_WHEN_REQUIRED = N_("Enter the date and time of the session.")
MSG_VOTE_REQUIRED = N_("Choose your vote.")
MSG_DECISION_REQUIRED = N_("Choose the committee's decision.")
VOTES = {"accept": N_("Accept"), "reject": N_("Decline"), "abstain": N_("Abstain")}
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
    decision: Annotated[str, Choice(("accept", "reject"), message=MSG_DECISION_REQUIRED)]
    reason: Annotated[str, Text(MAX_REASON, multiline=True)]
