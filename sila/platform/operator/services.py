"""Platform operators: accounts created from the command line, sign-in to the console."""
from __future__ import annotations

import uuid
from typing import Any

from sila.platform.auth import MIN_PASSWORD_LENGTH, hash_password, verify_password
from sila.platform.tables import Operator


async def create_operator(email: str, name: str, password: str) -> uuid.UUID:
    if len(password) < max(MIN_PASSWORD_LENGTH, 12):
        raise ValueError("operator passwords need at least 12 characters")
    email = email.strip().lower()
    existing = await Operator.select(Operator.id).where(Operator.email == email).first()
    if existing:
        await Operator.update({Operator.password_hash: hash_password(password), Operator.name: name}).where(
            Operator.id == existing["id"]
        )
        return existing["id"]
    rows = await Operator.insert(Operator(email=email, name=name, password_hash=hash_password(password))).returning(
        Operator.id
    )
    return rows[0]["id"]


async def authenticate(email: str, password: str) -> dict[str, Any] | None:
    row = await Operator.select().where(Operator.email == email.strip().lower()).first()
    if verify_password(row["password_hash"] if row else None, password) and row and row["is_active"]:
        return row
    return None
