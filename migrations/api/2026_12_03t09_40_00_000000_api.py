"""The JSON API (issue 18): per-tenant API keys, idempotent writes, outgoing webhooks.

Webhook deliveries are outbox rows (channel `webhook`), written by triggers on the tables whose
changes are the events, in the same transaction as the change: a delivery exists exactly when
the change committed, whichever service (page, API, worker) made it. The relay, the Celery
worker, the retries with back-off and the attempts log are the messages' own.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T09:40:00:000018"
VERSION = "1.38.0"
DESCRIPTION = "api: keys, idempotency keys, webhook subscriptions and their event triggers"

SQL = r"""
-- A key is `sila_` + 43 random URL-safe characters (256 bits); only its keyed hash is kept
-- (HMAC-SHA256, sila.tenants.api.keys), plus the first characters to recognise it in the list.
CREATE TABLE api_key (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix varchar(16) NOT NULL,
  secret_hash varchar(64) NOT NULL,
  scopes text[] NOT NULL CHECK (cardinality(scopes) > 0),
  expires_at timestamptz,
  created_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoked_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  last_used_at timestamptz,
  last_used_address varchar(64) NOT NULL DEFAULT '',
  UNIQUE (tenant, secret_hash),
  UNIQUE (tenant, id)
);
SELECT sila_protect_tenant_table('api_key', false);

-- An Idempotency-Key header seen on a write: the first answer is kept and given again.
CREATE TABLE api_idempotency (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  api_key uuid NOT NULL,
  idem_key varchar(200) NOT NULL,
  operation varchar(60) NOT NULL,
  fingerprint varchar(64) NOT NULL,
  status_code integer,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, api_key, idem_key),
  FOREIGN KEY (tenant, api_key) REFERENCES api_key(tenant, id) ON DELETE CASCADE
);
SELECT sila_protect_tenant_table('api_idempotency', false);

CREATE TABLE webhook_subscription (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  url text NOT NULL CHECK (length(url) BETWEEN 8 AND 500),
  events text[] NOT NULL CHECK (cardinality(events) > 0 AND events <@ ARRAY['request.submitted',
    'request.stage_changed', 'request.decided', 'service.delivered', 'complaint.received',
    'survey.answered']::text[]),
  secret_enc bytea NOT NULL,               -- AES-GCM (sila.platform.crypto), needed to sign
  secret_hint varchar(8) NOT NULL DEFAULT '',
  active boolean NOT NULL DEFAULT true,
  created_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, id)
);
SELECT sila_protect_tenant_table('webhook_subscription', false);

ALTER TABLE outbox DROP CONSTRAINT outbox_channel_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_channel_check CHECK (channel IN ('email', 'sms', 'whatsapp', 'webhook'));

-- One outbox row per active subscription to `event`, in the caller's transaction and tenant
-- (row-level security applies: the function runs with the caller's rights). The body carries
-- ids and states only, never personal data: the receiver reads the rest through the API.
CREATE FUNCTION sila_webhook_emit(p_tenant uuid, p_event text, p_data jsonb) RETURNS void
LANGUAGE sql AS $fn$
  INSERT INTO outbox (tenant, channel, kind, recipient, body_text, urgent, payload)
  SELECT p_tenant, 'webhook', 'webhook.' || p_event, s.url,
         jsonb_build_object('type', p_event,
                            'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                            'data', p_data)::text,
         true, jsonb_build_object('subscription', s.id)
  FROM webhook_subscription s
  WHERE s.tenant = p_tenant AND s.active AND p_event = ANY (s.events);
$fn$;

CREATE FUNCTION sila_webhook_request() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM sila_webhook_emit(NEW.tenant, 'request.submitted', jsonb_build_object(
      'request_id', NEW.id, 'reference', NEW.reference, 'stage', NEW.stage, 'channel', NEW.channel));
    RETURN NEW;
  END IF;
  IF NEW.stage IS DISTINCT FROM OLD.stage THEN
    PERFORM sila_webhook_emit(NEW.tenant, 'request.stage_changed', jsonb_build_object(
      'request_id', NEW.id, 'reference', NEW.reference, 'from', OLD.stage, 'to', NEW.stage));
  END IF;
  IF NEW.decision IS NOT NULL AND NEW.decision IS DISTINCT FROM OLD.decision THEN
    PERFORM sila_webhook_emit(NEW.tenant, 'request.decided', jsonb_build_object(
      'request_id', NEW.id, 'reference', NEW.reference, 'decision', NEW.decision));
  END IF;
  RETURN NEW;
END $fn$;
CREATE TRIGGER support_request_webhooks AFTER INSERT OR UPDATE OF stage, decision ON support_request
  FOR EACH ROW EXECUTE FUNCTION sila_webhook_request();

CREATE FUNCTION sila_webhook_service() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM sila_webhook_emit(NEW.tenant, 'service.delivered', jsonb_build_object(
    'service_id', NEW.id, 'request_id', NEW.request, 'service_type', NEW.service_type,
    'delivered_on', NEW.delivered_on));
  RETURN NEW;
END $fn$;
CREATE TRIGGER service_delivery_webhooks AFTER INSERT ON service_delivery
  FOR EACH ROW EXECUTE FUNCTION sila_webhook_service();

CREATE FUNCTION sila_webhook_complaint() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM sila_webhook_emit(NEW.tenant, 'complaint.received', jsonb_build_object(
    'complaint_id', NEW.id, 'reference', NEW.reference));
  RETURN NEW;
END $fn$;
CREATE TRIGGER feedback_webhooks AFTER INSERT ON feedback
  FOR EACH ROW WHEN (NEW.kind = 'complaint') EXECUTE FUNCTION sila_webhook_complaint();

CREATE FUNCTION sila_webhook_survey() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM sila_webhook_emit(NEW.tenant, 'survey.answered', jsonb_build_object(
    'response_id', NEW.id, 'survey_id', NEW.survey, 'anonymous', NEW.anonymous));
  RETURN NEW;
END $fn$;
CREATE TRIGGER survey_response_webhooks AFTER INSERT ON survey_response
  FOR EACH ROW EXECUTE FUNCTION sila_webhook_survey();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="api", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
