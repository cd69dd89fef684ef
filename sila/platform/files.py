"""What an uploaded file really is: the one sniffer (magic bytes, never the name or the
browser's claim) and the one way a stored file gets a safe name."""
from __future__ import annotations

import dataclasses
import io
import re
import zipfile

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain; charset=utf-8"


@dataclasses.dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str


_MAGIC = ((b"%PDF-", FileType(PDF, ".pdf")), (b"\xff\xd8\xff", FileType(JPEG, ".jpg")),
          (b"\x89PNG\r\n\x1a\n", FileType(PNG, ".png")))
_DOCX = FileType(DOCX, ".docx")
EXTENSIONS = {kind.content_type: kind.extension for _, kind in _MAGIC} | {DOCX: ".docx", TEXT: ".txt"}


def sniff(content: bytes) -> FileType | None:
    """The file's real type from its first bytes, or None for anything but PDF, PNG, JPEG and
    Word (a zip holding word/document.xml)."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "word/document.xml" in archive.namelist():
                    return _DOCX
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
    return None


def safe_name(name: str, extension: str, *, limit: int = 100) -> str:
    """The last path part of `name`, with anything but letters (any script), digits, dots,
    hyphens and spaces replaced, cut to `limit`, ending in the file's real extension."""
    base = re.sub(r"[^\w.\- ]+", "_", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")[:limit]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    if base.lower().endswith(extension) or (extension == ".jpg" and base.lower().endswith(".jpeg")):
        return base
    return (stem or "document") + extension
