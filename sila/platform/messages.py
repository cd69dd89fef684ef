"""The one way to compose a message: every message is a kind + a recipient's language + a context,
and `compose(kind, lang, context)` turns it into (subject, text, html) before `outbox.enqueue`.

Two sources of wording, one function:

- the kinds in `TEMPLATES` (the platform's own mail: invitations, password resets, sign-up
  confirmation, tenant approved, the archive; and staff notices: reminders, the quota notice) are
  written as gettext templates in templates/email/<name>.txt (first line: the subject) and, when
  the mail has one, <name>.html;
- the kinds a tenant may reword (request, survey and feedback messages to applicants) are
  written with `{name}` variables: the notifications area (sila/tenants/notifications) looks up
  the tenant's wording, or its default, and passes it as `wording`. The platform never imports a
  tenant area, so that look-up stays there; the filling is here.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, NamedTuple

from jinja2 import TemplateNotFound

from sila.platform.i18n import direction, language
from sila.platform.templating import environment

# kind (the outbox's `kind`) -> templates/email/<name>.{txt,html}
TEMPLATES = {
    "staff.invite": "invite",
    "staff.password_reset": "reset",
    "platform.signup_confirm": "signup_confirm",
    "platform.tenant_approved": "tenant_approved",
    "platform.tenant_info_requested": "tenant_info_requested",
    "platform.tenant_rejected": "tenant_rejected",
    "platform.signup_alert": "signup_alert",
    "platform.export_ready": "export_ready",
    "notifications.quota_reached": "quota_reached",
    "staff.assigned": "staff_assigned",
    "staff.referred": "staff_referred",
    "staff.completed": "staff_completed",
    "reminder.due": "reminder_due",
    "reminder.overdue": "reminder_overdue",
    "reminder.digest": "reminder_digest",
    "reminder.step_due": "reminder_step_due",
    "reminder.step_overdue": "reminder_step_overdue",
}

VARIABLE_RE = re.compile(r"\{(\w+)\}")


class Composed(NamedTuple):
    subject: str
    text: str
    html: str


@dataclasses.dataclass(frozen=True)
class Wording:
    """A subject and body written with `{name}` variables (a tenant's own, or its default)."""

    subject: str
    body: str


def fill(text: str, values: dict[str, Any]) -> str:
    """Replace `{name}` with its value; anything else stays as written (no format-string tricks)."""
    return VARIABLE_RE.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


def compose(kind: str, lang: str, context: dict[str, Any], wording: Wording | None = None) -> Composed:
    """The message `kind` for a reader of `lang`, from `wording` when given, else from the kind's
    templates. A kind with neither is a programming error (KeyError), never a silent blank mail."""
    if wording is not None:
        return Composed(fill(wording.subject, context), fill(wording.body, context), "")
    name = TEMPLATES[kind]
    env = environment()
    with language(lang):
        ctx = {**context, "lang": lang, "dir": direction(lang)}
        text = env.get_template(f"email/{name}.txt").render(ctx)
        try:
            html = env.get_template(f"email/{name}.html").render(ctx)
        except TemplateNotFound:
            html = ""  # a plain-text notice (staff reminders, the quota notice)
    subject, _, body = text.partition("\n")
    return Composed(subject.strip(), body.strip() + "\n", html)
