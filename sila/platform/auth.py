"""Passwords, sessions, the login rate limit and role guards.

Sessions live in Redis (Litestar's server-side sessions). Cookies are host-only, so a tenant
portal's session never reaches another tenant's host or the operator console; the session
also records the tenant it was opened for, and is refused anywhere else.
"""
from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
import uuid
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message

from sila.platform.db import tenant_scope
from sila.platform.ratelimit import client_address, hit  # noqa: F401  (client_address re-exported)
from sila.platform.roles import CASE_ROLES
from sila.platform.tables import Membership, Operator, StaffUser
from sila.platform.tenancy import site_of

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

MIN_PASSWORD_LENGTH = 10
ROTATE_KEY = "_rotate"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


# --- sessions ---------------------------------------------------------------------------


NEW_SESSION_ID = "_sila_new_session_id"


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions, plus: a session id the server did not issue (or that has
    ended) is never adopted, and every privilege change (`start_session`) moves the session to
    a fresh id and deletes the old one (no fixation)."""

    def get_session_id(self, connection: ASGIConnection) -> str:
        return connection.scope.get(NEW_SESSION_ID) or super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        if session_id := connection.cookies.get(self.config.key):
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(session_id, store=store)
            if data is not None:
                return self.deserialize_data(data)
            if session_id != "null":
                # Unknown to the store: planted, forged or expired. Whatever this request keeps
                # goes under an id of our own, never under the one the client chose.
                connection.scope[NEW_SESSION_ID] = self.generate_session_id()  # type: ignore[literal-required]
        return {}

    async def store_in_message(self, scope_session: Any, message: Message, connection: ASGIConnection) -> None:
        fresh = bool(connection.scope.get(NEW_SESSION_ID))
        if scope_session is not Empty and not scope_session and (fresh or not connection.cookies.get(self.config.key)):
            return  # a visitor with nothing to keep: no Redis write, no cookie
        if scope_session is not Empty and scope_session and scope_session.pop(ROTATE_KEY, False):
            store = self.config.get_store_from_app(connection.scope["app"])
            old = connection.cookies.get(self.config.key)
            if old and not fresh:
                await self.delete(old, store=store)
            connection.scope[NEW_SESSION_ID] = self.generate_session_id()  # type: ignore[literal-required]
        await super().store_in_message(scope_session, message, connection)


@dataclasses.dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend  # type: ignore[assignment]


def start_session(request: Any, data: dict[str, Any]) -> None:
    """Replace the session with `data` under a fresh id: for every change of who the visitor is
    (sign-in, second factor, support entry, accepted link, a verified tracking code)."""
    request.set_session({**data, ROTATE_KEY: True, ISSUED_KEY: time.time()})


# --- ending a user's sessions ---------------------------------------------------------------
#
# A password reset ends the user's sessions everywhere; a removal, deactivation or role change
# ends their sessions in that tenant. Rather than keep an index of each user's session ids
# (which rotation on every sign-in would have to keep in step, and which outlives the sessions
# it names), we write one stamp, "sessions issued before this moment are over", beside the
# sessions in Redis: `load_staff_user` refuses (and deletes) an older session on its next
# request. A stamp lives as long as a session can live without being used, so it cleans itself
# up: by then every older session has either come back and been deleted, or expired. If Redis
# loses the stamps it has lost the sessions with them.
ISSUED_KEY = "iat"
SESSION_MAX_AGE = 12 * 3600  # the session cookie's and the store's lifetime (app.py)


def _ended_key(user_id: Any, tenant_id: Any = None) -> str:
    return f"sila:sessions-ended:{user_id}" + (f":{tenant_id}" if tenant_id else "")


async def end_sessions(redis: Any, user_id: Any, tenant_id: Any = None) -> None:
    """End `user_id`'s live sessions: in `tenant_id`'s portal, or everywhere when it is None.
    A session started after this call (e.g. the one a password reset opens) is not affected."""
    await redis.set(_ended_key(user_id, tenant_id), repr(time.time()), ex=SESSION_MAX_AGE + 60)


async def _session_ended(redis: Any, session: dict[str, Any], uid: Any, tid: Any) -> bool:
    stamps = await redis.mget(_ended_key(uid), _ended_key(uid, tid))
    ended = max((float(v) for v in stamps if v is not None), default=None)
    if ended is None:
        return False
    try:
        issued = float(session.get(ISSUED_KEY) or 0)
    except (TypeError, ValueError):
        issued = 0.0
    return issued < ended


# --- who is asking ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CurrentUser:
    id: uuid.UUID
    email: str
    name: str
    roles: frozenset[str]
    preferred_language: str
    # Set when this is platform support looking in under the tenant admin's grant (read-only).
    support_grant: uuid.UUID | None = None

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


async def load_staff_user(request: Any) -> CurrentUser | None:
    """The signed-in staff member of this tenant's portal, with roles read afresh."""
    cached = request.scope.get("_sila_user", Empty)
    if cached is not Empty:
        return cached
    user = None
    site = site_of(request)
    session = request.session if "session" in request.scope else {}
    uid, tid = session.get("uid"), session.get("tid")
    if site.tenant is not None and (session.get("sup") or session.get("op")):
        # An operator on a tenant's host: only through a live support grant, read-only.
        # Here, not at the top: operator.support imports auth: a cycle.
        # cycle: sila.platform.operator.support imports this module (tokens, CurrentUser)
        from sila.platform.operator.support import load_support_viewer

        user = await load_support_viewer(request, site.tenant, session)
    elif site.tenant is not None and uid and tid == str(site.tenant.id):
        if await _session_ended(request.app.state.redis, session, uid, tid):
            request.clear_session()
            request.scope["_sila_user"] = None
            return None
        async with tenant_scope(site.tenant.id):
            row = await StaffUser.select().where(StaffUser.id == uid, StaffUser.is_active.eq(True)).first()
            roles = await Membership.select(Membership.role).where(Membership.user == uid).output(as_list=True)
        if row and roles:
            user = CurrentUser(
                id=row["id"],
                email=row["email"],
                name=row["name"],
                roles=frozenset(roles),
                preferred_language=row["preferred_language"],
            )
    request.scope["_sila_user"] = user
    return user


async def load_operator(request: Any) -> dict[str, Any] | None:
    site = site_of(request)
    session = request.session if "session" in request.scope else {}
    op_id = session.get("op")
    if not site.is_platform or not op_id:
        return None
    # `op` is written only after the second factor; an account whose TOTP was reset is out.
    return await Operator.select().where(
        Operator.id == op_id, Operator.is_active.eq(True), Operator.totp_secret.is_not_null()
    ).first()


# Set on the scope when an operator's session reaches a tenant route without a live grant,
# or tries to change something under one: answered 403, never a sign-in form.
SUPPORT_REFUSED = "_sila_support_refused"


class LoginRequired(NotAuthorizedException):
    pass


def requires_staff(*roles: str) -> Any:
    """A guard: a signed-in staff member of this host's tenant, holding one of `roles` (if none: any
    role that works cases, so a board member, who reads the indicators only, is refused)."""
    wanted = roles or CASE_ROLES

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if site_of(connection).tenant is None:
            raise NotFoundException()
        user = await load_staff_user(connection)
        if connection.scope.get(SUPPORT_REFUSED):
            raise PermissionDeniedException()
        if user is None:
            raise LoginRequired()
        if not user.has(*wanted):
            raise PermissionDeniedException()

    return guard


async def requires_tenant_site(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if site_of(connection).tenant is None:
        raise NotFoundException()


async def requires_platform_site(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not site_of(connection).is_platform:
        raise NotFoundException()


class OperatorLoginRequired(NotAuthorizedException):
    pass


async def requires_operator(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not site_of(connection).is_platform:
        raise NotFoundException()
    if await load_operator(connection) is None:
        raise OperatorLoginRequired()


# --- login rate limit ---------------------------------------------------------------------

def _limit_keys(scope_key: str, email: str, address: str) -> tuple[str, str]:
    account = hashlib.sha256(f"{scope_key}:{email.strip().lower()}".encode()).hexdigest()[:32]
    return f"sila:login:acct:{account}", f"sila:login:addr:{address}"


async def login_locked(redis: Any, settings: Any, scope_key: str, email: str, address: str) -> bool:
    acct, addr = _limit_keys(scope_key, email, address)
    a, b = await redis.mget(acct, addr)
    return int(a or 0) >= settings.login_max_failures_account or int(b or 0) >= settings.login_max_failures_address


async def record_login_failure(redis: Any, settings: Any, scope_key: str, email: str, address: str) -> None:
    acct, addr = _limit_keys(scope_key, email, address)
    ttl = settings.login_lockout_seconds
    await hit(redis, acct, ttl)
    await hit(redis, addr, ttl)


async def clear_login_failures(redis: Any, scope_key: str, email: str, address: str) -> None:
    acct, _ = _limit_keys(scope_key, email, address)
    await redis.delete(acct)


