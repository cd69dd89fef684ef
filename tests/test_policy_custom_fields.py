"""The charity's own questions on its support-request form: definitions and their rules, and
answers of every type read through the form layer (required, conditional, bad input kept)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sila.platform import i18n
from sila.tenants.policy import custom_fields as cf
from sila.tenants.policy.custom_fields import CustomField, Option

TENURE = [Option("own", "ملك"), Option("rent", "إيجار", "Rent"), Option("other", "أخرى")]
FIELDS = [
    CustomField("tenure", "choice", "نوع السكن", "Housing tenure", required=True, options=TENURE),
    CustomField("rent", "amount", "قيمة الإيجار السنوي", "Yearly rent", required=True,
                show_when_field="tenure", show_when_value="rent"),
    CustomField("landlord", "short_text", "اسم المؤجر", show_when_field="tenure", show_when_value="rent"),
    CustomField("members", "number", "عدد أفراد الأسرة", required=True),
    CustomField("needs", "choices", "الاحتياجات", options=[Option("food", "غذاء"), Option("cloth", "كسوة")]),
    CustomField("prisoner", "yes_no", "هل العائل نزيل؟"),
    CustomField("relation", "short_text", "صلة القرابة بالنزيل", required=True,
                show_when_field="prisoner", show_when_value="yes"),
    CustomField("story", "long_text", "وصف الحالة"),
    CustomField("since", "date_gregorian", "تاريخ بدء الحاجة"),
    CustomField("released", "date_hijri", "تاريخ الإفراج المتوقع"),
    CustomField("lease", "file", "صورة عقد الإيجار", required=True, show_when_field="tenure", show_when_value="rent"),
]


def test_definitions_follow_the_rules():
    assert cf.validate_definitions(FIELDS) == {}
    bad = [CustomField("a", "colour", ""), CustomField("a", "choice", "س", options=[Option("x", "واحد")]),
           CustomField("c", "short_text", "ج", show_when_field="d", show_when_value="yes"),
           CustomField("d", "yes_no", "د"), CustomField("e", "short_text", "هـ", show_when_field="d",
                                                      show_when_value="maybe")]
    errors = cf.validate_definitions(bad)
    assert set(errors) == {"custom_fields.0.type", "custom_fields.0.label_ar", "custom_fields.1.key",
                           "custom_fields.1.options", "custom_fields.2.show_when_field",
                           "custom_fields.4.show_when_field"}
    assert cf.validate_definitions([CustomField(f"f{i}", "short_text", "س") for i in range(31)]) == {
        "custom_fields": [cf.MSG_TOO_MANY]}
    # Stored and read back unchanged (versioned with the policy as plain JSON).
    assert cf.from_dicts(cf.to_dicts(FIELDS)) == FIELDS


def test_every_type_answered_and_the_hidden_ones_dropped():
    answers = cf.parse_answers(FIELDS, {
        "cf_tenure": "rent", "cf_rent": "١٢٬٥٠٠٫٥٠", "cf_landlord": "محمد", "cf_members": "٥",
        "cf_needs": ["food", "cloth"], "cf_prisoner": "no", "cf_relation": "ابن", "cf_story": "سطر\nسطر",
        "cf_since": "2025-01-31", "cf_released": "١٤٤٧/٠٣/٢٣"}, uploaded={"cf_lease"})
    assert answers.errors == {}
    v = answers.values
    assert v["tenure"] == "rent" and v["rent"] == Decimal("12500.50") and v["members"] == 5
    # Both date types read either calendar (forms.AnyDay) and keep the Gregorian day.
    assert v["needs"] == ["food", "cloth"] and v["since"] == dt.date(2025, 1, 31) and v["released"] == dt.date(2025, 9, 15)
    assert "relation" not in v  # shown only when the provider is a prisoner: dropped, not kept


def test_required_and_conditional():
    with i18n.language("en"):
        owner = cf.parse_answers(FIELDS, {"cf_tenure": "own", "cf_members": "3"})
        assert owner.errors == {} and set(owner.values) == {"tenure", "members"}  # rent not asked
        renter = cf.parse_answers(FIELDS, {"cf_tenure": "rent", "cf_members": "3", "cf_prisoner": "yes"})
        assert set(renter.errors) == {"cf_rent", "cf_lease", "cf_relation"}
        empty = cf.parse_answers(FIELDS, {})
        assert set(empty.errors) == {"cf_tenure", "cf_members"}
        # Bad answers to hidden questions neither fail nor are kept; the shown ones are.
        hidden_bad = cf.parse_answers(FIELDS, {"cf_tenure": "own", "cf_members": "3", "cf_rent": "lots",
                                               "cf_prisoner": "no", "cf_relation": "x\x00"})
        assert hidden_bad.errors == {} and hidden_bad.values == {"tenure": "own", "members": 3, "prisoner": "no"}


def test_bad_input_is_refused_beside_its_field_and_kept():
    hostile = {"cf_tenure": "villa", "cf_members": "-3", "cf_rent": "lots", "cf_landlord": "a\x00b",
               "cf_needs": ["food", "gold"], "cf_since": "2025-02-30", "cf_released": "1447/13/01",
               "cf_story": "x" * 5000, "cf_prisoner": "perhaps"}
    with i18n.language("ar"):
        result = cf.parse_answers(FIELDS, hostile)
    assert result.values is None
    assert {"cf_tenure", "cf_members", "cf_needs", "cf_since", "cf_released", "cf_story", "cf_prisoner"} <= set(result.errors)
    assert result.typed["cf_members"] == "-3" and result.typed["cf_tenure"] == "villa"
    assert all(m and not m.isascii() for ms in result.errors.values() for m in ms)  # in Arabic


def test_the_questions_are_part_of_the_policy_draft_and_its_versions():
    from sila.tenants.policy.rules import default_draft, draft_from_dict, draft_to_dict, validate_draft

    draft = default_draft()
    draft.custom_fields = cf.to_dicts(FIELDS)
    assert not any(k.startswith("custom_fields") for k in validate_draft(draft))
    again = draft_from_dict(draft_to_dict(draft))  # what a published version stores and reads back
    assert cf.from_dicts(again.custom_fields) == FIELDS
    draft.custom_fields = [{"key": "x", "type": "choice", "label_ar": "س", "options": []}]
    assert "custom_fields.0.options" in validate_draft(draft)


def test_answers_are_stored_as_json_and_read_back_in_either_language():
    import json

    answers = cf.parse_answers(FIELDS, {"cf_tenure": "rent", "cf_rent": "1500.5", "cf_members": "4",
                                        "cf_needs": ["cloth", "food"], "cf_prisoner": "yes", "cf_relation": "ابن",
                                        "cf_since": "1446/07/01"}, uploaded={"cf_lease"})
    stored = json.loads(json.dumps(cf.to_json(answers.values)))
    assert stored["rent"] == "1500.5" and stored["since"] == "2025-01-01" and stored["needs"] == ["cloth", "food"]
    stored["lease"] = {"document": "d", "filename": "lease.pdf"}
    with i18n.language("en"):
        rows = {r.label: r.text for r in cf.answer_rows(FIELDS, stored, "en")}
    assert rows["Housing tenure"] == "Rent" and rows["Yearly rent"] == "1500.5 riyals"
    assert rows["الاحتياجات"] == "كسوة, غذاء" and rows["هل العائل نزيل؟"] == "Yes"
    with i18n.language("ar"):
        ar = {r.label: r for r in cf.answer_rows(FIELDS, stored, "ar")}
    assert ar["نوع السكن"].text == "إيجار" and ar["عدد أفراد الأسرة"].text == "٤" and ar["هل العائل نزيل؟"].text == "نعم"
    assert "هـ" in ar["تاريخ بدء الحاجة"].text and ar["صورة عقد الإيجار"].document == "d"
    columns = cf.export_columns({1: FIELDS[:3], 2: [FIELDS[0], FIELDS[3]]}, "en")
    assert [k for k, _ in columns] == ["tenure", "members", "rent", "landlord"]  # newest version first
    assert cf.export_cells(columns, FIELDS[:3], stored, "en") == ["Rent", "", "1500.5", ""]
