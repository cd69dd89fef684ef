"""The committee's reads in the open tenant scope, as typed records."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sila.platform.db import current_connection


@dataclasses.dataclass(frozen=True)
class SessionSummary:
    """One line of the sessions list: the session and how many of its requests are decided."""

    id: uuid.UUID
    number: int
    held_at: dt.datetime
    location: str
    status: str
    item_count: int
    decided: int


async def session_summaries() -> list[SessionSummary]:
    rows = await current_connection().fetch(
        """select s.id, s.number, s.held_at, s.location, s.status, count(i.id) as item_count,
             count(i.decision) as decided from committee_session s
           left join committee_item i on i.session = s.id group by s.id order by s.held_at desc""")
    return [SessionSummary(**dict(r)) for r in rows]
