from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.tenants.requests import tables

APP_CONFIG = AppConfig(
    app_name="requests",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "migrations" / "requests"),
    table_classes=tables.ALL,
)
