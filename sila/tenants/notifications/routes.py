"""Notification pages for the tenant admin (usage, held and failed messages, settings, gateways,
wording) and the gateways' delivery-status webhooks."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath

from sila.platform import i18n, outbound
from sila.platform.messages import Wording, compose
from sila.platform.settings import get_settings
from sila.platform.tables import Tenant
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, redirect, render
from sila.tenants.notifications import catalogue, forms, services
from sila.tenants.notifications.catalogue import KINDS
from sila.platform.actors import actor_of
from sila.platform.auth import requires_staff, requires_tenant_site
from sila.platform.roles import Role
from sila.workers.sms import DEFAULT_BASE_URLS

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
HELD_LABELS = {"quiet_hours": i18n.N_("Waiting for quiet hours to end"),
               "quota": i18n.N_("Waiting: the monthly quota is reached"),
               "tenant": i18n.N_("Waiting: the charity's account is suspended")}
ACCOUNT_LABELS = {"unifonic": "", "taqnyat": "", "msegat": i18n.N_("Msegat user name"),
                  "twilio": i18n.N_("Twilio Account SID"), "whatsapp_cloud": i18n.N_("WhatsApp phone number ID")}


async def _quota(tenant_id: Any) -> int:
    row = await Tenant.select(Tenant.message_quota).where(Tenant.id == tenant_id).first()
    return row["message_quota"] if row else 0


class NotificationRoutes(Controller):
    path = "/portal/notifications"
    guards = [requires_staff(Role.admin)]

    @get("/", name="notifications")
    async def overview(self, request: Request) -> Any:
        tenant = tenant_of(request)
        data = await services.overview(tenant.id, await _quota(tenant.id))
        return await render(request, "notifications/overview.html", **vars(data), held_labels=HELD_LABELS,
                            kinds=KINDS, channel_labels=forms.CHANNEL_LABELS,
                            providers=await services.providers_of(tenant.id),
                            done=request.query_params.get("done", ""))

    @post("/outbox/{outbox_id:str}/retry", name="notifications_retry")
    async def retry(self, request: Request, outbox_id: FromPath[str]) -> Any:
        await services.retry(tenant_of(request).id, outbox_id, await actor_of(request))
        return redirect("/portal/notifications?done=retry")

    # --- settings -----------------------------------------------------------------------

    async def _settings_page(self, request: Request, form: dict[str, str], errors: FormErrors, status: int = 200) -> Any:
        return await render(request, "notifications/settings.html", status_code=status, form=form, errors=errors,
                            channel_labels=forms.CHANNEL_LABELS, done=request.query_params.get("done", ""))

    @get("/settings", name="notifications_settings")
    async def settings_form(self, request: Request) -> Any:
        values = await services.get_settings_of(tenant_of(request).id)
        return await self._settings_page(request, forms.settings_as_form(values.values()), FormErrors())

    @post("/settings", name="notifications_settings_save")
    async def settings_save(self, request: Request, data: FormData) -> Any:
        values, typed, errors = forms.read_settings(data)
        if errors or values is None:
            return await self._settings_page(request, typed, errors, 400)
        await services.save_settings(tenant_of(request).id, values, await actor_of(request))
        return redirect("/portal/notifications/settings?done=1")

    # --- gateways -----------------------------------------------------------------------

    async def _providers_page(self, request: Request, *, forms_in: dict[str, dict[str, str]] | None = None,
                              errors: dict[str, FormErrors] | None = None, status: int = 200) -> Any:
        tenant = tenant_of(request)
        stored = await services.providers_of(tenant.id)
        hooks = {ch: services.hook_url(tenant.slug, tenant.id, row.provider, row.webhook_token)
                 for ch, row in stored.items()}
        shown = {}
        for channel in ("sms", "whatsapp"):
            row = stored.get(channel)
            default_provider = services.CHANNEL_PROVIDERS[channel][0]
            shown[channel] = (forms_in or {}).get(channel) or (
                {k: getattr(row, k) for k in ("provider", "base_url", "account", "sender")} | {"enabled": "on" if row.enabled else ""}
                if row else {"provider": default_provider, "base_url": DEFAULT_BASE_URLS[default_provider],
                             "account": "", "sender": "", "enabled": "on"})
        return await render(request, "notifications/providers.html", status_code=status, stored=stored, form=shown,
                            errors=errors or {}, hooks=hooks, channel_providers=services.CHANNEL_PROVIDERS,
                            provider_labels=services.PROVIDER_LABELS, account_labels=ACCOUNT_LABELS,
                            base_urls=DEFAULT_BASE_URLS, channel_labels=forms.CHANNEL_LABELS,
                            done=request.query_params.get("done", ""))

    @get("/providers", name="notifications_providers")
    async def providers(self, request: Request) -> Any:
        return await self._providers_page(request)

    @post("/providers/{channel:str}", name="notifications_provider_save")
    async def provider_save(self, request: Request, channel: FromPath[str], data: FormData) -> Any:
        if channel not in services.CHANNEL_PROVIDERS:
            raise NotFoundException()
        tenant = tenant_of(request)
        stored = (await services.providers_of(tenant.id)).get(channel)
        gateway, typed, errors = forms.read_gateway(channel, data, stored)
        if gateway is not None and not errors:
            try:
                await services.save_provider(tenant.id, gateway, await actor_of(request))
            except outbound.Refused as exc:  # resolved to an internal address, or to none
                errors.add("base_url", forms.REFUSED_MESSAGES[exc.reason])
        if errors:
            return await self._providers_page(request, forms_in={channel: typed}, errors={channel: errors}, status=400)
        return redirect(f"/portal/notifications/providers?done={channel}")

    # --- wording ------------------------------------------------------------------------

    @get("/templates", name="notifications_templates")
    async def templates(self, request: Request) -> Any:
        return await render(request, "notifications/templates.html",
                            templates=await services.templates_of(tenant_of(request).id),
                            done=request.query_params.get("done", ""))

    async def _template_page(self, request: Request, kind: str, *, form: dict[str, str] | None = None,
                             errors: FormErrors | None = None, status: int = 200) -> Any:
        tenant = tenant_of(request)
        current = await services.get_template_in_tenant(tenant.id, kind)
        if form is None:
            form = {"ar_subject": current.ar.subject, "ar_body": current.ar.body,
                    "en_subject": current.en.subject, "en_body": current.en.body,
                    "whatsapp_name": current.ar.whatsapp_name}
        return await render(request, "notifications/template.html", status_code=status, kind=kind,
                            spec=KINDS[kind], form=form, errors=errors or FormErrors(), current=current,
                            variables=catalogue.VARIABLES, preview=self._preview(tenant, kind, form),
                            done=request.query_params.get("done", ""))

    @staticmethod
    def _preview(tenant: Any, kind: str, form: dict[str, str]) -> dict[str, Any]:
        out = {}
        for lang in ("ar", "en"):
            values = services.sample_values(tenant.name(lang), lang)
            wording = Wording(form.get(f"{lang}_subject", ""), form.get(f"{lang}_body", ""))
            subject, text, _ = compose(kind, lang, values, wording)
            chars, parts = catalogue.sms_segments(text)
            out[lang] = {"subject": subject, "body": text, "chars": chars, "parts": parts}
        return out

    @get("/templates/{kind:str}", name="notifications_template")
    async def template(self, request: Request, kind: FromPath[str]) -> Any:
        return await self._template_page(request, kind)

    @post("/templates/{kind:str}", name="notifications_template_save")
    async def template_save(self, request: Request, kind: FromPath[str], data: FormData) -> Any:
        if kind not in KINDS:
            raise NotFoundException()
        texts, whatsapp_name, typed, errors = forms.read_template(KINDS[kind], data)
        if errors:
            return await self._template_page(request, kind, form=typed, errors=errors, status=400)
        await services.save_template(tenant_of(request).id, kind, texts, whatsapp_name, await actor_of(request))
        return redirect(f"/portal/notifications/templates/{kind}?done=saved")

    @post("/templates/{kind:str}/preview", name="notifications_template_preview")
    async def template_preview(self, request: Request, kind: FromPath[str], data: FormData) -> Any:
        """htmx: the preview beside the form, redrawn as the admin types."""
        if kind not in KINDS:
            raise NotFoundException()
        _, _, typed, errors = forms.read_template(KINDS[kind], data)
        return await render(request, "notifications/_preview.html",
                            preview=self._preview(tenant_of(request), kind, typed), errors=errors)

    @post("/templates/{kind:str}/reset", name="notifications_template_reset")
    async def template_reset(self, request: Request, kind: FromPath[str]) -> Any:
        if kind not in KINDS:
            raise NotFoundException()
        await services.reset_template(tenant_of(request).id, kind, await actor_of(request))
        return redirect(f"/portal/notifications/templates/{kind}?done=reset")


# --- delivery-status webhooks ---------------------------------------------------------------


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL followed by every POST parameter as
    name+value, sorted by name; base64."""
    data = url + "".join(k + v for k, v in sorted(params, key=lambda kv: kv[0]))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def hub_signature(app_secret: str, body: bytes) -> str:
    """Meta's X-Hub-Signature-256: "sha256=" and the HMAC-SHA256 of the raw body, hex."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _ok() -> Response:
    return Response(content="ok", media_type=MediaType.TEXT)


class WebhookRoutes(Controller):
    """On the tenant's own host; the unguessable token in the path picks the tenant's gateway, and
    the providers that sign (Twilio, Meta) must sign with that gateway's secret."""

    path = "/hooks"
    guards = [requires_tenant_site]

    async def _gateway(self, request: Request, hook: str, token: str) -> services.WebhookGateway:
        gateway = await services.gateway_for_webhook(tenant_of(request).id, hook, token)
        if gateway is None:
            raise NotFoundException()
        return gateway

    @post("/twilio/{token:str}", name="hook_twilio", status_code=200)
    async def twilio(self, request: Request, token: FromPath[str]) -> Response:
        gateway = await self._gateway(request, "twilio", token)
        form = await request.form()
        params = [(k, str(v)) for k, v in form.multi_items()]
        url = get_settings().tenant_url(tenant_of(request).slug, f"/hooks/twilio/{token}")
        expected = twilio_signature(gateway.secret, url, params)
        if not hmac.compare_digest(expected, request.headers.get("x-twilio-signature", "")):
            raise PermissionDeniedException()
        values = dict(params)
        error = values.get("ErrorCode", "")
        await services.record_status(tenant_of(request).id, "twilio", values.get("MessageSid", ""),
                                     values.get("MessageStatus", ""), f"Twilio error {error}" if error else "")
        return _ok()

    @get("/whatsapp/{token:str}", name="hook_whatsapp_verify")
    async def whatsapp_verify(self, request: Request, token: FromPath[str]) -> Response:
        """Meta's subscription handshake: echo the challenge when the verify token is ours."""
        await self._gateway(request, "whatsapp", token)
        q = request.query_params
        if q.get("hub.mode") != "subscribe" or not hmac.compare_digest(q.get("hub.verify_token", ""), token):
            raise PermissionDeniedException()
        return Response(content=q.get("hub.challenge", ""), media_type=MediaType.TEXT)

    @post("/whatsapp/{token:str}", name="hook_whatsapp", status_code=200)
    async def whatsapp(self, request: Request, token: FromPath[str]) -> Response:
        gateway = await self._gateway(request, "whatsapp", token)
        body = await request.body()
        if not gateway.signing_secret or not hmac.compare_digest(
                hub_signature(gateway.signing_secret, body), request.headers.get("x-hub-signature-256", "")):
            raise PermissionDeniedException()
        try:
            event = json.loads(body)
        except ValueError:
            return Response(content="bad json", status_code=400, media_type=MediaType.TEXT)
        for entry in event.get("entry", []) if isinstance(event, dict) else []:
            for change in entry.get("changes", []):
                for status in (change.get("value") or {}).get("statuses", []):
                    errors = status.get("errors") or [{}]
                    error = " ".join(str(errors[0].get(k, "")) for k in ("code", "title")).strip()
                    await services.record_status(tenant_of(request).id, "whatsapp_cloud", status.get("id", ""),
                                                 status.get("status", ""), error)
        return _ok()

    @post("/sms/{token:str}", name="hook_sms", status_code=200)
    async def sms(self, request: Request, token: FromPath[str]) -> Response:
        """Unifonic, Taqnyat and Msegat do not sign their reports: the token in the path and the
        Basic credentials in the address we gave them are the proof."""
        gateway = await self._gateway(request, "sms", token)
        expected = "Basic " + base64.b64encode(
            f"{services.HOOK_USER}:{services.hook_password(tenant_of(request).id, token)}".encode()).decode()
        if not hmac.compare_digest(expected.encode(), request.headers.get("authorization", "").encode()):
            return Response(content="unauthorized", status_code=401, media_type=MediaType.TEXT,
                            headers={"WWW-Authenticate": 'Basic realm="sila"'})
        if "json" in request.headers.get("content-type", ""):
            try:
                payload = json.loads(await request.body())
            except ValueError:
                return Response(content="bad json", status_code=400, media_type=MediaType.TEXT)
        else:
            payload = dict((await request.form()).items())
        reports = payload if isinstance(payload, list) else [payload]
        for report in reports:
            if not isinstance(report, dict):
                continue
            pick = lambda *names: next((str(report[n]) for n in names if report.get(n) not in (None, "")), "")  # noqa: E731, B023 (used in this iteration)
            await services.record_status(tenant_of(request).id, gateway.provider,
                                         pick("messageId", "MessageID", "message_id", "id"),
                                         pick("status", "Status", "DLRStatus"), pick("error", "ErrorCode", "reason"))
        return _ok()


HANDLERS = [NotificationRoutes, WebhookRoutes]
