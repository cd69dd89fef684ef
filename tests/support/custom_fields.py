"""A charity's own questions on its request form, every type of them, conditions included, and
answers to them as the online form posts them: shared by the HTTP and the browser tests."""
from __future__ import annotations

from sila.tenants.policy.custom_fields import CustomField, Option

TENURE = [Option("own", "ملك", "Owned"), Option("rent", "إيجار", "Rented")]
QUESTIONS = [
    CustomField("tenure", "choice", "نوع السكن", "Housing tenure", required=True, options=TENURE),
    CustomField("rent", "amount", "قيمة الإيجار السنوي", "Yearly rent", help_ar="بالريال", required=True,
                show_when_field="tenure", show_when_value="rent"),
    CustomField("landlord", "short_text", "اسم المؤجر", "Landlord", show_when_field="tenure", show_when_value="rent"),
    CustomField("lease", "file", "صورة عقد الإيجار", "Lease", required=True, show_when_field="tenure",
                show_when_value="rent"),
    CustomField("members", "number", "عدد أفراد الأسرة", "Household members", required=True),
    CustomField("needs", "choices", "الاحتياجات", "Needs", options=[Option("food", "غذاء", "Food"),
                                                                  Option("cloth", "كسوة", "Clothing")]),
    CustomField("prisoner", "yes_no", "هل العائل نزيل؟", "Is the provider in prison?"),
    CustomField("story", "long_text", "وصف الحالة", "Your situation"),
    CustomField("since", "date_gregorian", "تاريخ بدء الحاجة", "Needed since"),
    CustomField("released", "date_hijri", "تاريخ الإفراج المتوقع", "Expected release", show_when_field="prisoner",
                show_when_value="yes"),
]
ANSWERS = {"cf_tenure": "rent", "cf_rent": "١٢٬٥٠٠", "cf_landlord": "محمد المؤجر", "cf_members": "٥",
           "cf_needs": ["food", "cloth"], "cf_prisoner": "yes", "cf_story": "سطر أول\nسطر ثان",
           "cf_since": "2025-01-31", "cf_released": "١٤٤٧/٠٣/٢٣"}
LEASE = ("lease.pdf", b"%PDF-1.4\n% lease\n", "application/pdf")
