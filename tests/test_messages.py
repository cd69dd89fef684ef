"""One way to compose a message (issue 13 item 5): every mail the code writes to the outbox is
composed by `sila.platform.messages.compose`, and every kind in its catalogue renders in both
languages. Pure: no servers."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sila.platform.messages import TEMPLATES, Wording, compose

ROOT = Path(__file__).resolve().parents[1]


class _Tenant:
    def name(self, lang: str) -> str:
        return {"ar": "جمعية النور", "en": "Al Noor"}[lang]


CONTEXT = {
    "tenant": _Tenant(), "link": "https://noor.sila.test/x", "roles": ["admin"], "days": 7, "hours": 2,
    "sha256": "ab" * 32, "quota": 500, "ref": "26-12345678", "due": "2026-12-01", "stage": "Verification",
    "items": [{"reference": "26-1", "stage": "Verification", "overdue": True, "due": "2026-12-01",
               "link": "https://noor.sila.test/portal/requests/1"}], "overdue": 1,
    "since": "2026-11-28", "target": "2026-12-02", "reason": "أرفقوا شهادة التسجيل", "count": 2, "by": "نورة",
    "queue": "https://noor.sila.test/portal/requests?assignee=me",
}


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_kind_composes_in_both_languages(kind: str) -> None:
    ar, en = compose(kind, "ar", CONTEXT), compose(kind, "en", CONTEXT)
    for message in (ar, en):
        assert message.subject and "\n" not in message.subject and message.text.strip()
    assert ar.subject != en.subject  # the Arabic one is translated, not the English msgid


def test_wording_is_filled_without_format_tricks() -> None:
    message = compose("request.received", "en", {"ref": "26-1", "org": "{ref}"},
                      Wording("About {ref}", "{org}: got {ref}; {unknown} {0.__class__}"))
    assert message == ("About 26-1", "{ref}: got 26-1; {unknown} {0.__class__}", "")


def _senders() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, ast.Call]]:
    out = []
    for path in sorted((ROOT / "sila").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(fn):
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "enqueue"):
                    out.append((str(path.relative_to(ROOT)), fn, call))
    return out


def _composed_names(fn: ast.AST) -> set[str]:
    """Names assigned from `compose(...)` in `fn` (`subject, text, html = compose(...)`)."""
    names: set[str] = set()
    for node in ast.walk(fn):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "compose"):
            for target in node.targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def test_every_new_mail_is_composed_by_compose() -> None:
    """An `enqueue` call's subject and text are names bound by `compose(...)` in the same function,
    or copies of an already composed outbox row (a retry, a fallback: `row["subject"]`, `row.subject`)."""
    senders = _senders()
    assert len(senders) >= 6  # the net is cast: accounts, onboarding, operator, reminders, quota, retries
    wrong = []
    for path, fn, call in senders:
        composed = _composed_names(fn)
        for keyword in call.keywords:
            if keyword.arg not in ("subject", "body_text", "body_html"):
                continue
            value = keyword.value
            if isinstance(value, ast.Name) and value.id in composed:
                continue
            if isinstance(value, ast.Subscript) or (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                                                    and value.func.attr == "get"):
                continue  # a copy of a stored message
            if isinstance(value, ast.Attribute) and value.attr == keyword.arg:
                continue  # the same field of a stored message's typed record (`row.subject`)
            wrong.append(f"{path}:{call.lineno} {fn.name}: {keyword.arg}={ast.unparse(value)}")
    assert not wrong, "compose the message with sila.platform.messages.compose:\n" + "\n".join(wrong)
