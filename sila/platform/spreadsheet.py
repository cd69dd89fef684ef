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
import codecs
import csv
import datetime as dt
import decimal
import io
import json
import os
import tempfile
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from typing import IO, Any

import xlsxwriter

from sila.platform.i18n import N_

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
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {**BOOK_OPTIONS, "in_memory": True})
    _write_rows(_sheet(book, sheet, headers, rtl), 1, rows)
    book.close()
    return buf.getvalue()


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def render(fmt: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, rtl: bool) -> bytes:
    return csv_bytes(headers, rows) if fmt == "csv" else xlsx_bytes(sheet, headers, rows, rtl=rtl)


# --- reading what people upload ------------------------------------------------------------------
# The other direction: a CSV or XLSX file a person made, read as rows of text, streamed (a CSV is
# decoded as it is read, an XLSX opened in openpyxl's read-only mode), so memory stays flat however
# many rows it has. What cannot be read raises `SheetError` with a msgid for the page.

MSG_NOT_A_SHEET = N_("This file is not a CSV or XLSX spreadsheet. Save it from your spreadsheet program as "
                     "\"CSV UTF-8\" or as an Excel workbook (.xlsx) and upload it again.")
MSG_ENCODING = N_("The file's text is neither UTF-8 nor Windows Arabic (cp1256), so its letters cannot be read. "
                  "Save it as \"CSV UTF-8\" and upload it again.")
MSG_EMPTY = N_("The file has no rows.")
MSG_BROKEN = N_("The file could not be read to its end (%(detail)s). Save it again from your spreadsheet "
                "program and upload it again.")
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": N_("UTF-8 with a byte-order mark"),
                   "cp1256": N_("Windows Arabic (cp1256)")}
MAX_COLUMNS = 100
MAX_UNZIPPED = 256 * 1024 * 1024
MAX_CELL = 1000  # characters kept of one cell; longer cells are cut and the row says so
_CSV_FIELD_LIMIT = 64 * 1024  # one field this long is a broken file, not a cell


class SheetError(ValueError):
    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid, self.params = msgid, params


def unescape_cell(text: str) -> str:
    """The inverse of `escape_cell`: a report downloaded, fixed and uploaded again reads as it was."""
    return text[1:] if text.startswith("'") and text[1:2] and text[1] in "=+-@\t\r" else text


def sniff_sheet(content: bytes) -> str | None:
    """'xlsx' (a zip holding xl/workbook.xml), 'csv' (text with no NUL bytes), or None."""
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                # openpyxl holds the shared strings in memory: a workbook that inflates past
                # MAX_UNZIPPED (a zip bomb, or no sheet anyone typed) is not read at all.
                if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED:
                    return None
                return "xlsx" if "xl/workbook.xml" in archive.namelist() else None
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
    head = content[:65536]
    if not head.strip() or head.count(b"\x00") > 8:
        return None  # UTF-16, a binary file, or nothing: not a CSV anyone saved for us
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"\xd0\xcf\x11\xe0", b"\xff\xfe", b"\xfe\xff")):
        return None  # PDF, PNG, JPEG, an old binary .xls, UTF-16
    return "csv"


def detect_encoding(content: bytes) -> str:
    """'utf-8-sig', 'utf-8' or 'cp1256' (what Excel on Arabic Windows saves as "CSV"); SheetError
    when the bytes are none of them. cp1256 maps nearly every byte, so it is taken only when what
    it reads is Arabic: most of its non-ASCII letters fall in the Arabic block."""
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            codecs_check(content[3:], "utf-8")
        except UnicodeDecodeError:
            raise SheetError(MSG_ENCODING) from None
        return "utf-8-sig"
    try:
        codecs_check(content, "utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp1256")
    except UnicodeDecodeError:
        raise SheetError(MSG_ENCODING) from None
    other = [c for c in text if ord(c) > 127]
    arabic = sum(1 for c in other if "\u0600" <= c <= "\u06ff")
    if not other or arabic / len(other) < 0.9:
        raise SheetError(MSG_ENCODING)
    return "cp1256"


def codecs_check(content: bytes, encoding: str) -> None:
    """Raise UnicodeDecodeError unless all of `content` decodes (incrementally: no second copy)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    step = 1 << 20
    for start in range(0, len(content), step):
        decoder.decode(content[start:start + step])
    decoder.decode(b"", final=True)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID number Excel kept as a number
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_rows(content: bytes, fmt: str, encoding: str = "") -> Iterator[list[str]]:
    """Every row of the file's first sheet as a list of cell texts (header included), streamed;
    cells un-escaped (`unescape_cell`), a row cut at MAX_COLUMNS. SheetError when it breaks."""
    if fmt == "xlsx":
        yield from _xlsx_rows(content)
        return
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    stream = io.TextIOWrapper(io.BytesIO(content), encoding=encoding or "utf-8", newline="")
    sample = stream.read(8192)
    stream.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    try:
        for row in csv.reader(stream, dialect):
            yield [unescape_cell(c) for c in row[:MAX_COLUMNS]]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise SheetError(MSG_BROKEN, detail=str(exc)[:80]) from None


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    # loaded when used: openpyxl, only for an XLSX file
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise SheetError(MSG_BROKEN, detail=type(exc).__name__) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return
        try:
            for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
                cells = [unescape_cell(_text(v)) for v in values]
                while cells and not cells[-1]:  # a sheet's width is its widest row's: trim the rest
                    cells.pop()
                yield cells
        except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
            raise SheetError(MSG_BROKEN, detail=type(exc).__name__) from None
    finally:
        book.close()


def xlsx_row_estimate(content: bytes) -> int:
    """The first sheet's row count as its dimension says (0 when it says nothing): for progress."""
    # loaded when used: openpyxl, only for an XLSX file
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            return int(book.worksheets[0].max_row or 0) if book.worksheets else 0
        finally:
            book.close()
    except Exception:
        return 0
