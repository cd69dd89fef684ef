"""Demo policies: the three seed organisations configured and published exactly as their
boards approved them (`seeds.py` holds the facts).

`publish_seed_policy(tenant, seed)` is what `sila.platform.demo` calls for each demo tenant. It is
idempotent: a tenant that already has a published version is left as it is.
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sila.platform.db import tenant_scope
from sila.platform.tenancy import TenantInfo
from sila.tenants.onboarding.services import STEP_CODES
from sila.tenants.policy import services
from sila.tenants.policy.seeds import SeedOrganisation, get_seed

DEMO_PUBLISHER = "Sila demo data"


async def publish_seed_policy(tenant: TenantInfo, seed: SeedOrganisation | Any,
                              committee: Callable[[Any], Awaitable[dict[str, Any]]] | None = None) -> None:
    """`seed`: a SeedOrganisation, or anything with the `slug` of one (or the slug itself).
    `committee(draft)`, when given, returns the research committee's rule to publish with it."""
    if not isinstance(seed, SeedOrganisation):
        seed = get_seed(getattr(seed, "slug", seed))
    if await services.current_policy_version(tenant.id) is not None:
        return
    if committee is not None:
        seed = dataclasses.replace(seed, draft=services.replace(seed.draft, committee=await committee(seed.draft)))
    async with tenant_scope(tenant.id) as tx:
        # A demo tenant is fully onboarded: profile present, every checklist step done.
        await tx.connection.execute(
            """insert into tenant_profile (tenant, regulator, setup_done) values ($1, $2, $3)
               on conflict (tenant) do update set setup_done = excluded.setup_done""",
            uuid.UUID(str(tenant.id)), seed.regulator, list(STEP_CODES))
    for section in services.SECTIONS:
        await services.save_section(tenant.id, section, seed.draft)
    await services.save_approval(tenant.id, seed.approval)
    try:
        await services.publish(tenant.id, actor_name=DEMO_PUBLISHER, expect_number=1)
    except services.VersionExists:  # another process got there first
        pass
