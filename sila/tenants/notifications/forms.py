"""Reading and checking the notification forms; messages are English msgids, translated when added."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from sila.platform.dates import parse_digits
from sila.platform.i18n import N_
from sila.platform.settings import get_settings
from sila.platform.web import FormErrors, form_value
from sila.tenants.notifications.catalogue import VARIABLE_RE, VARIABLES, Kind
from sila.tenants.notifications.services import CHANNEL_PROVIDERS, GatewayInput
from sila.workers.outbox import CHANNELS

TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
SENDER_RE = re.compile(r"^[A-Za-z0-9 .&'-]{2,11}$")
WHATSAPP_NAME_RE = re.compile(r"^[a-z0-9_]{1,100}$")
NEEDS_ACCOUNT = {"msegat": N_("Enter the Msegat user name."), "twilio": N_("Enter the Twilio Account SID."),
                 "whatsapp_cloud": N_("Enter the WhatsApp phone number ID.")}
CHANNEL_LABELS = {"sms": N_("Text message (SMS)"), "whatsapp": N_("WhatsApp"), "email": N_("Email")}


def _checked(data: Any, name: str) -> bool:
    return form_value(data, name) in ("on", "yes", "1", "true")


def _time(raw: str, field: str, errors: FormErrors) -> dt.time | None:
    m = TIME_RE.match(parse_digits(raw or ""))
    if not m:
        errors.add(field, "Enter a time as hours and minutes, for example 21:30.")
        return None
    return dt.time(int(m.group(1)), int(m.group(2)))


def _numbers(raw: str, field: str, low: int, high: int, errors: FormErrors) -> list[int]:
    parts = [p.strip() for p in re.split(r"[,،\s]+", parse_digits(raw or "")) if p.strip()]
    if len(parts) > 5 or not all(p.isdigit() and low <= int(p) <= high for p in parts):
        errors.add(field, "Enter up to five whole numbers from %(low)s to %(high)s, separated by commas.",
                   low=low, high=high)
        return []
    return sorted({int(p) for p in parts})


def read_settings(data: Any) -> tuple[dict[str, Any], dict[str, str], FormErrors]:
    """(values to save, what was typed, errors)."""
    errors = FormErrors()
    typed = {k: form_value(data, k) for k in ("quiet_start", "quiet_end", "channel_1", "channel_2", "channel_3",
                                              "reminder_percents", "reminder_days_before", "digest_hour")}
    for flag in ("quiet_enabled", "escalate_overdue", "digest_enabled"):
        typed[flag] = "on" if _checked(data, flag) else ""
    order = [typed["channel_1"], typed["channel_2"], typed["channel_3"]]
    if sorted(order) != sorted(CHANNELS):
        errors.add("channel_order", "Put each channel once in the order.")
    hour = parse_digits(typed["digest_hour"] or "")
    if not hour.isdigit() or int(hour) > 23:
        errors.add("digest_hour", "Enter an hour from 0 to 23.")
    values = {
        "quiet_enabled": bool(typed["quiet_enabled"]),
        "quiet_start": _time(typed["quiet_start"], "quiet_start", errors),
        "quiet_end": _time(typed["quiet_end"], "quiet_end", errors),
        "channel_order": order,
        "reminder_percents": _numbers(typed["reminder_percents"], "reminder_percents", 1, 99, errors),
        "reminder_days_before": _numbers(typed["reminder_days_before"], "reminder_days_before", 1, 60, errors),
        "escalate_overdue": bool(typed["escalate_overdue"]),
        "digest_enabled": bool(typed["digest_enabled"]),
        "digest_hour": int(hour) if hour.isdigit() else 0,
    }
    if values["quiet_enabled"] and values["quiet_start"] and values["quiet_start"] == values["quiet_end"]:
        errors.add("quiet_end", "Quiet hours must end at another time than they start.")
    return values, typed, errors


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


def read_gateway(channel: str, data: Any, stored: dict[str, Any] | None) -> tuple[GatewayInput, dict[str, str], FormErrors]:
    errors = FormErrors()
    # Secrets are never typed back into the form: a failed save asks for them again.
    typed = {k: form_value(data, k) for k in ("provider", "base_url", "account", "sender")}
    typed["enabled"] = "on" if _checked(data, "enabled") else ""
    secret, signing = form_value(data, "secret"), form_value(data, "signing_secret")
    provider = typed["provider"]
    if provider not in CHANNEL_PROVIDERS[channel]:
        errors.add("provider", "Choose a provider.")
    url = urlsplit(typed["base_url"])
    schemes = ("https",) if get_settings().env == "production" else ("https", "http")
    if url.scheme not in schemes or not url.hostname or url.username or url.password:
        errors.add("base_url", "Enter the gateway's address, starting with https://.")
    if provider in NEEDS_ACCOUNT and not typed["account"]:
        errors.add("account", NEEDS_ACCOUNT[provider])
    if channel == "sms":
        if provider == "twilio":
            if not re.match(r"^(\+\d{8,15}|[A-Za-z0-9 ]{2,11})$", typed["sender"]):
                errors.add("sender", "Enter the Twilio number (with +) or the registered sender name.")
        elif not SENDER_RE.match(typed["sender"]):
            errors.add("sender", "Enter the sender name registered with the gateway (2 to 11 Latin letters or digits).")
    same_provider = stored and stored.get("provider") == provider
    if not secret and not (same_provider and stored.get("has_secret")):
        errors.add("secret", "Enter the key or token the gateway gave you.")
    if len(secret) > 500 or len(signing) > 500:
        errors.add("secret", "This key is too long.")
    data_in = GatewayInput(channel=channel, provider=provider, enabled=bool(typed["enabled"]),
                           base_url=typed["base_url"].rstrip("/"), account=typed["account"], sender=typed["sender"],
                           secret=secret, signing_secret=signing)
    return data_in, typed, errors


def read_template(kind: Kind, data: Any) -> tuple[dict[str, dict[str, str]], str, dict[str, str], FormErrors]:
    errors = FormErrors()
    typed = {k: form_value(data, k) for k in ("ar_subject", "ar_body", "en_subject", "en_body", "whatsapp_name")}
    allowed = set(kind.variables) | {"org"}
    texts: dict[str, dict[str, str]] = {}
    for lang in ("ar", "en"):
        body, subject = typed[f"{lang}_body"], typed[f"{lang}_subject"]
        for field, text in ((f"{lang}_body", body), (f"{lang}_subject", subject)):
            unknown = sorted(set(VARIABLE_RE.findall(text)) - allowed)
            if unknown:
                errors.add(field, "Unknown variable %(names)s. You can use: %(allowed)s.",
                           names=", ".join("{" + n + "}" for n in unknown),
                           allowed=", ".join("{" + n + "}" for n in sorted(allowed)))
        if not body:
            errors.add(f"{lang}_body", "Write the message.")
        elif len(body) > 1000:
            errors.add(f"{lang}_body", "Keep the message to 1000 characters or fewer.")
        missing = [n for n in kind.required if "{" + n + "}" not in body]
        if body and missing:
            errors.add(f"{lang}_body", "This message must contain %(names)s.",
                       names=", ".join("{" + n + "}" for n in missing))
        if len(subject) > 200:
            errors.add(f"{lang}_subject", "Keep the subject to 200 characters or fewer.")
        texts[lang] = {"subject": subject, "body": body}
    if not WHATSAPP_NAME_RE.match(typed["whatsapp_name"]):
        errors.add("whatsapp_name", "Use the template's name as approved in WhatsApp: lowercase Latin letters, digits "
                                    "and underscores.")
    return texts, typed["whatsapp_name"], typed, errors


def variable_help() -> dict[str, str]:
    return dict(VARIABLES)
