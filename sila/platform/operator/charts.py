"""Charts drawn on the server as inline SVG: no script, readable by screen readers (a title
and a description, and every page that shows one also has the numbers in a table)."""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from markupsafe import Markup, escape

from sila.platform.templating import EASTERN_DIGITS

WIDTH, HEIGHT, PAD_TOP, PAD_BOTTOM, PAD_SIDE = 720, 250, 24, 46, 48


def _num(n: int, lang: str) -> str:
    text = f"{n:,}"
    return text.translate(EASTERN_DIGITS).replace(",", "٬") if lang == "ar" else text


def monthly_bars(points: list[tuple[dt.date, int]], *, lang: str, title: str, limit: int | None = None) -> Markup:
    """Bars per month. In Arabic time runs right to left like the text, so the newest month is
    at the left end; a dashed line marks the monthly quota when there is one."""
    n = len(points) or 1
    top = max([v for _, v in points] + [limit or 0, 1])
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = (WIDTH - 2 * PAD_SIDE) / n
    rtl = lang == "ar"
    desc = "، ".join(f"{format_date(m, 'MMMM y', locale=lang)}: {_num(v, lang)}" for m, v in points)
    if lang == "ar":
        desc = desc.translate(EASTERN_DIGITS)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-t chart-d" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="chart-t">{escape(title)}</title>'
             f'<desc id="chart-d">{escape(desc)}</desc>',
             f'<line x1="{PAD_SIDE}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH - PAD_SIDE}" y2="{HEIGHT - PAD_BOTTOM}" class="axis"/>']
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
            year = str(month.year).translate(EASTERN_DIGITS) if lang == "ar" else str(month.year)
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 36}" class="year">{year}</text>')
    if limit is not None:
        y = HEIGHT - PAD_BOTTOM - plot_h * limit / top
        parts.append(f'<line x1="{PAD_SIDE}" y1="{y:.1f}" x2="{WIDTH - PAD_SIDE}" y2="{y:.1f}" class="quota"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
