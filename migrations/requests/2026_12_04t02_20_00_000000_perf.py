"""requests: the services delivered in a period, read from an index alone (perf).

The indicators dashboard counts a period's deliveries, the people served, the amount and the
kinds of service (reports/queries.py). Until now that read every delivery row of the tenant
through `service_delivery_tenant` (tenant, beneficiary). This index holds the period's key and the
four columns those figures read, so they come from an index-only scan.

Cost on writes: one more index entry per delivery recorded (deliveries are inserted once and
almost never updated; the erasure that blanks `description` touches no indexed column, so it
stays a HOT update)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T02:20:00:000000"  # perf (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "requests: services delivered by period, covering index (perf)"

SQL = r"""
CREATE INDEX service_delivery_period ON service_delivery (tenant, delivered_on)
  INCLUDE (beneficiary, service_type, amount);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="requests", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
