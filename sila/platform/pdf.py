"""The one PDF pipeline (WeasyPrint: Pango + HarfBuzz shape Arabic correctly).

Every PDF in Sila (the public policy, the committee minutes) is a Jinja template rendered
through the one environment, then laid out here. The renderer fetches nothing from the
network and no file outside the fonts and our own `static/`: images are inlined as data: URIs
(`data_uri`), fonts come from the system (Debian `fonts-hosny-amiri`, `fonts-noto-core`).
A reference in content to `http://…`, `file:///etc/passwd` or an attachment is dropped.

Layout takes CPU for a second or so: it runs in worker threads, two at a time, off the event
loop. `cached_pdf` keeps a rendered PDF in Redis for a day, keyed by a hash of its HTML, so
an immutable document (a published policy version) is laid out once, not once per request.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from weakref import WeakValueDictionary

import anyio
from anyio import CapacityLimiter
from redis.exceptions import RedisError

from sila.platform import i18n
from sila.platform.templating import environment

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per page otherwise
log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
CACHE_SECONDS = 86400
RENDER_THREADS = 2

_limiter: CapacityLimiter | None = None
_flights: WeakValueDictionary[str, anyio.Lock] = WeakValueDictionary()


def _local_file(url: str) -> bool:
    """A file: URL inside the fonts or our static directory (after resolving links and ..)."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return False
    path = Path(os.path.realpath(unquote(parts.path)))
    return any(path.is_relative_to(root.resolve()) for root in (STATIC_DIR, *FONT_DIRS))


def _fetcher() -> Any:
    # loaded when used: WeasyPrint brings Pango and its fonts, only for a PDF
    from weasyprint.urls import URLFetcher

    class LocalOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data" or (scheme == "file" and _local_file(url)):
                return super().fetch(url, headers)
            raise ValueError(f"PDF renderer: refused to fetch {url[:80]}")

    return LocalOnly(allowed_protocols=("data", "file"), allow_redirects=False, timeout=1)


def html_to_pdf(html: str) -> bytes:
    """Lay out our HTML as a PDF (blocking, CPU-bound: call through `render_pdf`)."""
    # loaded when used: as _fetcher
    from weasyprint import HTML

    return HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=_fetcher()).write_pdf()


def render_html(template: str, context: dict[str, Any], *, lang: str) -> str:
    with i18n.language(lang):
        return environment().get_template(template).render({**context, "lang": lang, "dir": i18n.direction(lang)})


async def _layout(html: str) -> bytes:
    global _limiter
    if _limiter is None:
        _limiter = CapacityLimiter(RENDER_THREADS)
    return await anyio.to_thread.run_sync(html_to_pdf, html, limiter=_limiter)


async def render_pdf(template: str, context: dict[str, Any], *, lang: str) -> bytes:
    """The template, in `lang`, as PDF bytes. Every PDF goes through here (or `cached_pdf`)."""
    return await _layout(render_html(template, context, lang=lang))


def cache_key(name: str, html: str) -> str:
    return f"sila:pdf:{name}:{hashlib.sha256(html.encode()).hexdigest()}"


async def cached_pdf(redis: Any, name: str, template: str, context: dict[str, Any], *, lang: str,
                     before_render: Callable[[], Awaitable[None]] | None = None) -> bytes:
    """`render_pdf` for a document that never changes once it exists (a published version):
    served from Redis when the same HTML was rendered in the last day. `name` scopes the key
    (tenant, document, language); the HTML hash covers everything else shown (letterhead,
    logo). `before_render` runs only on a miss, e.g. a rate limit that raises 429.
    Concurrent misses for one document in a process wait for a single render."""
    html = render_html(template, context, lang=lang)
    key = cache_key(name, html)

    async def cached() -> bytes | None:
        try:
            return await redis.get(key)
        except RedisError:
            log.warning("PDF cache unavailable; rendering %s", name)
            return None

    if (content := await cached()) is not None:
        return bytes(content)
    lock = _flights.get(key)
    if lock is None:
        lock = _flights[key] = anyio.Lock()
    async with lock:
        if (content := await cached()) is not None:
            return bytes(content)
        if before_render is not None:
            await before_render()
        content = await _layout(html)
        try:
            await redis.set(key, content, ex=CACHE_SECONDS)
        except RedisError:
            pass
        return content


def data_uri(content_type: str, content: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"
