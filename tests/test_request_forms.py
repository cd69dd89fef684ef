"""The request area's forms and its actions table, pure (no servers): the amount in riyals, a date
and time, a meeting link, every workflow action's input model, and the one table of actions."""
from __future__ import annotations

import datetime as dt
import decimal
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sila.platform import i18n
from sila.platform.forms import Amount, Form, HttpsLink, LocalDateTime, parse_form
from sila.tenants.requests import actions
from sila.tenants.requests.forms import ApplyForm, IntakeForm, applicant_of, file_fields
from sila.tenants.requests.uploads import Upload
from sila.tenants.requests.workflow import ACTIONS

EASTERN = str.maketrans("0123456789.", "٠١٢٣٤٥٦٧٨٩٫")


class Money(Form):
    amount: Annotated[decimal.Decimal | None, Amount()]


class Moment(Form):
    at: Annotated[dt.datetime | None, LocalDateTime(required="x")]
    link: Annotated[str, HttpsLink()]


@given(st.decimals(min_value=0, max_value=decimal.Decimal("9999999999.99"), places=2))
def test_an_amount_in_either_digit_set_reads_the_same(value):
    text = f"{value:.2f}"
    assert parse_form(Money, {"amount": text}).value.amount == value
    assert parse_form(Money, {"amount": text.translate(EASTERN)}).value.amount == value


@pytest.mark.parametrize("typed", ["NaN", "nan", "inf", "-Infinity", "-1", "-0.5", "1e3", "10000000000",
                                   "99999999999999", "1.234", "١٫٢٣٤", "12abc", "1.2.3", "١\x00"])
def test_an_amount_that_is_no_amount_of_riyals_is_an_error_beside_its_field(typed):
    with i18n.language("en"):
        parsed = parse_form(Money, {"amount": typed})
    assert parsed.value is None and list(parsed.errors) == ["amount"], typed
    assert parsed.typed["amount"] == typed.replace("\x00", "")


def test_an_amount_with_thousands_separators_and_none_when_empty():
    assert parse_form(Money, {"amount": "1,500.50"}).value.amount == decimal.Decimal("1500.50")
    assert parse_form(Money, {"amount": "١٬٥٠٠"}).value.amount == decimal.Decimal("1500")
    assert parse_form(Money, {"amount": "  "}).value.amount is None


def test_a_local_date_and_time_is_riyadh_time_and_a_link_must_be_https():
    parsed = parse_form(Moment, {"at": "٢٠٢٦-١٢-٠٥T٢١:٣٠", "link": "https://meet.example.sa/x"})
    assert parsed.value.at == dt.datetime(2026, 12, 5, 18, 30, tzinfo=dt.UTC)
    for at, link in (("", ""), ("tomorrow", ""), ("9999-01-01T00:00", ""), ("2026-12-05T21:30", "http://a.sa"),
                     ("2026-12-05T21:30", "javascript:alert(1)"), ("2026-12-05T21:30", "https://a.sa/\x00")):
        parsed = parse_form(Moment, {"at": at, "link": link})
        assert parsed.value is None, (at, link)


def test_every_action_of_the_workflow_table_has_its_input_writer_and_notice():
    assert set(actions.SPECS) == set(ACTIONS)
    assert {code for code, spec in actions.SPECS.items() if spec.files} == {"report", "attest"}
    assert actions.SPECS["attest"].files == ("scan",)


PDF = Upload("scan.pdf", "application/pdf", b"%PDF-1.4\n")


@pytest.mark.parametrize("code, data, errors", [
    ("verify", {"check_identity": "yes"}, {"checklist"}),
    ("mark_incomplete", {"missing": " \n "}, {"missing"}),
    ("refer", {"researcher": "", "question": ""}, {"researcher", "question"}),
    ("report", {"notes": "", "visit_date": "2026-02-30"}, {"notes", "visit_date"}),
    ("attest", {"scan": "a file's name, not a file", "signer_name": ""}, {"scan", "signer_name"}),
    ("reject", {"reason": ""}, {"reason"}),
    ("record_service", {"service_type": "", "amount": "NaN", "delivered_on": "x"},
     {"service_type", "amount", "delivered_on"}),
])
def test_each_action_refuses_its_bad_input_field_by_field(code, data, errors):
    spec = actions.SPECS[code]
    with i18n.language("ar"):
        parsed = parse_form(spec.form, data, check=spec.check)
    assert parsed.value is None and set(parsed.errors) == errors


def test_the_actions_read_what_the_page_sends():
    spec = actions.SPECS["record_service"]
    value = parse_form(spec.form, {"service_type": "سلة غذائية", "amount": "٣٥٠", "delivered_on": "٠٥/١٢/٢٠٢٦"}).value
    assert (value.amount, value.delivered_on) == (decimal.Decimal(350), dt.date(2026, 12, 5))
    # The field visit and the delivery may be written in the Hijri calendar staff think in.
    value = parse_form(actions.SPECS["report"].form, {"notes": "زيارة", "visit_date": "١٤٤٨/٠٦/٠١"}).value
    assert value.visit_date == dt.date(2026, 11, 11)
    value = parse_form(spec.form, {"service_type": "سلة", "delivered_on": "1448-06-01"}).value
    assert value.delivered_on == dt.date(2026, 11, 11)
    value = parse_form(actions.AttestForm, {"scan": PDF, "signer_name": "  نورة  "}).value
    assert value.scan is PDF and value.signer_name == "نورة"
    value = parse_form(actions.IncompleteForm, {"missing": "صورة الهوية\n\nصك الإعالة"}).value
    assert value.missing_items == ["صورة الهوية", "صك الإعالة"]


APPLICANT = {"id_number": "1000000008", "name": "نورة  العتيبي", "mobile": "0551234567"}


def test_the_online_form_checks_the_signature_against_the_name_and_the_two_ticks():
    ok = parse_form(ApplyForm, {**APPLICANT, "need": "سلة", "signature": "نورة العتيبي", "attest": "yes",
                                "consent": "yes"})
    assert ok.errors == {} and applicant_of(ok.value).name == "نورة العتيبي"
    bad = parse_form(ApplyForm, {**APPLICANT, "need": "", "signature": "سارة"})
    assert set(bad.errors) == {"need", "signature", "attest", "consent"}


class _Channel:
    def __init__(self, key: str, code: str) -> None:
        self.key, self.code = key, code


class _Terms:
    def channel(self, key: str) -> Any:
        return {"virtual": _Channel("virtual", "virtual_interview"), "web": _Channel("web", "website"),
                "letters": _Channel("letters", "letters")}.get(key)


def test_the_staff_intake_asks_for_what_its_channel_needs():
    base = {**APPLICANT, "need": "سلة", "consent": "yes"}
    parsed = parse_form(IntakeForm, {**base, "channel": "virtual"}, context={"terms": _Terms()})
    assert {"interview_url", "interview_at"} <= set(parsed.errors)
    assert "channel" in parse_form(IntakeForm, {**base, "channel": "web"}, context={"terms": _Terms()}).errors
    assert "letter_scan" in parse_form(IntakeForm, {**base, "channel": "letters"}, context={"terms": _Terms()}).errors
    parsed = parse_form(IntakeForm, {**base, "channel": "letters", "letter_scan": PDF, "attestation_scan": PDF},
                        context={"terms": _Terms()})
    assert set(parsed.errors) == {"signer_name"}
    assert file_fields(IntakeForm) == ("attestation_scan", "letter_scan")
