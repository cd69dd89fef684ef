"""Charts drawn on the server as inline SVG (no script), the one chart module: survey results,
the operator's usage, and the PDFs use the same drawings. Each has a title and a text
description for screen readers, and the pages show the same numbers in tables.

Arabic pages read right to left, so the charts do too: bar labels sit on the right and bars grow
leftwards, and months run from the right (oldest) to the left (newest), like the text.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from babel.dates import format_date
from markupsafe import Markup, escape

from sila.platform.dates import localised_number

Point = tuple[str, float | None, int]  # label, value (None: no answers), number of answers


def _digits(text: str, lang: str) -> str:
    return localised_number(text, lang)


def _fmt(value: float | None, lang: str, fmt: Callable[[float], str]) -> str:
    return "—" if value is None else _digits(fmt(value), lang)


def _open(width: int, height: int, title: str, desc: str) -> tuple[list[str], str]:
    cid = "c" + uuid.uuid4().hex[:8]
    return [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{cid}-t {cid}-d" '
            f'xmlns="http://www.w3.org/2000/svg"><title id="{cid}-t">{escape(title)}</title>'
            f'<desc id="{cid}-d">{escape(desc)}</desc>'], cid


def _describe(points: list[Point], lang: str, fmt: Callable[[float], str]) -> str:
    sep = "، " if lang == "ar" else ", "
    return sep.join(f"{label}: {_fmt(v, lang, fmt)} ({_digits(str(n), lang)})" for label, v, n in points)


def columns(points: list[Point], *, top: float, title: str, lang: str,
            fmt: Callable[[float], str] = lambda v: f"{v:.1f}") -> Markup:
    """Vertical columns in time order (first = oldest), with the value above and the count below."""
    width, height, pad_side, pad_top, pad_bottom = 720, 270, 24, 28, 64
    parts, _ = _open(width, height, title, _describe(points, lang, fmt))
    n = max(len(points), 1)
    slot = (width - 2 * pad_side) / n
    plot = height - pad_top - pad_bottom
    base = height - pad_bottom
    parts.append(f'<line x1="{pad_side}" y1="{base}" x2="{width - pad_side}" y2="{base}" class="axis"/>')
    for i, (label, value, count) in enumerate(points):
        x = (width - pad_side - (i + 1) * slot) if lang == "ar" else (pad_side + i * slot)
        h = 0 if value is None else plot * max(value, 0) / (top or 1)
        cx = x + slot / 2
        parts.append(f'<rect x="{x + slot * 0.18:.1f}" y="{base - h:.1f}" width="{slot * 0.64:.1f}" height="{h:.1f}" '
                     f'class="bar"/>')
        parts.append(f'<text x="{cx:.1f}" y="{base - h - 6:.1f}" class="value">{_fmt(value, lang, fmt)}</text>')
        month, _, year = label.partition("|")  # "month|year": the year only where it starts or changes
        parts.append(f'<text x="{cx:.1f}" y="{base + 18}" class="month">{escape(month)}</text>')
        parts.append(f'<text x="{cx:.1f}" y="{base + 34}" class="count">({_digits(str(count), lang)})</text>')
        if year:
            parts.append(f'<text x="{cx:.1f}" y="{base + 50}" class="year">{escape(_digits(year, lang))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- texts in the SVG went through escape(), the rest are numbers


def bars(items: list[Point], *, top: float, title: str, lang: str,
         fmt: Callable[[float], str] = lambda v: f"{v:.1f}") -> Markup:
    """Horizontal bars, one per item, the label at the start side and the value at the bar's end."""
    width, row, pad, label_w, value_w = 720, 34, 8, 230, 96
    height = max(len(items), 1) * row + 2 * pad
    parts, _ = _open(width, height, title, _describe(items, lang, fmt))
    span = width - label_w - value_w - 2 * pad
    rtl = lang == "ar"
    for i, (label, value, count) in enumerate(items):
        y = pad + i * row
        w = 0 if value is None else span * max(value, 0) / (top or 1)
        # Texts run in the page's direction, anchored at their start: in Arabic the start is the
        # right edge, so labels hang leftwards from the right margin and values from the bar's end.
        if rtl:
            lx, bx = width - pad, width - pad - label_w - w
            vx = bx - 6
        else:
            lx, bx = pad, pad + label_w
            vx = bx + w + 6
        direction = "rtl" if rtl else "ltr"
        text = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{lx}" y="{y + row * 0.62:.1f}" class="label" direction="{direction}" '
                     f'text-anchor="start">{escape(text)}</text>')
        parts.append(f'<rect x="{bx:.1f}" y="{y + 6}" width="{w:.1f}" height="{row - 12}" class="bar"/>')
        parts.append(f'<text x="{vx:.1f}" y="{y + row * 0.62:.1f}" class="bar-value" direction="{direction}" '
                     f'text-anchor="start">{_fmt(value, lang, fmt)} ({_digits(str(count), lang)})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- texts in the SVG went through escape(), the rest are numbers


WIDTH, HEIGHT, PAD_TOP, PAD_BOTTOM, PAD_SIDE = 720, 250, 24, 46, 48


def _num(n: int, lang: str) -> str:
    return localised_number(f"{n:,}", lang)


def monthly_bars(points: list[tuple[dt.date, int]], *, lang: str, title: str, limit: int | None = None) -> Markup:
    """Bars per month. In Arabic time runs right to left like the text, so the newest month is
    at the left end; a dashed line marks the monthly quota when there is one."""
    n = len(points) or 1
    top = max([v for _, v in points] + [limit or 0, 1])
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = (WIDTH - 2 * PAD_SIDE) / n
    rtl = lang == "ar"
    desc = "، ".join(f"{format_date(m, 'MMMM y', locale=lang)}: {_num(v, lang)}" for m, v in points)
    parts, _ = _open(WIDTH, HEIGHT, title, _digits(desc, lang))
    parts.append(f'<line x1="{PAD_SIDE}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH - PAD_SIDE}" y2="{HEIGHT - PAD_BOTTOM}" '
                 'class="axis"/>')
    for i, (month, value) in enumerate(points):
        x = (WIDTH - PAD_SIDE - (i + 1) * slot) if rtl else (PAD_SIDE + i * slot)
        h = plot_h * value / top
        y = HEIGHT - PAD_BOTTOM - h
        over = " over" if limit is not None and value > limit else ""
        label = format_date(month, "MMM", locale=lang)
        parts.append(f'<rect x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                     f'class="bar{over}"/>')
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{y - 5:.1f}" class="value">{_num(value, lang)}</text>')
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 20}" class="month">{escape(label)}</text>')
        if i == 0 or month.month == 1:  # the year, where it starts and where it changes
            year = _digits(str(month.year), lang)
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 36}" class="year">{year}</text>')
    if limit is not None:
        y = HEIGHT - PAD_BOTTOM - plot_h * limit / top
        parts.append(f'<line x1="{PAD_SIDE}" y1="{y:.1f}" x2="{WIDTH - PAD_SIDE}" y2="{y:.1f}" class="quota"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- texts in the SVG went through escape(), the rest are numbers
