"""Piccolo's configuration: the one engine, and the apps in migration order."""
from piccolo.conf.apps import AppRegistry

from sila.platform.db import DB  # noqa: F401  (Piccolo looks for `DB` here)

# Order matters: later apps reference earlier apps' tables.
APPS = [
    "sila.platform.piccolo_app",
    "sila.workers.piccolo_app",
    "sila.tenants.policy.piccolo_app",
    "sila.tenants.beneficiaries.piccolo_app",
    "sila.tenants.requests.piccolo_app",  # references policy versions and beneficiaries
    "sila.tenants.notifications.piccolo_app",  # alters the outbox
    "sila.tenants.surveys.piccolo_app",  # references beneficiaries
    "sila.tenants.feedback.piccolo_app",
    "sila.tenants.reports.piccolo_app",  # evidence packs
    "sila.tenants.api.piccolo_app",  # triggers on requests, services, feedback, survey answers
]

APP_REGISTRY = AppRegistry(apps=APPS)
