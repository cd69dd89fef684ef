"""Webhooks are not sent for past requests imported from a spreadsheet (pastreq): they are the
charity's history, not news for its other systems (the API still lists them)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T01:30:02:000000"  # pastreq (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "api: no webhooks for imported past requests (pastreq)"

SQL = r"""
DROP TRIGGER support_request_webhooks ON support_request;
CREATE TRIGGER support_request_webhooks AFTER INSERT OR UPDATE OF stage, decision ON support_request
  FOR EACH ROW WHEN (NEW.imported_from IS NULL) EXECUTE FUNCTION sila_webhook_request();

CREATE OR REPLACE FUNCTION sila_webhook_service() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM support_request r WHERE r.id = NEW.request AND r.imported_from IS NOT NULL) THEN
    RETURN NEW;
  END IF;
  PERFORM sila_webhook_emit(NEW.tenant, 'service.delivered', jsonb_build_object(
    'service_id', NEW.id, 'request_id', NEW.request, 'service_type', NEW.service_type,
    'delivered_on', NEW.delivered_on));
  RETURN NEW;
END $fn$;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="api", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
