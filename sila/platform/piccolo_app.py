from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.platform import tables

APP_CONFIG = AppConfig(
    app_name="platform",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "platform"),
    table_classes=[
        tables.Tenant,
        tables.TenantDomain,
        tables.StaffUser,
        tables.Membership,
        tables.AuthToken,
        tables.MemberDeactivation,
        tables.AuditEntry,
        tables.Operator,
        tables.OperatorAudit,
        tables.SupportGrant,
        tables.TenantExport,
    ],
)
