from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.tenants.feedback import tables

APP_CONFIG = AppConfig(
    app_name="feedback",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "migrations" / "feedback"),
    table_classes=[tables.Feedback],
)
