"""requests: an appeal can be heard in the session that took the decision it appeals (issue 14).

`committee_item` was UNIQUE (tenant, session, request): a request declined in an open session and
appealed the same day could not go on that session's agenda again. An item is now unique per
(tenant, session, request, kind): once as the request, once as its appeal. A request deferred in a
session still cannot come back to that session (the committee put it off to a later one; the
service says so). `kind` was left 'request' on the agenda items that heard appeals: they are
marked 'appeal' here (an item of a request with an appeal, decided after it was filed or not yet
decided), the minutes' freeze set aside for this one correction.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T01:30:00:000000-comm2"
VERSION = "1.38.0"
DESCRIPTION = "requests: committee items unique per session, request and kind (an appeal in the same session)"

SQL = r"""
ALTER TABLE committee_item DROP CONSTRAINT IF EXISTS committee_item_tenant_session_request_key;
ALTER TABLE committee_item ADD CONSTRAINT committee_item_tenant_session_request_kind_key
  UNIQUE (tenant, session, request, kind);

ALTER TABLE committee_item DISABLE TRIGGER committee_item_frozen;
UPDATE committee_item i SET kind = 'appeal' FROM request_appeal a
  WHERE a.request = i.request AND a.tenant = i.tenant AND i.kind = 'request'
    AND (i.decided_at IS NULL OR i.decided_at >= a.filed_at);
ALTER TABLE committee_item ENABLE TRIGGER committee_item_frozen;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="requests", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
