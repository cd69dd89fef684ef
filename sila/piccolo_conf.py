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
]

APP_REGISTRY = AppRegistry(apps=APPS)
