"""Survey charts drawn on the server as inline SVG (no script). Each has a title and a text
description for screen readers, and the pages show the same numbers in tables.

Arabic pages read right to left, so the charts do too: bar labels sit on the right and bars grow
leftwards, and months run from the right (oldest) to the left (newest), like the text.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable

from markupsafe import Markup, escape

from sila.platform.templating import EASTERN_DIGITS

Point = tuple[str, float | None, int]  # label, value (None: no answers), number of answers


def _digits(text: str, lang: str) -> str:
    return text.translate(EASTERN_DIGITS).replace(".", "٫") if lang == "ar" else text


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
    return Markup("".join(parts))


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
    return Markup("".join(parts))
