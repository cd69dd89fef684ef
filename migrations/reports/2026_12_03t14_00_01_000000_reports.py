"""The operator's governance numbers in one query (issue 17): a view of counts per tenant, no row
of a person in it, readable only in platform_scope().

Requests and policy versions have no platform access: the app role reads them one tenant at a
time. The view runs with its owner's rights (not security_invoker), and a SELECT-only policy for
that owner in platform scope lets it count across tenants; the app role itself still gets no
row of those tables outside its tenant. "The last year" is 365 days, as GOVERNANCE_DAYS says."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T14:00:01:000917"  # reports (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "reports: governance numbers across tenants in one view (reports)"

SQL = r"""
CREATE POLICY governance_numbers ON support_request FOR SELECT TO CURRENT_USER
  USING (current_setting('sila.platform', true) = 'on');
CREATE POLICY governance_numbers ON policy_version FOR SELECT TO CURRENT_USER
  USING (current_setting('sila.platform', true) = 'on');

CREATE VIEW governance_by_tenant WITH (security_barrier) AS
  SELECT t.id AS tenant_id, t.status,
         EXISTS (SELECT 1 FROM policy_version v WHERE v.tenant = t.id AND v.approval IS NOT NULL) AS published,
         coalesce(r.with_window, 0) AS with_window, coalesce(r.within, 0) AS within
  FROM tenant t
  LEFT JOIN (SELECT tenant, count(due_at) AS with_window, count(*) FILTER (WHERE decided_at <= due_at) AS within
             FROM support_request WHERE decided_at >= now() - interval '365 days' GROUP BY tenant) r
    ON r.tenant = t.id
  WHERE current_setting('sila.platform', true) = 'on';
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
