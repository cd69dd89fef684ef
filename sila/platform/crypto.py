"""Personal data at rest: ID numbers encrypted with AES-256-GCM, looked up by an HMAC.

Keys. `SILA_DATA_KEY` (32 random bytes) is the root; HKDF-SHA256 derives one sub-key per
purpose (encryption, look-up hash), so neither use can weaken the other. In production the
setting is required (settings refuse to start without it). In development and tests, when
it is unset, the root is derived from `SILA_SECRET_KEY` so a fresh checkout just works; that
is acceptable only where the data is not real, because rotating the secret key (sessions,
CSRF) would then make every stored ID number unreadable.

Ciphertext layout: version byte 0x01 | 12-byte random nonce | GCM ciphertext+tag. The
associated data binds each ciphertext to its tenant and field, so a value copied into
another tenant's row (or another column) does not decrypt.

Look-up hash: HMAC-SHA256(hash key, tenant id | value). Including the tenant means the same
person has unrelated hashes in two charities: the hash cannot link people across tenants.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sila.platform.settings import get_settings

VERSION = b"\x01"


def _hkdf(root: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root)


@functools.cache
def _keys(data_key: str | None, secret_key: str, env: str) -> tuple[bytes, bytes]:
    if data_key:
        root = base64.urlsafe_b64decode(data_key.encode() + b"=" * (-len(data_key) % 4))
    elif env != "production":
        root = _hkdf(secret_key.encode(), b"sila dev data key from secret key")
    else:  # settings already refuse this; never fall back silently
        raise RuntimeError("SILA_DATA_KEY is required in production")
    return _hkdf(root, b"sila aes-gcm v1"), _hkdf(root, b"sila lookup hmac v1")


def keys() -> tuple[bytes, bytes]:
    s = get_settings()
    return _keys(s.data_key, s.secret_key, s.env)


def _aad(tenant_id: Any, field: str) -> bytes:
    return f"{tenant_id}|{field}".encode()


def encrypt(tenant_id: Any, field: str, plaintext: str) -> bytes:
    nonce = os.urandom(12)
    return VERSION + nonce + AESGCM(keys()[0]).encrypt(nonce, plaintext.encode(), _aad(tenant_id, field))


def decrypt(tenant_id: Any, field: str, blob: bytes) -> str:
    blob = bytes(blob)
    if blob[:1] != VERSION:
        raise ValueError("unknown ciphertext version")
    return AESGCM(keys()[0]).decrypt(blob[1:13], blob[13:], _aad(tenant_id, field)).decode()


# --- columns encrypted at rest ------------------------------------------------------------------
# The one place that names each encrypted column's associated data: every writer and reader
# (the services, the worker loading a gateway, the archive export) goes through these, so they
# cannot disagree (an export once decrypted gateway secrets with other data: InvalidTag).


def column_field(table: str, column: str, row: Any) -> str:
    """The associated-data field of `table.column` (a `…_enc` bytea) for `row` (a mapping)."""
    if table == "provider_config":  # one row per channel: a secret moved to another channel does not decrypt
        return f"provider_config.{column}:{row['channel']}"
    return f"{table}.{column.removesuffix('_enc')}"  # beneficiary.id_number


def encrypt_column(tenant_id: Any, table: str, column: str, row: Any, plaintext: str) -> bytes:
    return encrypt(tenant_id, column_field(table, column, row), plaintext)


def decrypt_column(tenant_id: Any, table: str, column: str, row: Any, blob: bytes) -> str:
    return decrypt(tenant_id, column_field(table, column, row), blob)


def lookup_hash(tenant_id: Any, value: str) -> str:
    return hmac.new(keys()[1], f"{tenant_id}|{value}".encode(), hashlib.sha256).hexdigest()
