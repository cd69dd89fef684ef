"""Minutes of a research-committee session as a PDF (the one PDF pipeline, `sila.platform.pdf`),
Arabic first, both calendars.

The PDF is rendered from the session's rows each time: once the session is closed those rows
cannot change (votes and decisions are refused on a closed session), so neither can it.
"""
from __future__ import annotations

from typing import Any

from sila.platform.pdf import render_pdf
from sila.tenants.committee.forms import VOTES
from sila.tenants.committee.rule import MAJORITIES
from sila.tenants.committee.services import minutes_digest, session_detail
from sila.tenants.requests.display import template_helpers

FONTS_CSS = """
@font-face { font-family: "Amiri"; src: local("Amiri"), url("file:///usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Regular.ttf"); }
@font-face { font-family: "Amiri"; font-weight: bold; src: local("Amiri Bold"), url("file:///usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Bold.ttf"); }
"""


async def minutes_pdf(tenant: Any, session_id: Any, lang: str) -> bytes:
    data = await session_detail(tenant.id, session_id)
    signed_by = {str(s.member): s for s in data.signatures}
    return await render_pdf("committee/minutes.html", {**template_helpers(), **data.context(), "vote_labels": VOTES,
                                                       "majority_labels": MAJORITIES, "signed_by": signed_by,
                                                       "digest": minutes_digest(data), "tenant": tenant,
                                                       "fonts_css": FONTS_CSS}, lang=lang)
