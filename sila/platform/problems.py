"""JSON errors for the API (RFC 9457 "problem details"): every answer under /api/ that is not a
success is `application/problem+json`, never an HTML page, whichever layer refused it (the
host, the input guard, routing, a guard, the handler, or an unexpected error)."""
from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response

API_PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 410: "Gone", 412: "Precondition failed", 413: "Payload too large",
          415: "Unsupported media type", 422: "Unprocessable content", 429: "Too many requests",
          500: "Internal server error", 503: "Service unavailable"}


class Problem(msgspec.Struct, omit_defaults=True):
    """An error. `type` names the kind (documented at /api/v1/docs); `errors`: field -> messages,
    in the language asked for with Accept-Language (Arabic unless `en`)."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: dict[str, list[str]] | None = None


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX)


def problem(status: int, code: str = "", detail: str = "", *, errors: dict[str, list[str]] | None = None,
            headers: dict[str, str] | None = None) -> Response[Any]:
    body = Problem(type=f"/api/v1/docs#problem-{code or status}", title=TITLES.get(status, "Error"), status=status,
                   detail=detail, errors=errors or None)
    return Response(content=msgspec.json.encode(body), status_code=status, media_type=MEDIA_TYPE,
                    headers=headers or {})
