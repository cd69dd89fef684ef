"""Notification settings, providers, templates and sent-once keys (migrations/notifications).
Services use SQL directly; these declare the tables for Piccolo's registry."""
from __future__ import annotations

from piccolo.columns import UUID, Array, Boolean, Bytea, Date, ForeignKey, Integer, Text, Time, Timestamptz, Varchar
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.tables import StaffUser, Tenant


class NotificationSettings(Table, tablename="notification_settings", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    quiet_enabled = Boolean(default=True)
    quiet_start = Time()
    quiet_end = Time()
    channel_order = Array(Text())
    reminder_percents = Array(Integer())
    reminder_days_before = Array(Integer())
    escalate_overdue = Boolean(default=True)
    digest_enabled = Boolean(default=True)
    digest_hour = Integer(default=8)
    quota_notified_month = Date(null=True, default=None)
    updated_at = Timestamptz()


class ProviderConfig(Table, tablename="provider_config", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    channel = Varchar(length=20)
    provider = Varchar(length=20)
    enabled = Boolean(default=True)
    base_url = Text()
    account = Text(default="")
    sender = Text(default="")
    secret_enc = Bytea(null=True, default=None)
    secret_hint = Varchar(length=8, default="")
    signing_secret_enc = Bytea(null=True, default=None)
    signing_secret_hint = Varchar(length=8, default="")
    webhook_token = Varchar(length=64)
    updated_by = ForeignKey(StaffUser, null=True, default=None)
    updated_at = Timestamptz()


class MessageTemplate(Table, tablename="message_template", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    kind = Varchar(length=60)
    lang = Varchar(length=5)
    subject = Text(default="")
    body = Text()
    whatsapp_name = Varchar(length=100, default="")
    updated_by = ForeignKey(StaffUser, null=True, default=None)
    updated_at = Timestamptz()


class ReminderSent(Table, tablename="reminder_sent", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    key = Text()
    created_at = Timestamptz()


ALL = [NotificationSettings, ProviderConfig, MessageTemplate, ReminderSent]
