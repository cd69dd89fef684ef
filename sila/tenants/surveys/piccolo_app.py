from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.tenants.surveys import tables

APP_CONFIG = AppConfig(
    app_name="surveys",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "migrations" / "surveys"),
    table_classes=tables.ALL,
)
