"""What the API lists, page by page: keyset pagination on (time, id) ascending, so an integration
can read everything once and then only what is new, and a page never repeats or skips a row
when rows are added meanwhile. Every query runs in the caller's tenant scope (row-level security)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

from sila.platform.dates import RIYADH
from sila.platform.db import parse_uuid, tenant_scope


class BadCursor(ValueError):
    pass


def encode_cursor(at: Any, row_id: Any) -> str:
    value = at.isoformat() if isinstance(at, dt.date | dt.datetime) else str(at)
    return base64.urlsafe_b64encode(json.dumps([value, str(row_id)]).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, kind: type) -> tuple[Any, uuid.UUID] | None:
    if not raw:
        return None
    try:
        at, rid = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        when: Any = dt.datetime.fromisoformat(at) if kind is dt.datetime else dt.date.fromisoformat(at)
        if kind is dt.datetime and when.tzinfo is None:
            raise ValueError("naive")
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise BadCursor(raw) from None
    ident = parse_uuid(rid)
    if ident is None:
        raise BadCursor(raw)
    return when, ident


# A filter's day outside these finds what the nearest one finds (no row is older or newer), and
# keeps the arithmetic in range: 0001-01-01 in Riyadh is a UTC time before year 1, and the day
# after 9999-12-31 does not exist (both were a 500).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def day_start(day: dt.date) -> dt.datetime:
    """The start of a Riyadh calendar day, as an aware time."""
    return dt.datetime.combine(min(max(day, FIRST_DAY), LAST_DAY), dt.time(0), tzinfo=RIYADH)


def day_after(day: dt.date) -> dt.datetime:
    """The start of the next Riyadh day: the end of a period that includes `day`."""
    return day_start(min(max(day, FIRST_DAY), LAST_DAY) + dt.timedelta(days=1))


class Page:
    def __init__(self, rows: list[dict[str, Any]], limit: int, time_key: str) -> None:
        self.rows = rows[:limit]
        last = self.rows[-1] if len(rows) > limit else None
        self.next_cursor = encode_cursor(last[time_key], last["id"]) if last else None


class Where:
    """A list's filters: conditions on constant column names, each value a `$n` parameter."""

    def __init__(self) -> None:
        self.conditions: list[str] = ["true"]
        self.args: list[Any] = []

    def add(self, condition: str, value: Any) -> Where:
        """`condition` with `{}` where the value goes, e.g. "kind = {}"."""
        self.args.append(value)
        self.conditions.append(condition.format(f"${len(self.args)}"))
        return self

    def since(self, column: str, day: dt.date | None, *, moment: bool = True) -> Where:
        """Rows of `day` (a Riyadh day) and after; `moment`: the column is a time, not a date."""
        return self.add(f"{column} >= {{}}", day_start(day) if moment else day) if day else self

    def until(self, column: str, day: dt.date | None, *, moment: bool = True) -> Where:
        """Rows of `day` and before."""
        if not day:
            return self
        return self.add(f"{column} < {{}}", day_after(day)) if moment else self.add(f"{column} <= {{}}", day)

    @property
    def sql(self) -> str:
        return " and ".join(self.conditions)


async def _page(tenant_id: Any, select: str, where: Where, *, time_col: str, cursor: Any, limit: int) -> Page:
    """A page of `select ... where <where>` after `cursor`, ascending by (time_col, id): the one
    shape every list of the API has."""
    args = list(where.args)
    keyset = ""
    if cursor is not None:
        args += [cursor[0], cursor[1]]
        keyset = f" and ({time_col}, id) > (${len(args) - 1}, ${len(args)})"
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            f"{select} where {where.sql}{keyset} order by {time_col}, id limit {int(limit) + 1}", *args)
    return Page([dict(r) for r in rows], limit, time_col)


async def requests_page(tenant_id: Any, *, stages: list[str], since: dt.date | None, until: dt.date | None,
                        cursor: Any, limit: int) -> Page:
    where = Where().since("submitted_at", since).until("submitted_at", until)
    if stages:
        where.add("stage = any({}::text[])", stages)
    return await _page(tenant_id, """select id, reference, stage, channel, beneficiary, policy_version_number,
                                            submitted_at, due_at, decision, decided_at, closed_at
                                     from support_request""", where,
                       time_col="submitted_at", cursor=cursor, limit=limit)


async def beneficiaries_page(tenant_id: Any, *, cursor: Any, limit: int) -> Page:
    return await _page(tenant_id, "select * from beneficiary", Where(), time_col="created_at", cursor=cursor,
                       limit=limit)


async def decisions_page(tenant_id: Any, *, since: dt.date | None, cursor: Any, limit: int) -> Page:
    return await _page(tenant_id, """select * from (select i.id, i.request, i.decision, i.reason, i.decided_at,
                                                           s.id as session, s.number as session_number, s.held_at
                                                    from committee_item i join committee_session s on s.id = i.session
                                                    where i.decision is not null) d""",
                       Where().since("decided_at", since), time_col="decided_at", cursor=cursor, limit=limit)


async def services_page(tenant_id: Any, *, since: dt.date | None, until: dt.date | None, cursor: Any,
                        limit: int) -> Page:
    where = Where().since("delivered_on", since, moment=False).until("delivered_on", until, moment=False)
    return await _page(tenant_id, "select * from service_delivery", where, time_col="recorded_at", cursor=cursor,
                       limit=limit)


async def survey_answers_page(tenant_id: Any, *, since: dt.date | None, cursor: Any, limit: int) -> Page:
    page = await _page(tenant_id, """select r.*, coalesce((select json_agg(json_build_object('question', a.question,
                                            'type', a.qtype, 'score', a.score, 'text', a.text) order by a.question)
                                            from survey_answer a where a.response = r.id), '[]') as answers
                                     from survey_response r""",
                       Where().since("submitted_on", since, moment=False), time_col="submitted_on", cursor=cursor,
                       limit=limit)
    for row in page.rows:
        if isinstance(row["answers"], str):
            row["answers"] = json.loads(row["answers"])
    return page


async def complaints_page(tenant_id: Any, *, kind: str, since: dt.date | None, cursor: Any, limit: int) -> Page:
    where = Where().since("created_at", since)
    if kind:
        where.add("kind = {}", kind)
    return await _page(tenant_id, """select id, reference, kind, body, status, contact_channel, language, answer,
                                            created_at, answered_at, closed_at from feedback""", where,
                       time_col="created_at", cursor=cursor, limit=limit)


async def request_services(tenant_id: Any, request_id: Any) -> list[dict[str, Any]]:
    """Every service recorded on one request, as the /services rows are (the request page's own
    typed rows carry only what the page shows)."""
    async with tenant_scope(tenant_id) as tx:
        return [dict(r) for r in await tx.connection.fetch(
            "select * from service_delivery where request = $1 order by delivered_on, recorded_at", request_id)]

