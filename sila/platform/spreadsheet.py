"""Files people open in a spreadsheet: CSV and XLSX, the one place cells are made safe.

A cell that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+`, `-`, `@`, or after a tab
or a carriage return) starts with a quote, in CSV and XLSX alike (XlsxWriter is also told never
to turn a string into a formula or a link). Sheets read right to left when the page was Arabic.
CSV carries a byte-order mark so Excel reads Arabic as UTF-8.
"""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> str:
    """A value as the text of one cell, a quote put before what would start a formula."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _plain(value: Any) -> Any:
    """Numbers stay numbers in XLSX (so they can be summed); everything else is escaped text."""
    if isinstance(value, bool):
        return escape_cell(value)
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value) if isinstance(value, decimal.Decimal) else value
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    return escape_cell(value)


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([escape_cell(h) for h in headers])
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, rtl: bool) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    ws = book.add_worksheet(sheet[:31])
    if rtl:
        ws.right_to_left()
    bold = book.add_format({"bold": True})
    for c, h in enumerate(headers):
        ws.write_string(0, c, escape_cell(h), bold)
        ws.set_column(c, c, max(12, min(40, len(str(h)) + 4)))
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            value = _plain(v)
            if isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write_number(r, c, value)
    ws.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def render(fmt: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, rtl: bool) -> bytes:
    return csv_bytes(headers, rows) if fmt == "csv" else xlsx_bytes(sheet, headers, rows, rtl=rtl)
