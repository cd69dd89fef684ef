"""Who is acting: the signed-in staff member as the services and the audit log see them."""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from litestar import Request

from sila.platform.auth import client_address, load_staff_user


@dataclasses.dataclass(frozen=True)
class Actor:
    id: uuid.UUID | None
    name: str
    roles: frozenset[str]
    address: str = ""

    @classmethod
    def of(cls, user: Any, address: str = "") -> Actor:
        return cls(user.id, user.name or user.email, frozenset(user.roles), address)


async def actor_of(request: Request) -> Actor:
    user = await load_staff_user(request)
    assert user is not None  # the controller's guard let the request in
    return Actor.of(user, client_address(request))
