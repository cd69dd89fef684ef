"""Sign-in, sign-out, invitation and password-reset pages on a tenant's portal; staff admin."""
from __future__ import annotations

import functools
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from redis.exceptions import RedisError

from sila.platform import i18n
from sila.platform.i18n import N_
from sila.platform.accounts import forms, services
from sila.platform.auth import (
    client_address,
    CurrentUser,
    clear_login_failures,
    end_sessions,
    load_staff_user,
    login_locked,
    record_login_failure,
    requires_staff,
    requires_tenant_site,
    start_session,
)
from sila.platform.actors import actor_of
from sila.platform.roles import ROLE_LABELS, Role
from sila.platform.ratelimit import hit, public_form_limit
from sila.platform.tenancy import tenant_of
from sila.platform.forms import parse_form, ticked, typed_back
from sila.platform.web import FormErrors, redirect, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class AccountRoutes(Controller):
    guards = [requires_tenant_site, public_form_limit("accounts")]

    @get("/login", name="login")
    async def login_form(self, request: Request) -> Any:
        return await render(request, "accounts/login.html", form={}, errors=FormErrors(),
                            next=forms.safe_next(request.query_params.get("next")))

    @post("/login", name="login_submit")
    async def login(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        settings = request.app.state.settings
        redis = request.app.state.redis
        parsed = parse_form(forms.LoginForm, data)
        errors, typed = parsed.errors, parsed.typed
        email = parsed.value.email if parsed.value else typed["email"].strip()
        password = parsed.value.password if parsed.value else ""
        next_path = forms.safe_next(parsed.value.next if parsed.value else typed["next"])
        address = client_address(request)
        scope_key = str(tenant.id)
        if not errors and await login_locked(redis, settings, scope_key, email, address):
            errors.add("__all__", "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                       minutes=settings.login_lockout_seconds // 60)
            return await render(request, "accounts/login.html", status_code=429, form={"email": typed["email"].strip()},
                                errors=errors, next=next_path)
        if not errors:
            result = await services.authenticate(tenant, email, password)
            if result.ok:
                await clear_login_failures(redis, scope_key, email, address)
                start_session(request, {"uid": str(result.user_id), "tid": str(tenant.id)})
                return redirect(next_path)
            await record_login_failure(redis, settings, scope_key, email, address)
            errors.add("__all__", "The email or password is incorrect.")
        return await render(request, "accounts/login.html", status_code=400, form={"email": typed["email"].strip()},
                            errors=errors, next=next_path)

    @post("/logout", name="logout")
    async def logout(self, request: Request) -> Any:
        request.clear_session()
        return redirect("/login")

    async def _invite_page(self, request: Request, row: dict[str, Any], form: dict[str, Any], errors: FormErrors,
                           status_code: int = 200) -> Any:
        return await render(request, "accounts/invite.html", status_code=status_code, form=form, errors=errors,
                            invitation=row, role_labels=ROLE_LABELS,
                            existing=await services.has_password(row["email"]))

    @get("/invite/{token:str}", name="invite")
    async def invite_form(self, request: Request, token: FromPath[str]) -> Any:
        tenant = tenant_of(request)
        try:
            row = await services.check_link(tenant, "invite", token)
        except services.LinkError as exc:
            return await render(request, "accounts/link_invalid.html", status_code=410 if exc.reason != "unknown" else 404,
                                reason=exc.reason)
        return await self._invite_page(request, row, {}, FormErrors())

    @post("/invite/{token:str}", name="invite_submit")
    async def invite_accept(self, request: Request, token: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        settings, redis = request.app.state.settings, request.app.state.redis
        status_code = 400
        name, password = " ".join(typed_back(data, ["name"])["name"].split()), ""
        try:
            row = await services.check_link(tenant, "invite", token)
            existing = await services.has_password(row["email"])
            address, scope_key = client_address(request), str(tenant.id)
            if existing:
                # The address has an account: accepting is signing in as it, with this host's lock-out.
                if await login_locked(redis, settings, scope_key, row["email"], address):
                    errors = FormErrors()
                    errors.add("__all__", "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                               minutes=settings.login_lockout_seconds // 60)
                    status_code = 429
                else:
                    signed = parse_form(forms.SignInToAcceptForm, data)
                    errors, password = signed.errors, signed.value.password if signed.value else ""
            else:
                accepted = parse_form(forms.AcceptInviteForm, data)
                errors = accepted.errors
                if accepted.value:
                    name, password = accepted.value.name, accepted.value.password
            if not errors:
                try:
                    user_id = await services.accept_invite(tenant, token, name=name, password=password)
                except services.WrongPassword:
                    await record_login_failure(redis, settings, scope_key, row["email"], address)
                    errors.add("password", "The password is incorrect.")
                else:
                    if existing:
                        await clear_login_failures(redis, scope_key, row["email"], address)
                    start_session(request, {"uid": str(user_id), "tid": str(tenant.id)})
                    return redirect("/portal")
        except services.LinkError as exc:
            return await render(request, "accounts/link_invalid.html", status_code=410 if exc.reason != "unknown" else 404,
                                reason=exc.reason)
        return await self._invite_page(request, row, {"name": name}, errors, status_code)

    @get("/password/forgot", name="password_forgot")
    async def forgot_form(self, request: Request) -> Any:
        return await render(request, "accounts/forgot.html", form={}, errors=FormErrors(), sent=False)

    @post("/password/forgot", name="password_forgot_submit")
    async def forgot(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        parsed = parse_form(forms.ForgotForm, data)
        errors = parsed.errors
        if parsed.value is None:
            return await render(request, "accounts/forgot.html", status_code=400, form=parsed.typed,
                                errors=errors, sent=False)
        await services.request_reset(tenant, parsed.value.email, i18n.get_language())
        # The same answer whether or not the address has an account here.
        return await render(request, "accounts/forgot.html", form={}, errors=errors, sent=True)

    @get("/password/reset/{token:str}", name="password_reset")
    async def reset_form(self, request: Request, token: FromPath[str]) -> Any:
        tenant = tenant_of(request)
        try:
            await services.check_link(tenant, "reset", token)
        except services.LinkError as exc:
            return await render(request, "accounts/link_invalid.html", status_code=410 if exc.reason != "unknown" else 404,
                                reason=exc.reason)
        return await render(request, "accounts/reset.html", errors=FormErrors())

    @post("/password/reset/{token:str}", name="password_reset_submit")
    async def reset(self, request: Request, token: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        parsed = parse_form(forms.NewPasswordForm, data)
        errors = parsed.errors
        try:
            if parsed.value is not None:
                user_id = await services.reset_password(tenant, token, parsed.value.password)
                await end_sessions(request.app.state.redis, user_id)  # everywhere: the password is the account's
                start_session(request, {"uid": str(user_id), "tid": str(tenant.id)})
                return redirect("/portal")
            await services.check_link(tenant, "reset", token)
        except services.LinkError as exc:
            return await render(request, "accounts/link_invalid.html", status_code=410 if exc.reason != "unknown" else 404,
                                reason=exc.reason)
        return await render(request, "accounts/reset.html", status_code=400, errors=errors)


# Invitations reach people outside the tenant: at most this many per admin per hour and per
# tenant per day (resending counts), so a portal cannot be used to mail strangers in bulk.
INVITES_PER_ADMIN_PER_HOUR = 20
INVITES_PER_TENANT_PER_DAY = 40


async def _invitation_refused(request: Request, user_id: uuid.UUID) -> str | None:
    """An English msgid when this admin or this tenant has sent enough invitations for now."""
    tid = tenant_of(request).id
    redis = request.app.state.redis
    try:
        if await hit(redis, f"sila:invite:admin:{tid}:{user_id}", 3600) > INVITES_PER_ADMIN_PER_HOUR:
            return N_("You have sent many invitations in the last hour. Wait an hour, then try again.")
        if await hit(redis, f"sila:invite:tenant:{tid}", 86400) > INVITES_PER_TENANT_PER_DAY:
            return N_("This portal has sent as many invitations as it may in one day. Try again tomorrow.")
    except RedisError:  # no counter, no mail to strangers: closed, not open
        return N_("Invitations cannot be sent right now. Try again in a few minutes.")
    return None


def _ticked(data: Any) -> list[str]:
    """The role boxes that were ticked, to show back on a form with errors."""
    return [v for v in ticked(data, "roles") if v in ROLE_LABELS]


async def _me(request: Request) -> CurrentUser:
    user = await load_staff_user(request)  # read once per request by the guard, cached on the scope
    assert user is not None  # the controller's guard let the request in
    return user


class StaffRoutes(Controller):
    """The admin's staff page: invite (several roles at once), change roles, deactivate, reactivate,
    remove, revoke or resend an invitation. Destructive actions go through a confirmation page."""

    path = "/portal/staff"
    guards = [requires_staff(Role.admin)]

    async def _page(self, request: Request, *, form: dict[str, Any], errors: FormErrors, status_code: int = 200,
                    invited: str = "", done: str = "") -> Any:
        tenant = tenant_of(request)
        return await render(
            request,
            "accounts/staff.html",
            status_code=status_code,
            staff=await services.list_staff(tenant),
            invitations=await services.pending_invitations(tenant),
            role_labels=ROLE_LABELS,
            form=form,
            errors=errors,
            invited=invited,
            done=done,
            held=tenant.status == "pending",
        )

    async def _member(self, request: Request, user_id: str) -> dict[str, Any]:
        return await services.get_member_in_tenant(tenant_of(request), user_id)

    async def _member_page(self, request: Request, member: dict[str, Any], *, errors: FormErrors | None = None,
                           roles: list[str] | None = None, status_code: int = 200) -> Any:
        return await render(request, "accounts/staff_member.html", status_code=status_code, member=member,
                            errors=errors or FormErrors(), role_labels=ROLE_LABELS,
                            chosen=roles if roles is not None else list(member["roles"]),
                            is_self=member["id"] == (await _me(request)).id)

    @get("/", name="staff")
    async def staff(self, request: Request) -> Any:
        return await self._page(request, form={}, errors=FormErrors(), invited=request.query_params.get("invited", ""),
                                done=request.query_params.get("done", ""))

    @post("/invite", name="staff_invite")
    async def invite(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        parsed = parse_form(forms.InviteStaffForm, data)
        errors = parsed.errors
        if parsed.value is None:
            form = {"email": parsed.typed["email"], "roles": _ticked(data)}
            return await self._page(request, form=form, errors=errors, status_code=400)
        email, roles = parsed.value.email, parsed.value.roles
        form = {"email": email, "roles": roles}
        user = await _me(request)
        refused = await _invitation_refused(request, user.id)
        if refused:
            errors.add("__all__", refused)
            return await self._page(request, form=form, errors=errors, status_code=429)
        try:
            await services.invite(tenant, email=email, roles=roles, invited_by=user.id, lang=i18n.get_language())
        except services.StaffError as exc:
            errors.add("email", exc.msgid, **exc.variables)
            return await self._page(request, form=form, errors=errors, status_code=400)
        return redirect("/portal/staff?invited=" + services.normalise_email(email))

    @get("/{user_id:str}", name="staff_member")
    async def member(self, request: Request, user_id: FromPath[str]) -> Any:
        return await self._member_page(request, await self._member(request, user_id))

    @post("/{user_id:str}/roles", name="staff_roles")
    async def roles(self, request: Request, user_id: FromPath[str], data: FormData) -> Any:
        member = await self._member(request, user_id)
        parsed = parse_form(forms.RolesForm, data)
        errors = parsed.errors
        if parsed.value is None:
            return await self._member_page(request, member, errors=errors, roles=_ticked(data), status_code=400)
        roles = parsed.value.roles
        actor = await _me(request)
        try:
            changed = await services.set_roles(tenant_of(request), member["id"], roles, actor=actor.id,
                                               address=client_address(request))
        except services.StaffError as exc:
            errors.add("roles", exc.msgid, **exc.variables)
            return await self._member_page(request, member, errors=errors, roles=roles, status_code=409)
        if changed:
            await end_sessions(request.app.state.redis, member["id"], tenant_of(request).id)
        return redirect("/portal/staff?done=roles")

    @get("/{user_id:str}/deactivate", name="staff_deactivate_confirm")
    async def deactivate_confirm(self, request: Request, user_id: FromPath[str]) -> Any:
        return await self._confirm(request, user_id, "deactivate")

    @get("/{user_id:str}/remove", name="staff_remove_confirm")
    async def remove_confirm(self, request: Request, user_id: FromPath[str]) -> Any:
        return await self._confirm(request, user_id, "remove")

    async def _confirm(self, request: Request, user_id: str, action: str, *, errors: FormErrors | None = None,
                       form: dict[str, Any] | None = None, status_code: int = 200) -> Any:
        member = await self._member(request, user_id)
        if action == "deactivate" and not member["active"]:
            return redirect(f"/portal/staff/{member['id']}")
        handover, tenant = request.app.state.handover, tenant_of(request)
        return await render(request, "accounts/staff_confirm.html", action=action, member=member, invitation=None,
                            role_labels=ROLE_LABELS, is_self=member["id"] == (await _me(request)).id,
                            open_count=await handover.open_count(tenant, member["id"]),
                            candidates=await handover.candidates(tenant, member["id"]), nobody=forms.NOBODY,
                            errors=errors or FormErrors(), form=form or {}, status_code=status_code)

    async def _end_access(self, request: Request, user_id: str, action: str, data: dict[str, Any]) -> Any:
        member = await self._member(request, user_id)
        tenant, actor = tenant_of(request), await _me(request)
        handover = request.app.state.handover
        hand_over = None
        if await handover.open_count(tenant, member["id"]):
            # Their open requests go where the confirmation said: a choice among the page's own options.
            parsed = parse_form(forms.HandOverForm, data)
            offered = {str(m.id) for m in await handover.candidates(tenant, member["id"])} | {forms.NOBODY}
            if parsed.value is not None and parsed.value.hand_to not in offered:
                parsed.errors.add("hand_to", forms.MSG_HAND_TO)
            if parsed.errors:
                return await self._confirm(request, user_id, action, errors=parsed.errors, form=parsed.typed,
                                           status_code=400)
            assert parsed.value is not None
            to = None if parsed.value.hand_to == forms.NOBODY else parsed.value.hand_to
            hand_over = functools.partial(handover.hand_over, tenant, member["id"], to, await actor_of(request))
        change = services.deactivate if action == "deactivate" else services.remove
        try:
            await change(tenant, member["id"], actor=actor.id, address=client_address(request), hand_over=hand_over)
        except services.StaffError as exc:
            errors = FormErrors()
            errors.add("__all__", exc.msgid, **exc.variables)
            return await self._member_page(request, member, errors=errors, status_code=409)
        await end_sessions(request.app.state.redis, member["id"], tenant.id)
        if member["id"] == actor.id:
            return redirect("/login")
        return redirect(f"/portal/staff?done={action}")

    @post("/{user_id:str}/deactivate", name="staff_deactivate")
    async def deactivate(self, request: Request, user_id: FromPath[str], data: FormData) -> Any:
        return await self._end_access(request, user_id, "deactivate", data)

    @post("/{user_id:str}/remove", name="staff_remove")
    async def remove(self, request: Request, user_id: FromPath[str], data: FormData) -> Any:
        return await self._end_access(request, user_id, "remove", data)

    @post("/{user_id:str}/reactivate", name="staff_reactivate")
    async def reactivate(self, request: Request, user_id: FromPath[str]) -> Any:
        member = await self._member(request, user_id)
        await services.reactivate(tenant_of(request), member["id"], actor=(await _me(request)).id,
                                  address=client_address(request))
        return redirect("/portal/staff?done=reactivate")

    async def _invitation(self, request: Request, token_id: str) -> dict[str, Any]:
        return await services.get_invitation_in_tenant(tenant_of(request), token_id)

    @get("/invitations/{token_id:str}/revoke", name="staff_revoke_confirm")
    async def revoke_confirm(self, request: Request, token_id: FromPath[str]) -> Any:
        return await render(request, "accounts/staff_confirm.html", action="revoke", member=None, is_self=False,
                            invitation=await self._invitation(request, token_id), role_labels=ROLE_LABELS,
                            errors=FormErrors(), form={}, open_count=0)

    @post("/invitations/{token_id:str}/revoke", name="staff_revoke")
    async def revoke(self, request: Request, token_id: FromPath[str]) -> Any:
        invitation = await self._invitation(request, token_id)
        await services.revoke_invitation(tenant_of(request), invitation["id"], actor=(await _me(request)).id,
                                         address=client_address(request))
        return redirect("/portal/staff?done=revoke")

    @post("/invitations/{token_id:str}/resend", name="staff_resend")
    async def resend(self, request: Request, token_id: FromPath[str]) -> Any:
        invitation = await self._invitation(request, token_id)
        user = await _me(request)
        refused = await _invitation_refused(request, user.id)
        if refused:
            errors = FormErrors()
            errors.add("__all__", refused)
            return await self._page(request, form={}, errors=errors, status_code=429)
        sent = await services.resend_invitation(tenant_of(request), invitation["id"], actor=user.id,
                                                lang=i18n.get_language(), address=client_address(request))
        return redirect("/portal/staff?invited=" + sent["email"])
