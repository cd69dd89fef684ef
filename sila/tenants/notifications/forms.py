"""The notification forms (settings, a gateway, a message's wording): one form model each, read by
`sila.platform.forms.parse_form`."""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import ValidationInfo, field_validator

from sila.platform import outbound
from sila.platform.forms import (Flag, Form, FormErrors, NumberList, Password, Text, TimeOfDay, WholeNumber, as_typed,
                                 earlier, parse_form, problem)
from sila.platform.i18n import N_
from sila.platform.messages import VARIABLE_RE
from sila.tenants.notifications.catalogue import Kind
from sila.tenants.notifications.services import CHANNEL_PROVIDERS, Gateway, GatewayInput
from sila.workers.outbox import CHANNELS

SENDER_RE = re.compile(r"^[A-Za-z0-9 .&'-]{2,11}$")
WHATSAPP_NAME_RE = re.compile(r"^[a-z0-9_]{1,100}$")
NEEDS_ACCOUNT = {"msegat": N_("Enter the Msegat user name."), "twilio": N_("Enter the Twilio Account SID."),
                 "whatsapp_cloud": N_("Enter the WhatsApp phone number ID.")}
CHANNEL_LABELS = {"sms": N_("Text message (SMS)"), "whatsapp": N_("WhatsApp"), "email": N_("Email")}


MSG_ORDER = N_("Put each channel once in the order.")
MSG_NUMBERS = N_("Enter up to five whole numbers from %(low)s to %(high)s, separated by commas.")


class SettingsForm(Form):
    quiet_enabled: Annotated[bool, Flag()]
    quiet_start: Annotated[dt.time, TimeOfDay()]
    quiet_end: Annotated[dt.time, TimeOfDay()]
    channel_1: Annotated[str, Text(20)]
    channel_2: Annotated[str, Text(20)]
    channel_3: Annotated[str, Text(20)]
    reminder_percents: Annotated[list[int], NumberList(1, 99, message=MSG_NUMBERS)]
    reminder_days_before: Annotated[list[int], NumberList(1, 60, message=MSG_NUMBERS)]
    escalate_overdue: Annotated[bool, Flag()]
    digest_enabled: Annotated[bool, Flag()]
    digest_hour: Annotated[int, WholeNumber(0, 23, required=True, message=N_("Enter an hour from 0 to 23."))]

    @field_validator("quiet_end")
    @classmethod
    def _ends_after_it_starts(cls, end: dt.time, info: ValidationInfo) -> dt.time:
        if earlier(info, "quiet_enabled") and earlier(info, "quiet_start") == end:
            raise problem(N_("Quiet hours must end at another time than they start."))
        return end

    @field_validator("channel_3")
    @classmethod
    def _each_channel_once(cls, third: str, info: ValidationInfo) -> str:
        if sorted([as_typed(info, "channel_1").strip(), as_typed(info, "channel_2").strip(), third]) != sorted(CHANNELS):
            raise problem(MSG_ORDER, at="channel_order")
        return third


FLAGS = ("quiet_enabled", "escalate_overdue", "digest_enabled")


def read_settings(data: Any) -> tuple[dict[str, Any] | None, dict[str, str], FormErrors]:
    """(values to save or None, what was typed, errors)."""
    parsed = parse_form(SettingsForm, data)
    typed = {**parsed.typed, **{flag: "on" if parsed.typed[flag].strip() else "" for flag in FLAGS}}
    if parsed.value is None:
        return None, typed, parsed.errors
    values = parsed.value.model_dump()
    values["channel_order"] = [values.pop(f"channel_{i}") for i in (1, 2, 3)]
    return values, typed, parsed.errors


def settings_as_form(values: dict[str, Any]) -> dict[str, str]:
    order = list(values["channel_order"]) + [c for c in CHANNELS if c not in values["channel_order"]]
    return {
        "quiet_enabled": "on" if values["quiet_enabled"] else "",
        "quiet_start": values["quiet_start"].strftime("%H:%M"), "quiet_end": values["quiet_end"].strftime("%H:%M"),
        "channel_1": order[0], "channel_2": order[1], "channel_3": order[2],
        "reminder_percents": ", ".join(map(str, values["reminder_percents"])),
        "reminder_days_before": ", ".join(map(str, values["reminder_days_before"])),
        "escalate_overdue": "on" if values["escalate_overdue"] else "",
        "digest_enabled": "on" if values["digest_enabled"] else "", "digest_hour": str(values["digest_hour"]),
    }


# Why sila.platform.outbound refused a gateway's address, as the admin is told.
REFUSED_MESSAGES = {
    outbound.SCHEME: N_("Enter the gateway's address, starting with https://."),
    outbound.HOST: N_("Enter the gateway's address, starting with https://."),
    outbound.INTERNAL: N_("This address points to this server or inside a private network, which is not allowed. "
                          "Enter the gateway's public address, as its provider gives it."),
    outbound.UNRESOLVED: N_("This address cannot be found. Check the gateway's address and try again."),
}


def outbound_refusal(url: str) -> str:
    """The message for an address the outbound rule refuses without asking DNS; "" when it passes."""
    try:
        outbound.check_url(url)
    except outbound.Refused as exc:
        return REFUSED_MESSAGES[exc.reason]
    return ""


def _gateway(info: ValidationInfo) -> tuple[str, Gateway | None]:
    context = info.context or {}
    return context["channel"], context.get("stored")


class GatewayForm(Form):
    """An SMS or WhatsApp gateway. Secrets are never typed back into the form: a failed save asks
    for them again."""

    provider: Annotated[str, Text(40)]
    enabled: Annotated[bool, Flag()]
    base_url: Annotated[str, Text(500)]
    account: Annotated[str, Text(200)]
    sender: Annotated[str, Text(100)]
    secret: Annotated[str, Password(max_length=500)]
    signing_secret: Annotated[str, Password(max_length=500)]

    @field_validator("provider")
    @classmethod
    def _provider(cls, provider: str, info: ValidationInfo) -> str:
        if provider not in CHANNEL_PROVIDERS[_gateway(info)[0]]:
            raise problem(N_("Choose a provider."))
        return provider

    @field_validator("base_url")
    @classmethod
    def _address(cls, url: str) -> str:
        if refused := outbound_refusal(url):
            raise problem(refused)
        return url.rstrip("/")

    @field_validator("account")
    @classmethod
    def _account(cls, account: str, info: ValidationInfo) -> str:
        provider = as_typed(info, "provider").strip()
        if provider in NEEDS_ACCOUNT and not account:
            raise problem(NEEDS_ACCOUNT[provider])
        return account

    @field_validator("sender")
    @classmethod
    def _sender(cls, sender: str, info: ValidationInfo) -> str:
        if _gateway(info)[0] != "sms":
            return sender
        if as_typed(info, "provider").strip() == "twilio":
            if not re.match(r"^(\+\d{8,15}|[A-Za-z0-9 ]{2,11})$", sender):
                raise problem(N_("Enter the Twilio number (with +) or the registered sender name."))
        elif not SENDER_RE.match(sender):
            raise problem(N_("Enter the sender name registered with the gateway (2 to 11 Latin letters or digits)."))
        return sender

    @field_validator("secret")
    @classmethod
    def _secret(cls, secret: str, info: ValidationInfo) -> str:
        stored = _gateway(info)[1]
        same_provider = stored is not None and stored.provider == as_typed(info, "provider").strip()
        if not secret and not (same_provider and stored is not None and stored.has_secret):
            raise problem(N_("Enter the key or token the gateway gave you."))
        return secret


def read_gateway(channel: str, data: Any, stored: Gateway | None
                 ) -> tuple[GatewayInput | None, dict[str, str], FormErrors]:
    """(the gateway to save or None, what was typed (no secrets), errors)."""
    parsed = parse_form(GatewayForm, data, context={"channel": channel, "stored": stored})
    typed = {k: parsed.typed[k].strip() for k in ("provider", "base_url", "account", "sender")}
    typed["enabled"] = "on" if parsed.typed["enabled"].strip() else ""
    errors = parsed.errors
    if "signing_secret" in errors:  # one box for both keys' length on the page
        errors.setdefault("secret", []).extend(errors.pop("signing_secret"))
    form = parsed.value
    if form is None:
        return None, typed, errors
    return GatewayInput(channel=channel, provider=form.provider, enabled=form.enabled, base_url=form.base_url,
                        account=form.account, sender=form.sender, secret=form.secret,
                        signing_secret=form.signing_secret), typed, errors


def _variables(cls: Any, text: str, info: ValidationInfo) -> str:
    kind: Kind = (info.context or {})["kind"]
    allowed = set(kind.variables) | {"org"}
    unknown = sorted(set(VARIABLE_RE.findall(text)) - allowed)
    if unknown:
        raise problem(N_("Unknown variable %(names)s. You can use: %(allowed)s."),
                      names=", ".join("{" + n + "}" for n in unknown),
                      allowed=", ".join("{" + n + "}" for n in sorted(allowed)))
    return text


def _body(cls: Any, body: str, info: ValidationInfo) -> str:
    if not body:
        raise problem(N_("Write the message."))
    _variables(cls, body, info)
    kind: Kind = (info.context or {})["kind"]
    missing = [n for n in kind.required if "{" + n + "}" not in body]
    if missing:
        raise problem(N_("This message must contain %(names)s."), names=", ".join("{" + n + "}" for n in missing))
    return body


Subject = Annotated[str, Text(200, too_long=N_("Keep the subject to 200 characters or fewer."))]
Body = Annotated[str, Text(1000, multiline=True, too_long=N_("Keep the message to 1000 characters or fewer."))]


class TemplateForm(Form):
    """A message's wording in both languages, for the kind in the context (`kind`)."""

    ar_subject: Subject
    ar_body: Body
    en_subject: Subject
    en_body: Body
    whatsapp_name: Annotated[str, Text(100)]

    _subjects = field_validator("ar_subject", "en_subject")(classmethod(_variables))
    _bodies = field_validator("ar_body", "en_body")(classmethod(_body))

    @field_validator("whatsapp_name")
    @classmethod
    def _whatsapp_name(cls, name: str) -> str:
        if not WHATSAPP_NAME_RE.match(name):
            raise problem(N_("Use the template's name as approved in WhatsApp: lowercase Latin letters, digits "
                             "and underscores."))
        return name


def read_template(kind: Kind, data: Any) -> tuple[dict[str, dict[str, str]], str, dict[str, str], FormErrors]:
    parsed = parse_form(TemplateForm, data, context={"kind": kind})
    form = parsed.value
    if form is None:
        texts = {lang: {"subject": parsed.typed[f"{lang}_subject"].strip(), "body": parsed.typed[f"{lang}_body"].strip()}
                 for lang in ("ar", "en")}
        return texts, parsed.typed["whatsapp_name"].strip(), parsed.typed, parsed.errors
    texts = {lang: {"subject": getattr(form, f"{lang}_subject"), "body": getattr(form, f"{lang}_body")}
             for lang in ("ar", "en")}
    return texts, form.whatsapp_name, parsed.typed, parsed.errors
