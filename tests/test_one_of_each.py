"""The shared helpers each concern has exactly one of: the file sniffer and safe names, the
both-calendars formatter, the digit converter, the chart module. Pure, no servers."""
from __future__ import annotations

import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from sila.platform import charts, i18n
from sila.platform.dates import dual_date, dual_datetime, localised_number, parse_digits
from sila.platform.files import JPEG, PDF, PNG, safe_name, sniff


def test_the_sniffer_reads_content_not_names() -> None:
    assert sniff(b"%PDF-1.7").content_type == PDF  # type: ignore[union-attr]
    assert sniff(b"\x89PNG\r\n\x1a\n..").content_type == PNG  # type: ignore[union-attr]
    assert sniff(b"\xff\xd8\xff\xe0").extension == ".jpg"  # type: ignore[union-attr]
    assert sniff(b"<svg onload=alert(1)>") is None and sniff(b"") is None
    assert JPEG == "image/jpeg"


@given(st.text(max_size=300))
def test_safe_names_have_no_path_or_quote_and_end_in_the_real_type(name: str) -> None:
    safe = safe_name(name, ".pdf")
    assert safe.lower().endswith(".pdf") and "/" not in safe and "\\" not in safe and '"' not in safe
    assert len(safe) <= 104 and not re.search(r"[\x00-\x1f]", safe)


def test_arabic_names_are_kept() -> None:
    assert safe_name("C:\\scans\\هوية-الطالب.pdf", ".pdf") == "هوية-الطالب.pdf"


def test_one_way_to_write_a_day_in_both_calendars() -> None:
    day = dt.date(2023, 11, 17)
    assert dual_date(day, "ar") == "٣ جمادى الأولى ١٤٤٥ هـ (١٧ نوفمبر ٢٠٢٣ م)"
    assert dual_date(day, "en") == "3 Jumada al-Awwal 1445 AH (17 November 2023)"
    late = dt.datetime(2023, 11, 16, 22, 30, tzinfo=dt.UTC)  # 01:30 on the 17th in Riyadh
    assert dual_date(late, "en") == dual_date(day, "en")
    assert dual_datetime(late, "ar").endswith("، ٠١:٣٠")
    with i18n.language("en"):
        assert dual_date(day) == dual_date(day, "en")


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_numbers_read_back_from_their_arabic_form(n: int) -> None:
    text = localised_number(f"{n:,}", "ar")
    assert not re.search(r"[0-9]", text)
    assert int(parse_digits(text).replace("٬", "")) == n


def test_charts_read_right_to_left_in_arabic() -> None:
    points = [(dt.date(2026, 1, 1), 10), (dt.date(2026, 2, 1), 20)]
    ar, en = (str(charts.monthly_bars(points, lang=lang, title="t")) for lang in ("ar", "en"))
    first_ar = float(re.search(r'<rect x="([\d.]+)"', ar).group(1))  # type: ignore[union-attr]
    first_en = float(re.search(r'<rect x="([\d.]+)"', en).group(1))  # type: ignore[union-attr]
    assert first_ar > first_en  # January at the right end in Arabic, the left in English
    assert "١٠" in ar and "10" in en
