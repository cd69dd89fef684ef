"""The form layer (sila.platform.forms): pure, no servers. Properties over generated input."""
from __future__ import annotations

from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sila.platform import i18n
from sila.platform.forms import (_CONTROL, MSG_CONTROL, MSG_FILE, Choice, Email, Form, Mobile, SaudiId, Text, WholeNumber,
                                 parse_form)
from sila.platform.identity import valid_test_id
from sila.tenants.beneficiaries.forms import ApplicantForm, CorrectionForm
from sila.tenants.feedback.forms import read_feedback

CONTROL = st.sampled_from([chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127, 0x85, 0xD800]])


class Sample(Form):
    name: Annotated[str, Text(20, required="Enter a name.")]
    note: Annotated[str, Text(100, multiline=True)]
    colour: Annotated[str, Choice(("red", "blue"), default="red")]
    count: Annotated[int | None, WholeNumber(1, 50)]
    id_number: SaudiId
    mobile: Annotated[str, Mobile(required=False)]
    email: Annotated[str, Email()]


def good(**changes: object) -> dict[str, object]:
    return {"name": "هند", "note": "", "colour": "", "count": "", "id_number": valid_test_id("100000000"),
            "mobile": "", "email": "", **changes}


def test_a_valid_form_is_typed() -> None:
    parsed = parse_form(Sample, good(name="  هند   علي ", count="٣٥", mobile="٠٥٥١٢٣٤٥٦٧", email="A@B.sa"))
    assert parsed.ok and parsed.value is not None
    assert (parsed.value.name, parsed.value.count, parsed.value.mobile, parsed.value.email, parsed.value.colour) == (
        "هند علي", 35, "+966551234567", "a@b.sa", "red")


@given(st.text(max_size=15), CONTROL, st.text(max_size=5), st.sampled_from(["name", "note", "email", "mobile",
                                                                           "id_number"]))
def test_control_characters_are_refused_beside_their_field_and_dropped_from_what_is_shown(before, control, after,
                                                                                          field):
    parsed = parse_form(Sample, good(**{field: before + control + after}))
    assert not parsed.ok
    assert parsed.errors[field] == [i18n.gettext(MSG_CONTROL)]
    assert parsed.typed[field] == _CONTROL.sub("", before + after)  # what was typed, less the controls


def test_multiline_text_keeps_its_lines_single_line_text_does_not() -> None:
    parsed = parse_form(Sample, good(note="سطر\r\nسطر\tآخر"))
    assert parsed.ok and parsed.value is not None and parsed.value.note == "سطر\r\nسطر\tآخر"
    assert parse_form(Sample, good(name="a\nb")).value.name == "a b"  # type: ignore[union-attr]


def test_a_file_where_text_is_expected_is_an_error_not_a_crash() -> None:
    class Upload:
        filename = "x.pdf"

    parsed = parse_form(Sample, good(name=Upload()))
    assert parsed.errors["name"] == [i18n.gettext(MSG_FILE)] and parsed.typed["name"] == ""


@given(st.integers(min_value=-10**30, max_value=10**30) | st.text(max_size=30))
def test_whole_numbers_are_bounded(value):
    parsed = parse_form(Sample, good(count=str(value)))
    if parsed.ok:
        assert parsed.value is not None and (parsed.value.count is None or 1 <= parsed.value.count <= 50)
    else:
        assert list(parsed.errors) == ["count"]


def test_repeated_fields_take_the_last_and_missing_fields_are_empty() -> None:
    parsed = parse_form(Sample, {"name": ["a", "هند"], "id_number": valid_test_id("100000000")})
    assert parsed.ok and parsed.value is not None and parsed.value.name == "هند" and parsed.value.count is None


@pytest.mark.parametrize("lang, expected", [("ar", "هذا الحقل"), ("en", "not allowed")])
def test_errors_are_in_the_page_language(lang: str, expected: str) -> None:
    with i18n.language(lang):
        parsed = parse_form(Sample, good(name="\x00", id_number="1000000000"))
    assert expected in parsed.errors["name"][0] if lang == "en" else "غير مسموح" in parsed.errors["name"][0]
    assert set(parsed.errors) == {"name", "id_number"}  # every field's problem at once


def test_the_applicant_and_feedback_forms_share_the_rules() -> None:
    parsed = parse_form(ApplicantForm, {"id_number": "1000000000", "name": "x\x00", "mobile": "0551234567",
                                        "preferred_channel": "email"})
    assert set(parsed.errors) == {"id_number", "name", "email"} and parsed.typed["mobile"] == "0551234567"
    assert list(ApplicantForm.model_fields)[0] == "id_number"  # asked, and its error listed, first
    correction = parse_form(CorrectionForm, {"name": "x\x00", "mobile": "0551234567", "preferred_channel": "email"})
    assert set(correction.errors) == {"name", "email"} and "id_number" not in CorrectionForm.model_fields
    item, typed, errors = read_feedback({"kind": "complaint", "body": "\x00", "mobile": "05512", "token": "t" * 40})
    assert item is None and set(errors) == {"body", "mobile"}
