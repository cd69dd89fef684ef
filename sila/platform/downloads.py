"""The one way a download names its file: `Content-Disposition` with an ASCII `filename` that
every client reads and, per RFC 6266 / RFC 5987, `filename*` carrying the real (often Arabic)
name in UTF-8. A header holds only Latin-1, so a raw Arabic name there is a crash, and quotes,
semicolons or line breaks in an uploaded name must not reach the header either."""
from __future__ import annotations

import re
import unicodedata
from typing import Literal
from urllib.parse import quote

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f/\\]+")


def ascii_fallback(filename: str, default: str = "download") -> str:
    """An ASCII stand-in for old clients: accents dropped, other letters gone, the extension kept."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    flat = lambda s: _UNSAFE.sub("_", unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode())  # noqa: E731
    stem, ext = flat(stem).strip("._-"), flat(ext).strip("._-")[:16]
    return f"{stem or default}{'.' + ext if ext else ''}"[:150]


def content_disposition(filename: str, disposition: Literal["inline", "attachment"] = "inline",
                        default: str = "download") -> str:
    name = _CONTROL.sub("_", filename or "").strip() or default
    fallback = ascii_fallback(name, default)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
