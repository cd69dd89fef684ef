"""Files people open in a spreadsheet: CSV and XLSX, the one place cells are made safe.

A cell that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+`, `-`, `@`, or after a tab
or a carriage return) starts with a quote, in CSV and XLSX alike (XlsxWriter is also told never
to turn a string into a formula or a link). Sheets read right to left when the page was Arabic.
CSV carries a byte-order mark so Excel reads Arabic as UTF-8.

Large files are made as they are read: `csv_stream` sends each batch of lines as it comes;
`xlsx_file` writes each batch into XlsxWriter's constant-memory mode (rows go to a temporary file
as they are written) and hands back the finished file. An XLSX is a ZIP whose parts are only
complete at the end, so it cannot leave before its last row; its memory stays flat all the same.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import decimal
import io
import json
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import IO, Any

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


async def csv_stream(headers: Sequence[str], batches: AsyncIterable[Sequence[Sequence[Any]]]) -> AsyncIterator[bytes]:
    """A CSV, one chunk per batch of lines (byte-order mark and header first)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([escape_cell(h) for h in headers])
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    async for batch in batches:
        out.seek(0)
        out.truncate()
        for row in batch:
            writer.writerow([escape_cell(v) for v in row])
        yield out.getvalue().encode("utf-8")


def _sheet(book: Any, sheet: str, headers: Sequence[str], rtl: bool) -> Any:
    ws = book.add_worksheet(sheet[:31])
    if rtl:
        ws.right_to_left()
    bold = book.add_format({"bold": True})
    for c, h in enumerate(headers):
        ws.write_string(0, c, escape_cell(h), bold)
        ws.set_column(c, c, max(12, min(40, len(str(h)) + 4)))
    ws.freeze_panes(1, 0)
    return ws


def _write_rows(ws: Any, first: int, rows: Iterable[Sequence[Any]]) -> int:
    """Write rows from row `first` on; return the next free row."""
    r = first
    for row in rows:
        for c, v in enumerate(row):
            value = _plain(v)
            if isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write_number(r, c, value)
        r += 1
    return r


BOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


async def xlsx_file(sheet: str, headers: Sequence[str], batches: AsyncIterable[Sequence[Sequence[Any]]], *,
                    rtl: bool) -> IO[bytes]:
    """An XLSX written batch by batch in constant-memory mode, each batch (and the final ZIP) off
    the event loop. Returns the open file at its start; its name is already unlinked, so nothing
    is left on disk once it is closed (or the process dies)."""
    import xlsxwriter

    fd, path = tempfile.mkstemp(prefix="sila-export-", suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(path, {**BOOK_OPTIONS, "constant_memory": True,
                                          "tmpdir": os.path.dirname(path)})
        ws = _sheet(book, sheet, headers, rtl)
        row = 1
        async for batch in batches:
            row = await asyncio.to_thread(_write_rows, ws, row, batch)
        await asyncio.to_thread(book.close)
        fh = open(path, "rb")  # noqa: SIM115 - handed to the caller, who streams and closes it
    finally:
        os.unlink(path)
    return fh


async def file_chunks(fh: IO[bytes], size: int = 1 << 16) -> AsyncIterator[bytes]:
    """A file's bytes for a streamed response; the file is closed at the end (or on disconnect)."""
    try:
        while chunk := await asyncio.to_thread(fh.read, size):
            yield chunk
    finally:
        fh.close()


def xlsx_bytes(sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, rtl: bool) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {**BOOK_OPTIONS, "in_memory": True})
    _write_rows(_sheet(book, sheet, headers, rtl), 1, rows)
    book.close()
    return buf.getvalue()


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def render(fmt: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, rtl: bool) -> bytes:
    return csv_bytes(headers, rows) if fmt == "csv" else xlsx_bytes(sheet, headers, rows, rtl=rtl)
