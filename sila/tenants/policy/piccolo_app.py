from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.tenants.policy import tables

APP_CONFIG = AppConfig(
    app_name="policy",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "migrations" / "policy"),
    table_classes=[tables.Document, tables.TenantProfile, tables.PolicyDraft, tables.PolicyVersion,
                   tables.TenantClosure],
)
