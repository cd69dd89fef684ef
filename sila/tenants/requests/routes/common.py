"""What the request area's pages share: body types, the page renderer with the area's helpers,
and how a refusal becomes errors or a status."""
from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body

from sila.platform import i18n
from sila.platform.forms import FormErrors, ticked
from sila.platform.web import render
from sila.tenants.beneficiaries.forms import CATEGORIES, CONTACT_CHANNELS
from sila.tenants.requests.display import template_helpers
from sila.tenants.policy import custom_fields as cf
from sila.tenants.requests.services import Problem
from sila.tenants.requests.terms import PolicyTerms
from sila.tenants.requests.uploads import Upload, read_files

MSG_ONE_FILE = i18n.N_("Attach one file to this question.")

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


@dataclasses.dataclass
class CustomAnswers:
    values: dict[str, Any]  # custom_fields.parse_answers values of the visible questions ({} with errors)
    files: dict[str, Upload]  # file question key -> its file (visible questions only)
    typed: dict[str, Any]  # what to show again: text as typed, several choices as lists


async def read_custom_answers(terms: PolicyTerms | None, data: Any, errors: FormErrors,
                              kept: dict[str, Upload] | None = None) -> CustomAnswers:
    """The answers to the charity's own questions of `terms`' form, read through the form layer
    (custom_fields.parse_answers); errors are added beside each question. A file question takes one
    file through the request uploads' checks; `kept`: files that passed on an earlier attempt."""
    fields = list(terms.custom_fields) if terms else []
    if not fields:
        return CustomAnswers({}, {}, {})
    files: dict[str, Upload] = {}
    for f in fields:
        if f.type != "file":
            continue
        uploads, problems = await read_files(data.get(f.name) if data else None)
        files_errors(errors, f.name, problems)
        if len(uploads) > 1:
            errors.add(f.name, MSG_ONE_FILE)
        elif uploads:
            files[f.key] = uploads[0]
        elif kept and f.key in kept and not problems:
            files[f.key] = kept[f.key]
    answers = cf.parse_answers(fields, data or {}, uploaded={f"cf_{k}" for k in files})
    for name, messages in answers.errors.items():
        errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
    typed: dict[str, Any] = dict(answers.typed)
    typed.update({f.name: ticked(data, f.name) for f in fields if f.type == "choices"})
    # Conditions look only at choice and yes/no answers, whose typed value is the option itself.
    shown = {f.key for f in cf.visible(fields, {k: v.strip() if isinstance(v, str) else v for k, v in typed.items()})}
    for f in fields:
        if f.type == "file" and f.key not in shown:
            errors.pop(f.name, None)  # a hidden question's file is neither checked nor kept
    files = {k: v for k, v in files.items() if k in shown}
    return CustomAnswers(answers.values if answers.values is not None else {}, files, typed)
