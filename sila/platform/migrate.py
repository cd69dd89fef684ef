"""`sila migrate`: apply Piccolo migrations as the owner, then (re)grant the app role.

The app role owns no table, is not a superuser and has no BYPASSRLS, so forced row-level
security applies to every query the web app and the workers make.
"""
from __future__ import annotations

import importlib
import io
import os
from contextlib import redirect_stdout

import asyncpg
from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
from piccolo.apps.migrations.tables import Migration

from sila import piccolo_conf
from sila.platform import db
from sila.platform.settings import Settings

os.environ.setdefault("PICCOLO_CONF", "sila.piccolo_conf")


async def execute(sql: str) -> None:
    """Run DDL inside the migration's transaction when there is one."""
    tx = db.DB.current_transaction.get()
    if tx is not None:
        await tx.connection.execute(sql)
    else:
        conn = await asyncpg.connect(**db.DB.config)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def ensure_app_role(settings: Settings) -> None:
    role = _quote_ident(settings.db_app_role)
    conn = await asyncpg.connect(**db.dsn_to_config(settings.database_url))
    try:
        exists = await conn.fetchval("select 1 from pg_roles where rolname = $1", settings.db_app_role)
        password = settings.db_app_password
        pw_sql = " PASSWORD " + _literal(password) if password else ""
        verb = "ALTER" if exists else "CREATE"
        await conn.execute(
            f"{verb} ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT{pw_sql}"
        )
        dbname = await conn.fetchval("select current_database()")
        await conn.execute(f"GRANT CONNECT ON DATABASE {_quote_ident(dbname)} TO {role}")
        await conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
        # Migration bookkeeping is the owner's alone.
        await conn.execute(f"REVOKE ALL ON TABLE migration FROM {role}")
    finally:
        await conn.close()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def migrate(settings: Settings, *, quiet: bool = False) -> None:
    db.configure(settings.database_url)
    await Migration.create_table(if_not_exists=True).run()
    out = io.StringIO()
    with redirect_stdout(out):
        for module in piccolo_conf.APPS:
            app_config = importlib.import_module(module).APP_CONFIG
            manager = ForwardsMigrationManager(app_name=app_config.app_name)
            result = await manager.run_migrations(app_config)
            if not result.success:
                raise RuntimeError(f"migration of {app_config.app_name} failed: {result.message}")
    if not quiet:
        print(out.getvalue().strip())
    await ensure_app_role(settings)
