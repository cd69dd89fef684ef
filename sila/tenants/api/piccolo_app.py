from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.tenants.api import tables

APP_CONFIG = AppConfig(
    app_name="api",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "migrations" / "api"),
    table_classes=tables.ALL,
)
