"""The policy as a PDF, with WeasyPrint (Pango + HarfBuzz shape Arabic correctly).

Fonts come from the system (Debian `fonts-hosny-amiri` and `fonts-noto-core`: Amiri and
Noto Naskh Arabic). The HTML is ours and every image is inlined as a data: URI, so the
renderer is told to fetch nothing else: no file or network access from user content.
Rendering takes CPU for a second or so; it runs in worker threads, two at a time.
"""
from __future__ import annotations

import base64
import logging

import anyio
from anyio import CapacityLimiter

_limiter: CapacityLimiter | None = None
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per page otherwise


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # WeasyPrint >= 68: only data: URIs (our inlined logo) may be fetched.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


async def render_pdf_async(html: str) -> bytes:
    global _limiter
    if _limiter is None:
        _limiter = CapacityLimiter(2)
    return await anyio.to_thread.run_sync(render_pdf, html, limiter=_limiter)


def data_uri(content_type: str, content: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"
