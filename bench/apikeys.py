"""An API key with `requests:read` per bench tenant, made through the real service in a process
with the web server's own settings (the key's hash is keyed by them): `python -m bench.apikeys
SLUG...` prints {slug: key} as JSON. Used by the `api_list` web scenario (bench/run.py)."""
from __future__ import annotations

import asyncio
import json
import sys


async def _make(slugs: list[str]) -> dict[str, str]:
    from sila.platform import db
    from sila.platform.actors import Actor
    from sila.platform.settings import get_settings
    from sila.platform.tables import Tenant
    from sila.tenants.api import services

    db.configure(get_settings().app_dsn)
    await db.start_pool(2)
    try:
        keys = {}
        for slug in slugs:
            row = await Tenant.select(Tenant.id).where(Tenant.slug == slug).first()
            assert row is not None, slug
            _, keys[slug] = await services.create_key(row["id"], name="bench", scopes=["requests:read"],
                                                      expires_on=None, actor=Actor(None, "bench", frozenset()))
        return keys
    finally:
        await db.close_pool()


def make_keys(env: dict[str, str], slugs: list[str]) -> dict[str, str]:
    import subprocess

    out = subprocess.run([sys.executable, "-m", "bench.apikeys", *slugs], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_make(sys.argv[1:]))))
