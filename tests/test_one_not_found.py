"""One NotFound, one uuid parser, no hand-written 404 translations (issue 13 item 2).

Services raise `sila.platform.errors.NotFound`; `web.EXCEPTION_HANDLERS` turns it into the 404
page. This keeps it one of each: a second NotFound class, a uuid helper of an area's own, or a
route catching NotFound to raise a 404 by hand fails here.
"""
from __future__ import annotations

import ast
import pathlib

from sila.platform import errors, web

SILA = pathlib.Path(__file__).resolve().parent.parent / "sila"
UUID_HELPERS = {"_uuid", "as_uuid", "_as_uuid", "_is_uuid", "_uuid_or_404"}


def _modules() -> list[pathlib.Path]:
    return sorted(SILA.rglob("*.py"))


def _tree(path: pathlib.Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_the_areas_services_are_all_seen() -> None:
    """An area's services are a module (`services.py`) or a package of modules (`services/`)."""
    areas = {p.parent.name for p in _modules() if p.name == "services.py" and "tenants" in p.parts}
    areas |= {p.parent.parent.name for p in _modules() if p.parent.name == "services" and "tenants" in p.parts}
    assert areas >= {"requests", "surveys", "notifications", "feedback", "beneficiaries", "policy", "committee"}


def test_one_not_found_class() -> None:
    found = [f"{p.relative_to(SILA)}:{n.lineno}" for p in _modules() for n in ast.walk(_tree(p))
             if isinstance(n, ast.ClassDef) and n.name == "NotFound"]
    assert len(found) == 1 and found[0].startswith("platform/errors.py:"), found


def test_not_found_is_mapped_by_the_one_handler() -> None:
    assert web.EXCEPTION_HANDLERS[errors.NotFound] is web.handle_not_found


def test_no_route_translates_not_found_by_hand() -> None:
    offenders = []
    for path in _modules():
        if path.name not in ("routes.py", "portal.py", "pages.py") and path.parent.name != "routes":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "")
                         for n in ast.walk(node.type)}
                if names & {"NotFound", "LookupError"}:
                    offenders.append(f"{path.relative_to(SILA)}:{node.lineno}")
    assert offenders == []


def test_one_uuid_parser() -> None:
    helpers = [f"{p.relative_to(SILA)}:{n.lineno} {n.name}" for p in _modules() for n in ast.walk(_tree(p))
               if isinstance(n, ast.FunctionDef) and (n.name in UUID_HELPERS or
                                                     (n.name.endswith("uuid") and n.name != "parse_uuid"))]
    assert helpers == []
