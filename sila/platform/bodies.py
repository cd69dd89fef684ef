"""Request-body types every area's controllers take, and the upload size the server accepts."""
from __future__ import annotations

from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# Above the largest accepted file, so an oversized one still gets a message beside its field.
UPLOAD_BODY_LIMIT = 24 * 1024 * 1024
