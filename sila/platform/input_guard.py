"""Hostile input stops here: the one place form bodies, query strings and path parameters are read.

`InputGuard` runs before Litestar's CSRF check and body extraction. For a form POST it reads the
body once and decodes it itself (url-encoded or multipart), so a handler and the CSRF check only
ever see text that PostgreSQL can store:

- invalid UTF-8 and control characters other than tab, line feed and carriage return (NUL first
  of all: PostgreSQL refuses it in text) are replaced by U+FFFD, and the field is *refused*;
- a `_csrf_token` that is a file, not ASCII, or a CSRF cookie or header that is not ASCII is a 403;
- a query string or path with such characters is a 400 / 404, an integer path parameter outside
  PostgreSQL's `integer` a 404.

A refused field is reported by every `web.FormErrors()` made while handling the request (the form
re-renders with "this field contains characters that are not allowed" beside the field, what
was typed kept, U+FFFD where the bad character was). A handler that never makes a `FormErrors`
cannot save it either: committing a database scope that wrote, with an unreported refusal,
raises `RefusedInput`, so the transaction rolls back and the visitor gets a 400 page.

`clean_text` and `refused_fields` are the primitives a typed form layer builds on.
"""
from __future__ import annotations

import contextvars
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from litestar.datastructures.upload_file import UploadFile
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException, NotFoundException, PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPReceiveMessage, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from sila.platform import i18n

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REPLACEMENT = "\ufffd"
NOT_ALLOWED = i18n.N_("This field contains characters that are not allowed.")
# PostgreSQL's `integer`: a larger number in a path can name no row.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadInput(HTTPException):
    """A 400 whose page says, in the visitor's language, what was wrong."""

    status_code = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(detail=message)


class RefusedInput(BadInput):
    """Refused input that no form reported (see `unreported_refusal`)."""

    def __init__(self) -> None:
        super().__init__(i18n.gettext("The form contains characters that are not allowed. "
                                      "Go back, remove them and send it again."))


def clean_text(value: str) -> tuple[str, bool]:
    """`value` with every forbidden character replaced by U+FFFD, and whether there was one."""
    cleaned, count = FORBIDDEN.subn(REPLACEMENT, value)
    return cleaned, count > 0


def decode_text(raw: bytes, charset: str = "utf-8") -> tuple[str, bool]:
    """Bytes as text (invalid UTF-8 becomes U+FFFD), cleaned; and whether anything was refused."""
    try:
        text, bad = raw.decode(charset), False
    except (UnicodeDecodeError, LookupError):
        text, bad = raw.decode("utf-8", errors="replace"), True
    cleaned, forbidden = clean_text(text)
    return cleaned, bad or forbidden


@dataclass
class Refusals:
    fields: set[str] = field(default_factory=set)
    reported: bool = False


_refusals: contextvars.ContextVar[Refusals | None] = contextvars.ContextVar("sila_refusals", default=None)


def refused_fields() -> set[str]:
    """The fields of this request's form that were refused (and count them as reported)."""
    found = _refusals.get()
    if found is None or not found.fields:
        return set()
    found.reported = True
    return set(found.fields)


def unreported_refusal() -> bool:
    """Asked by the database scopes before they commit a write: refused input is never saved."""
    found = _refusals.get()
    return found is not None and bool(found.fields) and not found.reported


# --- decoding -------------------------------------------------------------------------------------


def _collect(pairs: Iterable[tuple[str, Any, bool]]) -> tuple[dict[str, Any], set[str]]:
    fields: defaultdict[str, list[Any]] = defaultdict(list)
    refused: set[str] = set()
    for name, value, bad in pairs:
        fields[name].append(value)
        if bad:
            refused.add(name)
    return {k: v if len(v) > 1 else v[0] for k, v in fields.items()}, refused


def split_urlencoded(raw: bytes) -> list[tuple[bytes, bytes]]:
    """`a=1&b=2` as raw (name, value) bytes, percent-decoded, `+` as a space; never decoded to text."""
    pairs = []
    for part in raw.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            pairs.append((unquote_to_bytes(name.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" "))))
    return pairs


def parse_urlencoded(body: bytes) -> tuple[dict[str, Any], set[str]]:
    def pairs() -> Iterable[tuple[str, Any, bool]]:
        for raw_name, raw_value in split_urlencoded(body):
            name, bad_name = decode_text(raw_name)
            value, bad_value = decode_text(raw_value)
            yield name, value, bad_name or bad_value

    return _collect(pairs())


async def parse_multipart(body: bytes, boundary: bytes, part_limit: int) -> tuple[dict[str, Any], set[str]]:
    """Litestar's multipart reading (same parser, same UploadFile), with text decoded safely."""
    out: list[tuple[str, Any, bool]] = []
    if not body:
        return {}, set()
    try:
        with PushMultipartParser(boundary, max_segment_count=part_limit) as parser:
            segment: MultipartSegment | None = None
            data: UploadFile | bytearray = bytearray()
            for chunk in (body, b""):
                for part in parser.parse(chunk):
                    if isinstance(part, MultipartSegment):
                        segment, data = part, bytearray()
                        if segment.filename is not None:
                            filename, _ = clean_text(segment.filename)
                            data = UploadFile(content_type=segment.content_type or "text/plain",
                                              filename=filename, headers=dict(segment.headerlist))
                    elif part:
                        if isinstance(data, UploadFile):
                            await data.write(part)
                        else:
                            data.extend(part)
                    else:
                        if segment is None:
                            raise ClientException("Unexpected end of multipart/form-data")
                        name, bad = clean_text(segment.name)
                        if isinstance(data, UploadFile):
                            await data.seek(0)
                            bad = bad or clean_text(segment.filename or "")[1]
                            out.append((name, data, bad))
                        else:
                            value, bad_value = decode_text(bytes(data), segment.charset or "utf-8")
                            out.append((name, value, bad or bad_value))
                        segment, data = None, bytearray()
                if parser.closed:
                    break
    except ParserError as exc:
        raise ClientException("Invalid multipart/form-data") from exc
    except ParserLimitReached:
        raise ClientException("Request Entity Too Large", status_code=413) from None
    return _collect(out)


def _header(scope: Scope, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), "")


def _cookie(scope: Scope, name: str) -> str | None:
    for part in _header(scope, b"cookie").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _malformed_token(value: Any) -> bool:
    return not isinstance(value, str) or not value.isascii()


class InputGuard(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, csrf_cookie: str, csrf_header: str = "x-csrftoken",
                 csrf_exclude: Iterable[str] = ()) -> None:
        self.csrf_cookie = csrf_cookie
        self.csrf_header = csrf_header.lower().encode()
        self.csrf_exclude = [re.compile(p) for p in csrf_exclude]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path = scope.get("path", "")
        if FORBIDDEN.search(path):
            raise NotFoundException()
        for value in (scope.get("path_params") or {}).values():
            if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
                raise NotFoundException()
            if isinstance(value, str) and FORBIDDEN.search(value):
                raise NotFoundException()
        query = scope.get("query_string", b"")
        if query and any(decode_text(v)[1] or decode_text(k)[1] for k, v in split_urlencoded(query)):
            raise BadInput(i18n.gettext("The address contains characters that are not allowed."))
        refusals = Refusals()
        if scope.get("method") not in SAFE_METHODS:
            receive = await self._read_form(scope, receive, refusals)
        token = _refusals.set(refusals)
        try:
            await next_app(scope, receive, send)
        finally:
            _refusals.reset(token)

    async def _read_form(self, scope: Scope, receive: Receive, refusals: Refusals) -> Receive:
        app = scope["litestar_app"]
        request = app.request_class(scope=scope, receive=receive)
        checks_csrf = not any(p.search(scope["path"]) for p in self.csrf_exclude)
        if checks_csrf:
            cookie = _cookie(scope, self.csrf_cookie)
            header = _header(scope, self.csrf_header)
            if (cookie is not None and _malformed_token(cookie)) or (header and _malformed_token(header)):
                raise PermissionDeniedException("CSRF token verification failed")
        content_type, options = request.content_type
        if content_type not in FORM_TYPES:
            return receive
        body = await request.body()  # enforces the handler's body size limit; kept for later readers
        if content_type == FORM_TYPES[0]:
            form, refused = parse_urlencoded(body)
        else:
            boundary = options.get("boundary")
            if not boundary:
                raise ClientException("multipart boundary missing in Content-Type")
            form, refused = await parse_multipart(body, boundary.encode("latin-1"), app.multipart_form_part_limit)
        if checks_csrf and "_csrf_token" in form:
            sent = form["_csrf_token"]
            if any(_malformed_token(v) for v in (sent if isinstance(sent, list) else [sent])):
                raise PermissionDeniedException("CSRF token verification failed")
        ScopeState.from_scope(scope).form = form
        refusals.fields = refused - {"_csrf_token"}
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                message: HTTPReceiveMessage = {"type": "http.request", "body": body, "more_body": False}
                return message
            return await receive()

        return replay
