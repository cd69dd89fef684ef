"""Hijri / Gregorian conversion, reconciliation and display (sila.platform.dates)."""
import datetime as dt

import pytest

from sila.platform import dates
from sila.platform.dates import (
    DateRangeError,
    HijriDate,
    arabic_digits,
    format_gregorian,
    format_hijri,
    parse_digits,
    reconcile,
    to_gregorian,
    to_hijri,
    to_riyadh,
    weekday_name,
)

D = dt.date


# The three seed approvals, as hijridate's Umm al-Qura tables give them.
@pytest.mark.parametrize("greg, hijri", [
    (D(2023, 12, 5), (1445, 5, 21)),   # Haramain: both agree
    (D(2025, 9, 15), (1447, 3, 23)),   # Mafatih: both agree
    (D(2023, 11, 17), (1445, 5, 3)),   # Basmat's Hijri date is the 17th, not the 16th
    (D(2023, 11, 16), (1445, 5, 2)),   # … and Basmat's Gregorian date is the 2nd
])
def test_seed_dates_umm_al_qura(greg, hijri):
    assert to_hijri(greg) == hijri
    assert to_gregorian(*hijri) == greg


def test_to_hijri_returns_named_tuple_and_accepts_datetime():
    h = to_hijri(dt.datetime(2023, 12, 5, 23, 0))
    assert isinstance(h, HijriDate) and (h.year, h.month, h.day) == (1445, 5, 21)


def test_supported_range_edges():
    assert to_gregorian(1343, 1, 1) == D(1924, 8, 1)
    assert to_gregorian(1500, 12, 30) == D(2077, 11, 16)
    assert to_hijri(D(1924, 8, 1)) == (1343, 1, 1)


@pytest.mark.parametrize("hijri, msgid", [
    ((1342, 12, 29), dates.MSG_HIJRI_OUT_OF_RANGE),
    ((1501, 1, 1), dates.MSG_HIJRI_OUT_OF_RANGE),
    ((1300, 1, 1), dates.MSG_HIJRI_OUT_OF_RANGE),
    ((1445, 13, 1), dates.MSG_HIJRI_INVALID),
    ((1445, 0, 1), dates.MSG_HIJRI_INVALID),
    ((1445, 5, 0), dates.MSG_HIJRI_INVALID),
    ((1445, 5, 31), dates.MSG_HIJRI_INVALID),
    ((1445, 5, 30), dates.MSG_HIJRI_NO_SUCH_DAY),  # Jumada I 1445 has 29 days
    (("1445", 5, 1), dates.MSG_HIJRI_INVALID),
])
def test_invalid_hijri_raises_clear_error(hijri, msgid):
    with pytest.raises(DateRangeError) as e:
        to_gregorian(*hijri)
    assert e.value.msgid == msgid
    assert isinstance(e.value, ValueError)


def test_thirtieth_exists_in_thirty_day_month():
    assert to_gregorian(1500, 12, 30) == D(2077, 11, 16)


@pytest.mark.parametrize("greg", [D(1924, 7, 31), D(2077, 11, 17), D(1900, 1, 1)])
def test_gregorian_out_of_range(greg):
    with pytest.raises(DateRangeError) as e:
        to_hijri(greg)
    assert e.value.msgid == dates.MSG_GREGORIAN_OUT_OF_RANGE


# ---------------------------------------------------------------- reconcile

def test_reconcile_fills_hijri_from_gregorian():
    r = reconcile(D(2023, 12, 5), None)
    assert r.hijri == (1445, 5, 21) and r.filled == "hijri" and r.warning is None


def test_reconcile_fills_gregorian_from_hijri():
    r = reconcile(None, (1447, 3, 23))
    assert r.gregorian == D(2025, 9, 15) and r.filled == "gregorian" and r.warning is None
    assert r.weekday == 0  # a Monday


def test_reconcile_agreeing_dates_no_warning():
    r = reconcile(D(2023, 12, 5), (1445, 5, 21))
    assert (r.filled, r.day_difference, r.warning, r.warning_text()) == (None, 0, None, None)


def test_reconcile_basmat_one_day_keeps_both_and_warns():
    r = reconcile(D(2023, 11, 16), (1445, 5, 3))
    assert r.gregorian == D(2023, 11, 16) and r.hijri == (1445, 5, 3)  # kept as entered
    assert r.filled is None
    assert r.day_difference == -1
    assert r.warning == dates.MSG_DATES_DISAGREE
    assert "differ by 1 day" in r.warning_text()


def test_reconcile_larger_gap_names_the_days():
    r = reconcile(D(2023, 12, 8), (1445, 5, 21))
    assert r.day_difference == 3 and r.warning_params == {"days": 3}
    assert "3 day" in r.warning_text()
    # the web layer passes its gettext
    assert r.warning_text(lambda s: "!" + s) == "!" + r.warning_text()


def test_reconcile_local_sighting_thirtieth_is_kept():
    # 30 Jumada I 1445 does not exist in Umm al-Qura, but minutes following a local
    # sighting may say so; it is compared as the day after the 29th (13 Dec 2023).
    r = reconcile(D(2023, 12, 14), (1445, 5, 30))
    assert r.hijri == (1445, 5, 30) and r.warning is None
    r = reconcile(D(2023, 12, 13), (1445, 5, 30))
    assert r.day_difference == -1 and r.warning


def test_reconcile_thirtieth_alone_cannot_be_converted():
    with pytest.raises(DateRangeError):
        reconcile(None, (1445, 5, 30))


def test_reconcile_needs_a_date_and_checks_range():
    with pytest.raises(ValueError):
        reconcile(None, None)
    with pytest.raises(DateRangeError):
        reconcile(None, (1200, 1, 1))
    with pytest.raises(DateRangeError) as e:
        reconcile(D(1900, 1, 1), (1445, 5, 21))
    assert e.value.msgid == dates.MSG_GREGORIAN_OUT_OF_RANGE


# ---------------------------------------------------------------- display

def test_format_hijri():
    assert format_hijri(D(2023, 12, 5), "ar") == "٢١ جمادى الأولى ١٤٤٥ هـ"
    assert format_hijri(D(2023, 12, 5), "en") == "21 Jumada al-Awwal 1445 AH"
    # a Hijri date kept from the minutes is shown as recorded, not re-converted
    assert format_hijri((1445, 5, 3), "ar") == "٣ جمادى الأولى ١٤٤٥ هـ"
    assert format_hijri(HijriDate(1447, 3, 23), "en") == "23 Rabi al-Awwal 1447 AH"


def test_format_gregorian():
    assert format_gregorian(D(2023, 12, 5), "ar") == "٥ ديسمبر ٢٠٢٣ م"
    assert format_gregorian(D(2025, 9, 15), "ar") == "١٥ سبتمبر ٢٠٢٥ م"
    assert format_gregorian(D(2023, 12, 5), "en") == "5 December 2023"


def test_weekday_name():
    assert weekday_name(D(2023, 12, 5), "ar") == "الثلاثاء"
    assert weekday_name(D(2023, 12, 5), "en") == "Tuesday"
    assert weekday_name(D(2023, 11, 16), "ar") == "الخميس"


def test_to_riyadh():
    utc = dt.datetime(2023, 12, 5, 21, 30, tzinfo=dt.UTC)
    r = to_riyadh(utc)
    assert r == utc
    assert (r.date(), r.hour, r.utcoffset()) == (D(2023, 12, 6), 0, dt.timedelta(hours=3))
    assert str(r.tzinfo) == "Asia/Riyadh"
    with pytest.raises(ValueError):
        to_riyadh(dt.datetime(2023, 12, 5, 21, 30))


def test_parse_digits():
    assert parse_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert parse_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert parse_digits("رقم (١٦١) - 05۵٥") == "رقم (161) - 0555"
    assert parse_digits("") == ""


def test_arabic_digits():
    assert arabic_digits(1445) == "١٤٤٥"
    assert parse_digits(arabic_digits("2023/11/16")) == "2023/11/16"
