"""Files kept across attempts of a public form: the files of an attempt that passed their checks,
kept an hour in Redis (encrypted like the ID number: they are copies of people's documents) under
the form's own random token, so an error elsewhere in the form does not make the applicant choose
them again. The form shows them ticked ("keep"), and the next attempt takes the ticked ones.

One mechanism for every public form that takes files: the online request (/apply) and the
applicant completing an incomplete request (/track)."""
from __future__ import annotations

import base64
import json
import re
import secrets
from typing import Any

from sila.platform import crypto
from sila.platform.forms import ticked
from sila.tenants.requests.uploads import Upload

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
STASH_TTL = 3600


def token_or_new(token: str | None) -> str:
    """The form's token as typed when it is one, else a fresh one."""
    return token if token and TOKEN_RE.match(token) else secrets.token_urlsafe(32)


def _pack(f: Upload) -> dict[str, str]:
    return {"filename": f.filename, "content_type": f.content_type, "content": base64.b64encode(f.content).decode()}


def _unpack(f: dict[str, str]) -> Upload:
    return Upload(f["filename"], f["content_type"], base64.b64decode(f["content"]))


class FileStash:
    """The kept files of one form (`name`: "apply", "track"), per tenant and token."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.field = f"{name}.stash"  # the encryption's context

    def _key(self, tenant_id: Any, token: str) -> str:
        return f"sila:{self.name}:files:{tenant_id}:{token}"

    async def _read(self, redis: Any, key: str, tenant_id: Any, token: str) -> Any:
        raw = await redis.get(key) if TOKEN_RE.match(token or "") else None
        if not raw:
            return None
        try:
            return json.loads(crypto.decrypt(tenant_id, self.field, raw))
        except Exception:  # another tenant's or a tampered entry: as if nothing were kept
            return None

    async def _write(self, redis: Any, key: str, tenant_id: Any, payload: Any) -> None:
        if payload:
            await redis.set(key, crypto.encrypt(tenant_id, self.field, json.dumps(payload)), ex=STASH_TTL)
        else:
            await redis.delete(key)

    async def files(self, redis: Any, tenant_id: Any, token: str) -> list[Upload]:
        """The files kept by an earlier attempt of this same form."""
        return [_unpack(f) for f in await self._read(redis, self._key(tenant_id, token), tenant_id, token) or []]

    async def kept(self, redis: Any, tenant_id: Any, token: str, data: Any) -> list[Upload]:
        """Those of the kept files the applicant left ticked on this attempt."""
        keep = set(ticked(data, "keep"))
        return [f for i, f in enumerate(await self.files(redis, tenant_id, token)) if str(i) in keep]

    async def keep(self, redis: Any, tenant_id: Any, token: str, files: list[Upload]) -> None:
        """Keep `files` for the next attempt (none: forget them)."""
        await self._write(redis, self._key(tenant_id, token), tenant_id, [_pack(f) for f in files])

    async def answer_files(self, redis: Any, tenant_id: Any, token: str) -> dict[str, Upload]:
        """Files given to the charity's own file questions on an earlier attempt (by question key)."""
        raw = await self._read(redis, self._key(tenant_id, token) + ":cf", tenant_id, token) or {}
        try:
            return {key: _unpack(f) for key, f in raw.items()}
        except Exception:  # a malformed entry: as if nothing were kept
            return {}

    async def keep_answer_files(self, redis: Any, tenant_id: Any, token: str, files: dict[str, Upload]) -> None:
        await self._write(redis, self._key(tenant_id, token) + ":cf", tenant_id,
                          {key: _pack(f) for key, f in files.items()})
