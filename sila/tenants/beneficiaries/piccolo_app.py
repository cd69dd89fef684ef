from pathlib import Path

from piccolo.conf.apps import AppConfig

from sila.tenants.beneficiaries import tables

APP_CONFIG = AppConfig(
    app_name="beneficiaries",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "migrations" / "beneficiaries"),
    table_classes=[tables.Beneficiary, tables.BeneficiaryConsent, tables.BeneficiaryRightsRequest,
                   tables.BeneficiaryImport, tables.BeneficiaryImportRejection],
)
