"""Minutes of a research-committee session as a PDF (WeasyPrint), Arabic first, both calendars.

The PDF is rendered from the session's rows each time: once the session is closed those rows
cannot change (votes and decisions are refused on a closed session), so neither can it.
"""
from __future__ import annotations

import asyncio
from typing import Any

from sila.platform import i18n
from sila.platform.templating import environment
from sila.tenants.requests.committee import session_detail
from sila.tenants.requests.display import template_helpers

FONTS_CSS = """
@font-face { font-family: "Amiri"; src: local("Amiri"), url("file:///usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Regular.ttf"); }
@font-face { font-family: "Amiri"; font-weight: bold; src: local("Amiri Bold"), url("file:///usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Bold.ttf"); }
"""


async def minutes_pdf(tenant: Any, session_id: Any, lang: str) -> bytes:
    from weasyprint import HTML

    data = await session_detail(tenant.id, session_id)
    with i18n.language(lang):
        html = environment().get_template("requests/minutes.html").render(
            **template_helpers(), **data, tenant=tenant, lang=lang, dir=i18n.direction(lang), fonts_css=FONTS_CSS)
    # Layout is CPU work: keep it off the event loop.
    return await asyncio.to_thread(lambda: HTML(string=html, base_url="/").write_pdf())
