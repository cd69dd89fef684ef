from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.tenants.reports import tables

APP_CONFIG = AppConfig(
    app_name="reports",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "migrations" / "reports"),
    table_classes=[tables.EvidencePack],
)
