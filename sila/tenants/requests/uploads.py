"""Uploaded documents: type decided by magic bytes (never by name or the browser's claim),
size-limited, stored in PostgreSQL under row-level security."""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from sila.platform.files import safe_name, sniff
from sila.platform.i18n import N_

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 5
# Enough for MAX_FILES full-size files plus the form; beyond it the server refuses outright.
MAX_BODY = MAX_FILES * MAX_BYTES + 1024 * 1024
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

MSG_TYPE = N_("“%(name)s” is not a PDF, JPEG or PNG file.")
MSG_SIZE = N_("“%(name)s” is larger than 5 MB.")
MSG_EMPTY = N_("“%(name)s” is empty.")
MSG_TOO_MANY = N_("Attach at most 5 files.")



@dataclasses.dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


async def read_files(value: Any) -> tuple[list[Upload], list[tuple[str, dict[str, Any]]]]:
    """UploadFile(s) from a multipart field -> (valid uploads, [(msgid, variables)])."""
    files = value if isinstance(value, list) else [value] if value is not None else []
    files = [f for f in files if hasattr(f, "read") and getattr(f, "filename", "")]
    out: list[Upload] = []
    problems: list[tuple[str, dict[str, Any]]] = []
    if len(files) > MAX_FILES:
        return [], [(MSG_TOO_MANY, {})]
    for f in files:
        upload, problem = checked(f.filename, await f.read(MAX_BYTES + 1))
        if upload is not None:
            out.append(upload)
        if problem is not None:
            problems.append(problem)
    return out, problems


def checked(filename: str, content: bytes) -> tuple[Upload | None, tuple[str, dict[str, Any]] | None]:
    """One file's checks, wherever it came from (a form's multipart field, the API's base64):
    (the upload, None) or (None, (msgid, variables))."""
    name = filename[:100]
    if not content:
        return None, (MSG_EMPTY, {"name": name})
    if len(content) > MAX_BYTES:
        return None, (MSG_SIZE, {"name": name})
    if (kind := sniff(content)) is None:
        return None, (MSG_TYPE, {"name": name})
    return Upload(safe_name(filename, kind.extension), kind.content_type, content), None
