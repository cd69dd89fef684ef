from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.tenants.notifications import tables

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "migrations" / "notifications"),
    table_classes=tables.ALL,
)
