from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.workers import tables

APP_CONFIG = AppConfig(
    app_name="workers",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "workers"),
    table_classes=[tables.Outbox, tables.DeliveryAttempt, tables.DevInboxMessage, tables.MessageUsage],
)
