"""What the request area's pages share: body types, the page renderer with the area's helpers,
and how a refusal becomes errors or a status."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body

from sila.platform import i18n
from sila.platform.forms import FormErrors
from sila.platform.web import render
from sila.tenants.beneficiaries.forms import CATEGORIES, CONTACT_CHANNELS
from sila.tenants.requests.display import template_helpers
from sila.tenants.requests.services import Problem

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def choice_options() -> dict[str, Any]:
    """Radio / select options with their labels translated for this page."""
    return {"contact_options": [(k, i18n.gettext(v)) for k, v in CONTACT_CHANNELS.items()],
            "category_options": [(k, i18n.gettext(v)) for k, v in CATEGORIES.items()]}


async def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Any:
    return await render(request, template, status_code=status_code, **template_helpers(), **context)


def add_problem(errors: FormErrors, exc: Problem) -> None:
    errors.add(exc.field, exc.msgid, **exc.variables)


def files_errors(errors: FormErrors, field: str, problems: list[tuple[str, dict[str, Any]]]) -> None:
    for msgid, variables in problems:
        errors.add(field, msgid, **variables)


def refusal_status(kind: str) -> int:
    """A TransitionError's status: the role may never do it (403), or not at this stage (409)."""
    return 403 if kind == "role" else 409
