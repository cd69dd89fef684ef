"""The admin's forms for API keys and webhook subscriptions: one model each, read by parse_form."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from sila.platform.forms import AnyDay, Form, Many, Text
from sila.platform.i18n import N_

# What a key may do, per area. `reveal` shows full ID numbers (each reveal audited).
SCOPES = {
    "beneficiaries:read": N_("Beneficiaries: read (ID numbers masked)"),
    "beneficiaries:reveal": N_("Beneficiaries: reveal full ID numbers (audited)"),
    "requests:read": N_("Requests: read, with their stage history"),
    "requests:write": N_("Requests: create from another intake system"),
    "decisions:read": N_("Committee decisions: read"),
    "services:read": N_("Services delivered: read"),
    "services:write": N_("Services delivered: record"),
    "surveys:read": N_("Survey answers: read"),
    "complaints:read": N_("Suggestions and complaints: read"),
}
EVENTS = {
    "request.submitted": N_("A request was submitted"),
    "request.stage_changed": N_("A request moved to another stage"),
    "request.decided": N_("A decision was taken on a request"),
    "service.delivered": N_("A service was delivered"),
    "complaint.received": N_("A complaint was received"),
    "survey.answered": N_("A survey was answered"),
}
MSG_SCOPES_REQUIRED = N_("Choose at least one permission.")
MSG_EVENTS_REQUIRED = N_("Choose at least one event.")
MSG_EXPIRY_PAST = N_("Choose a day after today, or leave it empty for a key that does not expire.")


class KeyForm(Form):
    name: Annotated[str, Text(100, required=N_("Name the key after the system that will use it."),
                              too_long=N_("Keep the name to 100 characters or fewer."))]
    scopes: Annotated[list[str], Many(SCOPES, required=MSG_SCOPES_REQUIRED)]
    expires_on: Annotated[dt.date | None, AnyDay()]


class WebhookForm(Form):
    url: Annotated[str, Text(500, required=N_("Enter the address that will receive the events (https://…)."),
                             too_long=N_("Keep the address to 500 characters or fewer."))]
    events: Annotated[list[str], Many(EVENTS, required=MSG_EVENTS_REQUIRED)]

# Why sila.platform.outbound refused a webhook's address, as the admin is told.
from sila.platform import outbound  # noqa: E402

REFUSALS = {
    outbound.SCHEME: N_("Enter the receiving address, starting with https://."),
    outbound.HOST: N_("Enter the receiving address, starting with https://."),
    outbound.INTERNAL: N_("This address points to this server or inside a private network, which is not allowed."),
    outbound.UNRESOLVED: N_("This address cannot be found. Check it and try again."),
}
