"""Dates as people write them (issue 15): one date box takes a Hijri or a Gregorian day, in
Eastern or Western digits, and shows it back in both calendars as it is typed."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

import pytest
from hypothesis import given, strategies as st

from sila.platform import dates
from sila.platform.forms import AnyDay, Form, parse_form, read_day

DEC_3 = dt.date(2026, 12, 3)


@pytest.mark.parametrize("typed", ["1448/06/23", "١٤٤٨/٠٦/٢٣", "23/06/1448", "٢٣-٠٦-١٤٤٨", "2026-12-03",
                                   "03/12/2026", "٢٠٢٦-١٢-٠٣", " 2026/12/03 "])
def test_either_calendar_reads_as_the_same_day(typed):
    assert read_day(typed) == DEC_3


@pytest.mark.parametrize("typed", ["1448/13/01", "1448/06/31", "2026-02-30", "tomorrow", "12/2026", "1200/01/01", "1800-01-01",
                                   "9999-99-99"])
def test_what_is_no_day_is_refused(typed):
    with pytest.raises(ValueError):
        read_day(typed)


@given(st.dates(min_value=dates.GREGORIAN_MIN, max_value=dates.GREGORIAN_MAX))
def test_every_covered_day_round_trips_through_its_hijri_spelling(day):
    hy, hm, hd = dates.to_hijri(day)
    assert read_day(f"{hy}/{hm:02d}/{hd:02d}") == day
    assert read_day(dates.arabic_digits(f"{hd}/{hm}/{hy}")) == day


class Period(Form):
    since: Annotated[dt.date | None, AnyDay(required="Enter the first day.")]


@pytest.mark.parametrize("typed", ["\x00", "1448/06/23\x01", "x" * 5000, "١٤٤٨/١٣/٠١"])
def test_hostile_input_is_an_error_with_the_input_kept(typed):
    parsed = parse_form(Period, {"since": typed})
    assert parsed.value is None and parsed.errors.get("since")
    assert parsed.typed["since"] or "\x00" in typed  # what was typed comes back (a NUL does not)


async def test_the_conversion_fragment(server):
    client = server.client()
    page = client.get("/dates/day", params={"for": "since", "since": "١٤٤٨/٠٦/٢٣"})
    assert page.status_code == 200 and 'id="since-day"' in page.text
    assert "٢٣ جمادى الآخرة ١٤٤٨ هـ" in page.text and "٣ ديسمبر ٢٠٢٦" in page.text
    assert "ليس تاريخًا بعد" in client.get("/dates/day", params={"for": "since", "since": "١٤٤٨/١٣"}).text
    assert client.get("/dates/day", params={"for": "since", "since": "9" * 10000}).status_code in (200, 400, 414)
    for bad in ("", "<script>", "a" * 60, "Since"):
        assert client.get("/dates/day", params={"for": bad}).status_code == 404


async def test_operator_filters_take_hijri_days(server, operator_client, make_tenant):
    tenant = await make_tenant()
    today = dates.to_hijri(dt.datetime.now(dates.RIYADH).date())
    hijri_today = "{}/{:02d}/{:02d}".format(*today)
    page = operator_client.get(f"/operator?q={tenant.slug}&created_from={hijri_today}&created_to={hijri_today}")
    row = f'href="/operator/tenants/{tenant.id}"'
    assert page.status_code == 200 and row in page.text and 'id="created_from-day"' in page.text
    assert row not in operator_client.get(f"/operator?q={tenant.slug}&created_to=1440/01/01").text
    refused = operator_client.get(f"/operator?q={tenant.slug}&created_from=1448/13/40")
    assert refused.status_code == 200 and 'id="created_from-error"' in refused.text and "1448/13/40" in refused.text


async def test_a_days_filter_counts_the_riyadh_day_whatever_the_hour(app_db):
    """A tenant made at 01:30 in Riyadh (22:30 UTC the day before) was made on its Riyadh day. The
    filter once read `date at time zone` (the date taken in the session's UTC first), three hours
    off, and missed tenants made between midnight and 03:00 in Riyadh."""
    from sila.platform.operator.services import search_tenants
    from support import data
    from support.db import owner_connection

    tenant = await data.create_tenant()
    conn = await owner_connection()
    try:
        await conn.execute("update tenant set created_at = '2026-03-10 01:30+03' where id = $1", tenant.id)
    finally:
        await conn.close()

    async def found(**filters: str) -> bool:
        rows, _ = await search_tenants({"q": tenant.slug, **filters})
        return any(r["id"] == tenant.id for r in rows)

    assert await found(created_from="2026-03-10") and await found(created_to="2026-03-10")
    assert not await found(created_to="2026-03-09") and not await found(created_from="2026-03-11")
