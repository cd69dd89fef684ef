"""Demo tenants for `sila dev` and `sila load-demo`: the seed organisations, each active with
an admin and its published seed policy, its staff and a living queue (requests at every stage,
committee sessions, complaints: sila/tenants/work/demo.py), and one platform operator.

Idempotent: a second run creates nothing new and keeps the same passwords. Passwords are
made once and kept in `<data dir>/demo-credentials.json`, so the login printed by `sila dev`
stays the same between runs (if the file is lost, new ones are made and set).
A tenant that exists already keeps its status: a demo tenant suspended from the operator
console stays suspended across restarts.
"""
from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sila.platform import directory
from sila.platform.accounts.services import add_member
from sila.platform.auth import hash_password, verify_password
from sila.platform.operator.services import create_operator
from sila.platform.roles import Role
from sila.platform.settings import Settings
from sila.platform.tables import StaffUser
from sila.tenants.policy.demo import publish_seed_policy
from sila.tenants.policy.seeds import seed_organisations
from sila.tenants.work.demo import demo_committee_rule, load_demo_cases

CREDENTIALS_FILE = "demo-credentials.json"
OPERATOR_EMAIL = "operator@sila.demo"
OPERATOR_NAME = "مشغّل المنصة"


@dataclass
class DemoTenant:
    slug: str
    name_ar: str
    name_en: str
    status: str
    email: str
    password: str
    staff: list[tuple[str, str, str]] = field(default_factory=list)  # (email, password, role)


@dataclass
class DemoAccounts:
    tenants: list[DemoTenant] = field(default_factory=list)
    operator_email: str = OPERATOR_EMAIL
    operator_password: str = ""


def demo_organisations() -> list[Any]:
    """The organisations of `shared/seeds/`, as the policy area records them
    (`SeedOrganisation`: slug, kind, names, and the policy their board approved)."""
    return seed_organisations()


def admin_email(slug: str) -> str:
    return f"admin@{slug}.demo"


def _credentials(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_credentials(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)


def _new_password() -> str:
    # Letters and digits only, so a double-click selects all of it in a terminal.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


async def _ensure_password(email: str, password: str) -> None:
    """Make the stored hash match `password` (after a lost credentials file, say)."""
    row = await StaffUser.select(StaffUser.id, StaffUser.password_hash).where(StaffUser.email == email).first()
    if row and not verify_password(row["password_hash"], password):
        await StaffUser.update({StaffUser.password_hash: hash_password(password)}).where(StaffUser.id == row["id"])


async def load_demo(settings: Settings, credentials_path: Path | None = None) -> DemoAccounts:
    """Create what is missing; return every demo login. The database must be configured."""
    path = credentials_path or Path(settings.data_dir) / CREDENTIALS_FILE
    creds = _credentials(path)
    passwords: dict[str, str] = creds.setdefault("passwords", {})
    accounts = DemoAccounts()

    for org in demo_organisations():
        tenant = await directory.get_tenant_by_slug(org.slug)
        if tenant is None:
            tenant = await directory.create_tenant(
                slug=org.slug, kind=org.kind, name_ar=org.name_ar, name_en=org.name_en, status="active"
            )
        email = admin_email(org.slug)
        password = passwords.setdefault(email, _new_password())
        _save_credentials(path, creds)  # before use: a crash never leaves a password nobody knows
        admin_name = "مدير الوقف" if org.kind == "waqf" else "مدير الجمعية"
        await add_member(tenant, email=email, name=admin_name, role=Role.admin, password=password)
        await _ensure_password(email, password)
        # The tenant's policy, configured and published as its board approved it.
        async def committee_rule(draft: Any, tenant: Any = tenant) -> dict[str, Any]:
            return await demo_committee_rule(tenant, passwords, _new_password, _ensure_password, draft)

        await publish_seed_policy(tenant, org, committee=committee_rule)
        # Its staff, and requests at every stage of its procedure, surveys and complaints.
        logins = await load_demo_cases(tenant, passwords, _new_password, _ensure_password)
        _save_credentials(path, creds)
        accounts.tenants.append(
            DemoTenant(org.slug, tenant.name_ar, tenant.name_en, tenant.status, email, password,
                       [(e, passwords[e], role) for e, role in logins.items()])
        )

    accounts.operator_password = passwords.setdefault(OPERATOR_EMAIL, _new_password())
    _save_credentials(path, creds)
    await create_operator(OPERATOR_EMAIL, OPERATOR_NAME, accounts.operator_password)
    return accounts


def describe(accounts: DemoAccounts, settings: Settings) -> str:
    """The logins as `sila dev` prints them."""
    lines = ["Demo tenants (sign in as their admin):"]
    for t in accounts.tenants:
        status = "" if t.status == "active" else f"  [{t.status}]"
        name = f"{t.name_ar} / {t.name_en}" if t.name_en else t.name_ar
        lines.append(f"  {name}{status}")
        lines.append(f"    {settings.tenant_url(t.slug, '/login')}")
        lines.append(f"    {t.email}  password: {t.password}")
        for staff_email, staff_password, role in t.staff:
            lines.append(f"    {staff_email}  password: {staff_password}  ({role})")
    lines.append("Operator console (the first sign-in enrols an authenticator app):")
    lines.append(f"    {settings.platform_url('/operator/login')}")
    lines.append(f"    {accounts.operator_email}  password: {accounts.operator_password}")
    return "\n".join(lines)
