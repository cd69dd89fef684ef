"""Beneficiaries get a search key beside their name (sila.platform.search.name_key): one spelling
for أحمد / احمد / إحمد, ة / ه, ى / ي, with short vowels and tatweel dropped, so staff find a
person however the name was typed. Existing files get their key here, tenant by tenant (the
table's row-level security is forced, so each tenant is set in turn)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T18:45:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "beneficiaries: normalised name key for search"

SQL = r"""
ALTER TABLE beneficiary ADD COLUMN name_key text NOT NULL DEFAULT '';
CREATE INDEX beneficiary_tenant_name_key ON beneficiary(tenant, name_key);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="beneficiaries", description=DESCRIPTION)

    async def run():
        import asyncpg

        from sila.platform import db
        from sila.platform.migrate import execute
        from sila.platform.search import name_key

        await execute(SQL)
        tx = db.DB.current_transaction.get()
        conn = tx.connection if tx is not None else await asyncpg.connect(**db.DB.config)
        try:
            for tenant in await conn.fetch("select id from tenant"):
                await conn.execute("select set_config('sila.tenant_id', $1, true)", str(tenant["id"]))
                rows = await conn.fetch("select id, name from beneficiary where tenant = $1", tenant["id"])
                await conn.executemany("update beneficiary set name_key = $2 where id = $1",
                                       [(r["id"], name_key(r["name"])) for r in rows])
        finally:
            if tx is None:
                await conn.close()

    manager.add_raw(run)
    return manager
