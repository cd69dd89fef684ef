"""A file posted with a policy form (or the onboarding wizard), stored as a policy document."""
from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile

from sila.platform.templating import digits
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors
from sila.tenants.policy import services


async def _upload(data: Any, name: str) -> tuple[str, bytes] | None:
    value = data.get(name) if data else None
    if isinstance(value, list):
        value = value[-1] if value else None
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    return value.filename, await value.read()


async def store_upload(request: Request, data: Any, name: str, purpose: str, errors: FormErrors) -> uuid.UUID | None:
    """Store the file posted in field `name`; a wrong type or size becomes an error beside it."""
    upload = await _upload(data, name)
    if upload is None:
        return None
    try:
        return await services.store_document(tenant_of(request).id, purpose, upload[0], upload[1],
                                             actor=request.scope["_sila_user"].id)
    except services.UploadError as exc:
        errors.add(name, exc.msgid, **{k: digits(v) for k, v in exc.params.items()})
        return None
