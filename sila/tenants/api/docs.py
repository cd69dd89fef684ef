"""The OpenAPI document of /api/v1 (Litestar generates it from the typed handlers) and its page,
/api/v1/docs, drawn by Swagger UI from static/vendor/swagger-ui (swagger-ui-dist from npm, its
licence beside it): nothing is fetched from another site."""
from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag

from sila.workers.webhooks import REPLAY_WINDOW_SECONDS

DOCS_PATH = "/api/v1/docs"
SPEC_PATH = DOCS_PATH + "/openapi.json"

DESCRIPTION = f"""
The API of one organisation on Sila, on that organisation's own address (`https://<slug>.<domain>/api/v1`).

## Keys
An admin creates keys on **/portal/api-keys**: a name, the scopes it may use, an optional expiry.
The key is shown once. Send it on every call: `Authorization: Bearer sila_…`. A key works only on
its own organisation's address; elsewhere, and once revoked or expired, the answer is `401`.
Every call is written to the organisation's audit trail. Each key may make `SILA_API_RATE_LIMIT`
calls a minute (600 unless the deployment says otherwise); beyond that `429` with `Retry-After`.

Scopes: `beneficiaries:read`, `beneficiaries:reveal` (full ID numbers, each reveal audited),
`requests:read`, `requests:write`, `decisions:read`, `services:read`, `services:write`,
`surveys:read`, `complaints:read`.

## Lists and pages
Lists are in ascending order of time (then id). Each page has `next_cursor`; pass it as `cursor`
for the next page; `null` means the end. Rows added meanwhile are never skipped or repeated.

## ETags
Single records and the policy carry an `ETag`; send it back in `If-None-Match` to get `304 Not
Modified` when nothing changed.

## Writes
`POST /requests` applies the online form's rules (ID check digit, mobile, e-signature matching
the applicant's name, declaration and consent under the policy version in force: read the
texts in `GET /policy`). Send an `Idempotency-Key` header (e.g. a UUID) on writes: the same key
with the same body is done once and answered again with the first answer
(`Idempotent-Replayed: true`); the same key with another body is `422`.

## Errors
Every error is `application/problem+json`: `type`, `title`, `status`, `detail`, and for invalid
input `errors` (field → messages, in Arabic, or English with `Accept-Language: en`).
<a id="problem-unauthorized"></a>`unauthorized` 401 · <a id="problem-scope"></a>`scope` 403 ·
<a id="problem-not-found"></a>`not-found` 404 · <a id="problem-invalid"></a>`invalid` 400/422 ·
<a id="problem-bad-cursor"></a>`bad-cursor` 400 · <a id="problem-wrong-stage"></a>`wrong-stage` 409 ·
<a id="problem-intake-closed"></a>`intake-closed` 409 · <a id="problem-no-policy"></a>`no-policy` 404 ·
<a id="problem-idempotency-key-reused"></a>`idempotency-key-reused` 422 ·
<a id="problem-rate-limit"></a>`rate-limit` 429 · <a id="problem-tenant-unavailable"></a>`tenant-unavailable` 403/410 ·
`405` method not allowed · `413` body too large · `500` unexpected.

## Webhooks
An admin subscribes addresses to events on **/portal/webhooks** and receives a signing secret
(`whsec_…`) once. Events: `request.submitted`, `request.stage_changed`, `request.decided`,
`service.delivered`, `complaint.received`, `survey.answered`. Each is a `POST` of JSON
`{{"type": …, "timestamp": …, "data": {{ids and states, never personal data}}}}`, signed per
[Standard Webhooks](https://www.standardwebhooks.com/):

- `webhook-id`: the delivery's id, the same on every retry (de-duplicate on it);
- `webhook-timestamp`: seconds since the epoch, of this attempt;
- `webhook-signature`: `v1,` + base64(HMAC-SHA256(key, `{{webhook-id}}.{{webhook-timestamp}}.{{body}}`)),
  where key is the base64-decoded part of the secret after `whsec_`.

Verify over the exact bytes received, compare in constant time, and refuse a timestamp more than
{REPLAY_WINDOW_SECONDS} seconds from your clock (replay window). Answer 2xx quickly; anything else is
retried with growing pauses (410 stops it). Redirects are not followed; addresses inside private
networks are refused.
"""


class DocsPage(OpenAPIRenderPlugin):
    """Swagger UI from local files, started by a local script (no inline script)."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return (
            '<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Sila API</title>"
            '<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head><body>'
            f'<div id="swagger-ui" data-spec="{SPEC_PATH}"></div>'
            '<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>'
            '<script src="/static/vendor/swagger-ui/sila-docs.js"></script></body></html>'
        ).encode()


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Sila API", version="1", description=DESCRIPTION, path=DOCS_PATH,
        render_plugins=[DocsPage(path="/", favicon="", style=""), JsonRenderPlugin(path="/openapi.json")],
        components=Components(security_schemes={"bearer": SecurityScheme(
            type="http", scheme="bearer", description="An API key of this organisation: sila_…")}),
        tags=[Tag(name=n) for n in ("policy", "beneficiaries", "requests", "decisions", "services", "surveys",
                                    "complaints")],
        use_handler_docstrings=True)
