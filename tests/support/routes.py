"""The app's routes, enumerated from `create_app().routes`, and the identifiers they take; shared by
the isolation tests and the fuzzers."""
from __future__ import annotations

import functools
import itertools
import math
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sila.platform.settings import get_settings
from support.clients import Client
from support.db import owner_connection, tenant_owned_tables
from support.fuzz import Side


def id_routes() -> list[tuple[str, set[str]]]:
    from sila.platform.app import create_app

    app = create_app(get_settings())
    routes = []
    for route in app.routes:
        methods = set(getattr(route, "methods", set())) - {"HEAD", "OPTIONS"}
        if methods and "{" in route.path:
            routes.append((route.path, methods))
    return routes


async def identifiers_of(tenant_id: uuid.UUID) -> set[str]:
    """Every id in every tenant-owned table that belongs to this tenant."""
    conn = await owner_connection()
    ids: set[str] = set()
    try:
        for table in await tenant_owned_tables():
            for row in await conn.fetch(f'select id from "{table}" where tenant = $1', tenant_id):
                ids.add(str(row["id"]))
    finally:
        await conn.close()
    return ids


SKIP_PREFIXES = ("/static", "/schema")


GARBAGE = ["x", "0", "-1", str(uuid.UUID(int=0)), "..%2f..%2fetc", "'%20or%20'1'='1", "A" * 300, "%00"]


# Form fields a handler may read, filled in every probe; id-like ones carry the probe's identifier.
TEXT_FIELDS = {"name": "س", "note": "x", "reason": "x", "reasons": "x", "answer": "x", "notes": "x", "question": "x",
               "body": "x", "vote": "accept", "decision": "accept", "service_type": "x", "hours": "24",
               "password": "Aa-123456789xx", "confirm": "Aa-123456789xx", "email": "probe@fuzz.test",
               "code": "000000", "status": "paused", "kind": "complaint", "title_ar": "س", "missing": "x"}


ID_FIELDS = ("assignee", "researcher", "requests", "request", "beneficiary", "survey", "survey_id", "item", "document",
             "logo_document", "outbox", "member", "user", "grant", "session", "tenant", "reference", "token")




@dataclass
class Route:
    path: str
    methods: list[str]
    params: list[str]
    types: list[str]  # the router's converter per parameter: str, uuid, int, path
    multipart: bool
    regex: re.Pattern[str]

    def accepts(self, i: int, value: str) -> bool:
        """Would the router even match this value? (No point probing what it 404s itself.)"""
        if self.types[i] == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                return False
        return self.types[i] != "int" or value.lstrip("-").isdigit()

    def default(self, i: int) -> str:
        return {"uuid": str(uuid.uuid4()), "int": "1"}.get(self.types[i], "x")


@functools.cache
def app_routes() -> list[Route]:
    from sila.platform.app import create_app

    app = create_app(get_settings())
    routes = []
    for route in app.routes:
        if route.path.startswith(SKIP_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            methods = sorted(set(handler.http_methods) - {"HEAD", "OPTIONS"})
            if not methods:
                continue
            data = handler.parsed_fn_signature.parameters.get("data")
            media = getattr(getattr(data, "kwarg_definition", None), "media_type", None)
            found = re.findall(r"\{(\w+)(?::(\w+))?\}", route.path)
            params, types = [n for n, _ in found], [t or "str" for _, t in found]
            pattern = re.sub(r"\\\{\w+(?::\w+)?\\\}", "([^/]+)", re.escape(route.path))
            routes.append(Route(route.path, methods, params, types, "multi" in str(media or ""),
                                re.compile(f"^{pattern}/?$")))
    return routes


def fill(path: str, values: list[str]) -> str:
    it = iter(values)
    return re.sub(r"\{\w+(?::\w+)?\}", lambda _: next(it), path)


def crawl(c: Client, starts: list[str], limit: int = 250) -> set[str]:
    """Every same-site path A's own pages link to or post to (GET only, query dropped)."""
    seen, queue, found = set(), list(starts), set()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = c.get(path)
        if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
            continue
        for link in re.findall(r'(?:href|action)="(/[^"#?]*)', response.text):
            if link.startswith(("/static", "/lang", "/logout")):
                continue
            found.add(link)
            if link not in seen and not link.endswith((".pdf", ".csv")):
                queue.append(link)
    return found


def learn(routes: list[Route], paths: set[str], a: Side) -> dict[tuple[str, str], dict[str, Any]]:
    """(route, param) -> {"tables": what A's ids in it were, "words": values that are no id}."""
    info: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"tables": set(), "words": set()})
    for path in paths:
        for route in routes:
            m = route.regex.match(path)
            if m and route.params:
                for name, value in zip(route.params, m.groups(), strict=False):
                    slot = info[(route.path, name)]
                    if value in a.ids:
                        # The row it is the id of, if any (not every table that points at that row).
                        own = {t.split(".")[0] for t in a.ids[value] if t.endswith(".id")}
                        slot["tables"] |= own or {t.split(".")[0] for t in a.ids[value]}
                    else:
                        slot["words"].add(value)
                break
    return info


def candidates(route: Route, info: dict[tuple[str, str], dict[str, Any]], b: Side,
               full: bool = False, garbage: bool = False) -> list[list[str]]:
    """Parameter values to try: B's identifiers of the table A's links put there (with B's raw
    tokens and slug), the words A's links use, and garbage. Where A's links never showed the
    parameter, `full` tries three rows of every table of B's (`tenant.slug`, `raw token` count
    as tables), otherwise one."""
    per: list[list[str]] = []
    for name in route.params:
        slot = info.get((route.path, name), {"tables": set(), "words": set()})
        values: list[str] = sorted(slot["words"])[:20]
        tables = lambda i: {s.split(".")[0] for s in b.ids[i]}  # noqa: E731
        if slot["tables"]:
            values += [i for i in b.ids if {t.split(".")[0] for t in b.ids[i] if t.endswith(".id")} & slot["tables"]]
        if slot["tables"] or not slot["words"]:
            values += [i for i, src in b.ids.items() if "raw token" in src or "tenant.slug" in src]
        if not slot["tables"] and not slot["words"]:
            by_table: dict[str, list[str]] = defaultdict(list)
            for i in sorted(b.ids):
                by_table[min(tables(i))].append(i)
            values += [i for ids in by_table.values() for i in ids[:3 if full else 1]]
        i = len(per)
        per.append([v for v in dict.fromkeys(values) if route.accepts(i, v)] or [route.default(i)])
    if len(per) > 1 and math.prod(map(len, per)) > 300:
        # Too many to try every pairing: every value of every parameter at least once instead.
        combos = [[values[k % len(values)] for values in per] for k in range(max(map(len, per)))]
    else:
        combos = [list(c) for c in itertools.product(*per)]
    if not garbage:
        return combos
    junk = [[g if route.accepts(i, g) else route.default(i) for i in range(len(route.params))] for g in GARBAGE]
    return combos + [g for g in junk if g not in combos]


def own_values(route: Route, info: dict[tuple[str, str], dict[str, Any]], a: Side) -> list[str]:
    """A's own value for each parameter (a request that would otherwise succeed), else garbage."""
    out = []
    for i, name in enumerate(route.params):
        slot = info.get((route.path, name), {"tables": set(), "words": set()})
        own = [v for v, src in a.ids.items() if {s.split(".")[0] for s in src} & slot["tables"]]
        out.append(next((v for v in [*sorted(slot["words"]), *own] if route.accepts(i, v)), route.default(i)))
    return out
