"""What the platform knows about every tenant's organisation: its kind, its regulator and its
region. Codes are stable (stored on the tenant row); labels are ours, in Arabic and English.

The policy catalogue (`sila.tenants.policy.catalogue`) builds on these; the operator console
reads them from here, below the tenant areas.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Item:
    code: str
    ar: str
    en: str

    def label(self, lang: str) -> str:
        return self.ar if lang.lower().startswith("ar") else self.en


_I = TypeVar("_I", bound=Item)


def by_code(items: Iterable[_I]) -> dict[str, _I]:
    return {i.code: i for i in items}


REGULATORS: dict[str, Item] = by_code([
    Item("ncnp", "المركز الوطني لتنمية القطاع غير الربحي",
         "National Center for Non-Profit Sector"),
    Item("awqaf", "الهيئة العامة للأوقاف", "General Authority for Awqaf"),
    # Charities registered before the National Center took over still print the ministry.
    Item("mhrsd", "وزارة الموارد البشرية والتنمية الاجتماعية", "Ministry of Human Resources and Social Development"),
    Item("other", "جهة أخرى", "Another authority"),  # named in the profile's free text
])

KINDS: dict[str, Item] = by_code([
    Item("association", "جمعية", "Association"),
    Item("waqf", "وقف", "Waqf"),
])

# The thirteen administrative regions, for the letterhead and the regulator's records.
REGIONS: dict[str, Item] = by_code([
    Item("riyadh", "منطقة الرياض", "Riyadh Region"),
    Item("makkah", "منطقة مكة المكرمة", "Makkah Region"),
    Item("madinah", "منطقة المدينة المنورة", "Madinah Region"),
    Item("qassim", "منطقة القصيم", "Al-Qassim Region"),
    Item("eastern", "المنطقة الشرقية", "Eastern Province"),
    Item("asir", "منطقة عسير", "Asir Region"),
    Item("tabuk", "منطقة تبوك", "Tabuk Region"),
    Item("hail", "منطقة حائل", "Hail Region"),
    Item("northern_borders", "منطقة الحدود الشمالية", "Northern Borders Region"),
    Item("jazan", "منطقة جازان", "Jazan Region"),
    Item("najran", "منطقة نجران", "Najran Region"),
    Item("bahah", "منطقة الباحة", "Al-Bahah Region"),
    Item("jawf", "منطقة الجوف", "Al-Jawf Region"),
])
