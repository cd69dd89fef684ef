"""The form layer's field types for digits, dates and rows, and the one error summary: pure, no
servers. Properties over generated input (Hypothesis) where a rule is about every value."""
from __future__ import annotations

import datetime as dt
import pathlib
import re
import subprocess
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sila.platform import dates, i18n
from sila.platform.dates import arabic_digits
from sila.platform.forms import (Digits, Flag, Form, HijriDay, Many, NumberList, RiyadhDate, Text, TimeOfDay,
                                 WholeNumber, parse_form, parse_rows, problem, read_hijri)
from sila.platform.templating import environment

EASTERN = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
DIGIT_SETS = st.sampled_from([None, EASTERN, PERSIAN])


def written(text: str, digits: dict[int, str] | None) -> str:
    return text.translate(digits) if digits else text


class Numbers(Form):
    count: Annotated[int | None, WholeNumber(0, 10**9)]
    code: Annotated[str, Digits(12, required="Enter the code.")]
    percents: Annotated[list[int], NumberList(1, 99, message="Up to five, 1 to 99.")]
    at: Annotated[dt.time, TimeOfDay()]


@given(st.integers(0, 10**9), st.text("0123456789", min_size=1, max_size=12), st.lists(st.integers(1, 99), max_size=5),
       st.times(), DIGIT_SETS)
def test_numbers_typed_in_any_digit_set_read_the_same(count, code, percents, at, digits):
    parsed = parse_form(Numbers, {
        "count": written(str(count), digits), "code": written(code, digits),
        "percents": written("، ".join(map(str, percents)), digits), "at": written(at.strftime("%H:%M"), digits)})
    assert parsed.ok and parsed.value is not None, parsed.errors
    assert parsed.value.count == count and parsed.value.code == code
    assert parsed.value.percents == sorted(set(percents)) and parsed.value.at == at.replace(second=0, microsecond=0)


def test_numbers_out_of_range_or_not_numbers_are_errors_beside_their_fields():
    parsed = parse_form(Numbers, {"count": "١٠x", "code": "12a", "percents": "50, 100", "at": "25:00"})
    assert set(parsed.errors) == {"count", "code", "percents", "at"}
    assert parsed.typed["count"] == "١٠x"  # what was typed is shown back as typed
    assert set(parse_form(Numbers, {"at": "07:30"}).errors) == {"code"}  # the code is required


class Day(Form):
    day: Annotated[dt.date | None, RiyadhDate(required="Enter the day.")]
    hijri: Annotated[dates.HijriDate | None, HijriDay()]


@given(st.dates(dates.GREGORIAN_MIN, dates.GREGORIAN_MAX), DIGIT_SETS,
       st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y"]))
def test_a_gregorian_day_in_any_format_and_digit_set(day, digits, fmt):
    parsed = parse_form(Day, {"day": written(day.strftime(fmt), digits)})
    assert parsed.ok and parsed.value is not None and parsed.value.day == day


@given(st.dates(dates.GREGORIAN_MIN, dates.GREGORIAN_MAX), DIGIT_SETS, st.booleans(), st.sampled_from("/-."))
def test_a_hijri_day_round_trips_through_umm_al_qura(day, digits, padded, separator):
    """Any day the tables cover, written as the Hijri date of it (1447/03/23 or 1447/3/23, in
    either digit set), reads back as that Hijri date and converts back to the same day."""
    h = dates.to_hijri(day)
    month, mday = (f"{h.month:02d}", f"{h.day:02d}") if padded else (str(h.month), str(h.day))
    parsed = parse_form(Day, {"day": day.isoformat(), "hijri": written(separator.join([str(h.year), month, mday]),
                                                                        digits)})
    assert parsed.ok and parsed.value is not None and parsed.value.hijri == h
    assert dates.to_gregorian(*parsed.value.hijri) == day


def test_the_hijri_day_of_the_example():
    assert read_hijri("١٤٤٧/٠٣/٢٣") == read_hijri("1447/03/23") == read_hijri("23/3/1447") == (1447, 3, 23)
    assert dates.to_gregorian(*read_hijri("1447/03/23")) == dt.date(2025, 9, 15)  # type: ignore[misc]


@pytest.mark.parametrize("typed, msgid", [
    ("1447/13/01", dates.MSG_HIJRI_INVALID), ("1501/01/01", dates.MSG_HIJRI_OUT_OF_RANGE),
    ("yesterday", dates.MSG_HIJRI_INVALID), ("1445/05/30", dates.MSG_HIJRI_NO_SUCH_DAY)])
def test_a_hijri_day_the_calendar_does_not_have_is_an_error_in_the_page_language(typed, msgid):
    with i18n.language("en"):
        parsed = parse_form(Day, {"day": "2025-09-15", "hijri": typed})
        assert parsed.errors["hijri"] == [i18n.gettext(msgid)] and parsed.typed["hijri"] == typed
    with i18n.language("ar"):
        message = parse_form(Day, {"day": "2025-09-15", "hijri": typed}).errors["hijri"][0]
        assert re.search("[\u0600-\u06ff]", message)
    # A local moon sighting may give a month 30 days the tables give 29: accepted where asked for.
    assert read_hijri("1445/05/30", sighting=True) == (1445, 5, 30)


def test_a_day_that_is_no_day_or_missing_is_an_error():
    assert parse_form(Day, {"day": "2025-02-30"}).errors["day"]
    assert parse_form(Day, {"day": ""}).errors["day"] == [i18n.gettext("Enter the day.")]


class Row(Form):
    label: Annotated[str, Text(10)]
    enabled: Annotated[bool, Flag()]


def test_rows_are_read_with_their_errors_under_the_full_name():
    data = {"items.count": "٣", "items.0.label": "أ", "items.0.enabled": "1", "items.1.label": "x" * 11,
            "items.2.label": "ج", "items.3.label": "not counted"}
    rows = parse_rows(Row, data, "items")
    assert [v.label if v else None for v in rows.values] == ["أ", None, "ج"]
    assert rows.values[0] is not None and rows.values[0].enabled and list(rows.errors) == ["items.1.label"]
    assert rows.typed[1]["label"] == "x" * 11
    assert len(parse_rows(Row, {"q": "1", "q0_label": "a"}, "q", count="q", row=lambda i: f"q{i}_").values) == 1
    assert len(parse_rows(Row, {"items.count": "99999999"}, "items", max_rows=5).values) == 5


class Order(Form):
    roles: Annotated[list[str], Many(("a", "b"), required="Choose one.")]
    third: Annotated[str, Text(5)]


def test_check_boxes_and_an_error_shown_under_another_name():
    assert parse_form(Order, {"roles": ["a", "b", "a"]}).value.roles == ["a", "b"]  # type: ignore[union-attr]
    assert set(parse_form(Order, {"roles": ["a", "z"]}).errors) == {"roles"}  # not offered
    assert parse_form(Order, {}).errors["roles"] == [i18n.gettext("Choose one.")]
    from pydantic import field_validator

    class Placed(Form):
        third: Annotated[str, Text(5)]

        @field_validator("third")
        @classmethod
        def _order(cls, value: str) -> str:
            raise problem("Put each channel once in the order.", at="channel_order")

    assert list(parse_form(Placed, {"third": "sms"}).errors) == ["channel_order"]


@pytest.mark.parametrize("lang, heading", [("ar", "يرجى تصحيح"), ("en", "Please correct the highlighted fields.")])
def test_the_one_error_summary_lists_every_error_linked_to_its_field(lang, heading):
    with i18n.language(lang):
        html = environment().from_string('{% from "_forms.html" import error_summary %}{{ error_summary(e) }}').render(
            e={"name": ["first"], "channels.2.label_ar": ["second"], "__all__": ["whole form"]})
    assert 'role="alert"' in html and 'id="error-summary"' in html
    assert '<a href="#name">first</a>' in html and '<a href="#channels.2.label_ar">second</a>' in html
    assert "<li>whole form</li>" in html and (heading in html if lang == "en" else "تصحيح" in html)
    assert environment().from_string('{% from "_forms.html" import error_summary %}[{{ error_summary({}) }}]'
                                     ).render().strip() == "[]"


ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_form_uses_the_form_layer_and_the_one_summary():
    """No code reads fields one by one (the old `form_value` is gone), and no template draws its
    own error block."""
    found = subprocess.run(["grep", "-rn", "form_value", "sila"], cwd=ROOT, capture_output=True, text=True).stdout
    assert found == ""
    for template in (ROOT / "templates").rglob("*.html"):
        rel = template.relative_to(ROOT / "templates").as_posix()
        if rel == "_forms.html":
            continue
        text = template.read_text()
        assert "form_errors(" not in text and "macro error_summary" not in text, rel
        if "errors_for(" in text and "errors" in text and rel not in ("accounts/_roles.html",):
            assert "error_summary(" in text or "{% extends" not in text, rel


def test_eastern_digits_helper_matches_the_strategy():
    assert written("2025", EASTERN) == arabic_digits("2025")
