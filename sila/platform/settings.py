"""Settings from `SILA_*` environment variables.

A missing or invalid required setting stops start-up with a message naming the variable
(`SettingsError`), instead of failing later somewhere far from the cause.
"""
from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(RuntimeError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SILA_", extra="ignore")

    env: Literal["development", "test", "production"] = "production"
    # Owner connection: runs migrations. The web app and workers never use it directly;
    # they connect as `db_app_role`, which owns nothing and cannot bypass row-level security.
    database_url: str
    db_app_role: str = "sila_app"
    db_app_password: str = ""
    # Set when the app role's connection differs from "owner URL with the role swapped in"
    # (e.g. a managed database with its own user for the app).
    app_database_url: str | None = None
    db_pool_size: int = Field(default=10, ge=1, le=200)

    redis_url: str
    secret_key: str = Field(min_length=32)
    base_domain: str = "localhost"
    # Scheme and port used in links we send (emails); derived from base_domain when unset.
    public_url: str | None = None
    default_language: Literal["ar", "en"] = "ar"

    email_provider: Literal["smtp", "inbox"] = "smtp"
    email_from: str = "Sila <no-reply@sila.localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0

    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    outbox_stuck_after_seconds: int = Field(default=300, ge=10)
    # First retry delay; doubles per attempt up to an hour (sila.workers.relay.backoff).
    outbox_backoff_base: float = Field(default=30.0, gt=0, le=3600)
    # How long an SMS / WhatsApp gateway may take to answer before the attempt counts as failed.
    provider_timeout: float = Field(default=10.0, gt=0, le=120)
    login_max_failures_account: int = Field(default=5, ge=1)
    login_max_failures_address: int = Field(default=20, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)
    # POSTs to one public form (sign-up, online request, tracking, sign-in…) per address and site
    # in ten minutes.
    public_form_limit: int = Field(default=30, ge=1)
    # Policy PDFs laid out (not served from the cache) per address and site in ten minutes.
    pdf_render_limit: int = Field(default=10, ge=1)
    # Calls per API key per minute (sila.tenants.api.auth), then 429 with Retry-After.
    api_rate_limit: int = Field(default=600, ge=1)
    data_dir: str = ".sila"
    # Operator console: the retention offered when archiving a tenant (its export stays
    # downloadable and its rows kept until then), and the longest support grant an admin may give.
    archive_retention_days: int = Field(default=90, ge=0)
    support_grant_max_hours: int = Field(default=72, ge=1)
    # New tenants start `pending` until an operator approves them; true approves at sign-up.
    auto_approve_tenants: bool = False
    # Encrypts personal data at rest (beneficiaries' ID numbers) and keys their look-up hash:
    # 32 random bytes, URL-safe base64 (`python -c "import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`).
    # Required in production; elsewhere derived from secret_key when unset (see sila/platform/crypto.py).
    data_key: str | None = None
    # Hosts (exact) or networks (CIDR) an outbound gateway may use although sila.platform.outbound
    # refuses internal addresses: a deployment's own test gateway. Comma-separated; empty by default.
    outbound_allow: str = ""

    @field_validator("outbound_allow")
    @classmethod
    def _outbound_allow(cls, v: str) -> str:
        for entry in (e.strip() for e in v.split(",")):
            if "/" in entry:
                ipaddress.ip_network(entry, strict=False)  # a ValueError names the variable
        return v

    @field_validator("database_url")
    @classmethod
    def _pg_url(cls, v: str) -> str:
        if not v.startswith(("postgres://", "postgresql://")):
            raise ValueError("must be a postgresql:// URL")
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str) -> str:
        if not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return v

    @field_validator("data_key")
    @classmethod
    def _data_key(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        try:
            raw = base64.urlsafe_b64decode(v.encode() + b"=" * (-len(v) % 4))
        except (binascii.Error, ValueError):
            raise ValueError("must be URL-safe base64") from None
        if len(raw) != 32:
            raise ValueError("must encode exactly 32 bytes")
        return v

    @model_validator(mode="after")
    def _production_needs_data_key(self) -> Settings:
        # A key derived from secret_key would tie personal data to a value that gets rotated.
        if self.env == "production" and not self.data_key:
            raise ValueError("SILA_DATA_KEY is required in production")
        return self

    @property
    def debug(self) -> bool:
        return self.env != "production"

    @property
    def secure_cookies(self) -> bool:
        return self.env == "production"

    @property
    def app_dsn(self) -> str:
        if self.app_database_url:
            return self.app_database_url
        parts = urlsplit(self.database_url)
        host = parts.netloc.rsplit("@", 1)[-1]
        cred = quote(self.db_app_role, safe="")
        if self.db_app_password:
            cred += ":" + quote(self.db_app_password, safe="")
        return urlunsplit(parts._replace(netloc=f"{cred}@{host}"))

    @property
    def celery_broker_url(self) -> str:
        # Celery spells a Unix socket differently from redis-py.
        if self.redis_url.startswith("unix://"):
            return "redis+socket://" + self.redis_url[len("unix://"):]
        return self.redis_url

    def url_for_host(self, host: str, path: str = "/") -> str:
        base = self.public_url or f"http://{self.base_domain}"
        parts = urlsplit(base)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{path}"

    def tenant_url(self, slug: str, path: str = "/") -> str:
        return self.url_for_host(f"{slug}.{self.base_domain.split(':')[0]}", path)

    def platform_url(self, path: str = "/") -> str:
        return self.url_for_host(self.base_domain.split(":")[0], path)


def load_settings() -> Settings:
    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            what = "is required" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
            # Whole-model checks carry no field; their message names the variable itself.
            lines.append(f"  SILA_{str(err['loc'][0]).upper()}: {what}" if err["loc"] else f"  {what}")
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None


@functools.cache
def get_settings() -> Settings:
    return load_settings()
