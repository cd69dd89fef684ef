"""The indicators, read with SQL from the other areas' tables (read only) into typed records.

Every figure is "what happened in the period" ([start, end) at Riyadh midnights, see `period.py`)
unless it is a state "now" (overdue, incomplete, open feedback). A number that links to a list
shares its predicate with that list: the count and the rows come from the same SQL fragment
(`REQUEST_FACETS`, `FEEDBACK_FACETS`), so the list behind a number always has that many rows.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any

from sila.platform.db import parse_uuid, tenant_scope
from sila.tenants.reports.period import Period
from sila.tenants.requests import clock

LOCAL_DAY = "(({col}) at time zone 'Asia/Riyadh')::date"

# --- requests: the predicates the counts and the drill-down lists share ------------------------
# $1, $2: the period's start and end instants.
RECEIVED = "r.submitted_at >= $1 and r.submitted_at < $2"
DECIDED = "r.decided_at >= $1 and r.decided_at < $2"
OVERDUE = clock.OVERDUE_SQL  # a paused clock is not overdue
INCOMPLETE = "r.stage = 'incomplete'"

# Past requests imported from a charity's spreadsheet (requests/past_import.py) have no window
# (`due_at` NULL: never overdue, their decisions in the "no window" bucket) and are left out of
# the days-to-decision median: their days were kept by hand, not measured here.
MEASURED = "r.imported_from is null"
# Days from submission to decision, counted in Riyadh calendar days.
DAYS_TO_DECISION = (f"({LOCAL_DAY.format(col='r.decided_at')} - {LOCAL_DAY.format(col='r.submitted_at')})")
# A decision against its own request's due date (the window the request was promised under).
DECISION_BUCKET = """case when r.imported_from is not null then 'imported' when r.due_at is null then 'none'
    when r.decided_at <= r.submitted_at + (r.due_at - r.submitted_at) / 2 then 'half'
    when r.decided_at <= r.due_at then 'window'
    when r.decided_at <= r.due_at + interval '7 days' then 'week_late'
    else 'late' end"""
DECISION_BUCKETS = ("half", "window", "week_late", "late", "none", "imported")
OVERDUE_DAYS = "ceil(extract(epoch from now() - r.due_at) / 86400)::int"
_AGE_BUCKET = """case when {d} <= 7 then '1_7' when {d} <= 30 then '8_30'
    when {d} <= 90 then '31_90' else '91_' end"""
OVERDUE_BUCKET = _AGE_BUCKET.format(d=OVERDUE_DAYS)
AGE_BUCKETS = ("1_7", "8_30", "31_90", "91_")
# Waiting for the applicant since the last verification that found something missing.
INCOMPLETE_SINCE = """coalesce((select max(v.verified_at) from request_verification v
    where v.request = r.id and v.outcome = 'incomplete'), r.submitted_at)"""
INCOMPLETE_DAYS = f"floor(extract(epoch from now() - {INCOMPLETE_SINCE}) / 86400)::int"
_WAIT_BUCKET = """case when {d} <= 7 then '0_7' when {d} <= 30 then '8_30'
    else '31_' end"""
INCOMPLETE_BUCKET = _WAIT_BUCKET.format(d=INCOMPLETE_DAYS)
WAIT_BUCKETS = ("0_7", "8_30", "31_")

# facet -> (where, the value's SQL expression or None). `value` narrows the facet to one group.
REQUEST_FACETS: dict[str, tuple[str, str | None]] = {
    "received": (RECEIVED, None),
    "channel": (RECEIVED, "r.channel"),
    "category": (RECEIVED, "coalesce(b.category, '')"),
    "stage": (RECEIVED, "r.stage"),
    "decided": (DECIDED, None),
    "decision": (DECIDED, DECISION_BUCKET),
    "overdue": (OVERDUE, None),
    "overdue_age": (OVERDUE, OVERDUE_BUCKET),
    "incomplete": (INCOMPLETE, None),
    "incomplete_age": (INCOMPLETE, INCOMPLETE_BUCKET),
}

# Every request figure of the dashboard in one pass over the tenant's requests (a pass over a large
# tenant's rows is most of the page's time). Each row gets one key per facet, NULL where the row is
# not in that facet (the facets' own predicates above); the rows are grouped once by all the keys
# together (a few thousand groups at most), and those groups are then rolled up by each key alone,
# the empty grouping set carrying the totals. `day` (the Riyadh day received) is summed into months,
# `days` (to decision, measured ones) gives the median.
PASS_KEYS = ("day", "channel", "category", "stage", "decision", "days", "overdue_age", "incomplete_age")
_PASS_SUMS = ("n", "received", "decided", "with_window", "within", "overdue", "incomplete")  # 0 when no rows
REQUEST_PASS = f"""
with fine as (
  select {', '.join(PASS_KEYS)}, channel_label, count(*) as n,
         count(*) filter (where received) as received, count(*) filter (where decided) as decided,
         count(due_at) filter (where decided) as with_window,
         count(*) filter (where decided and decided_at <= due_at) as within,
         count(overdue_days) as overdue, max(overdue_days) as overdue_oldest,
         count(incomplete_days) as incomplete, max(incomplete_days) as incomplete_oldest
  from (select y.*,
               case when y.overdue_days is not null then {_AGE_BUCKET.format(d='y.overdue_days')} end as overdue_age,
               case when y.incomplete_days is not null then {_WAIT_BUCKET.format(d='y.incomplete_days')} end
                 as incomplete_age
        from (select coalesce({RECEIVED}, false) as received, coalesce({DECIDED}, false) as decided,
                     r.due_at, r.decided_at,
                     case when {RECEIVED} then {LOCAL_DAY.format(col='r.submitted_at')} end as day,
                     case when {RECEIVED} then r.channel end as channel,
                     case when {RECEIVED} then r.channel_label end as channel_label,
                     case when {RECEIVED} then coalesce(b.category, '') end as category,
                     case when {RECEIVED} then r.stage end as stage,
                     case when {DECIDED} then {DECISION_BUCKET} end as decision,
                     case when {DECIDED} and {MEASURED} then {DAYS_TO_DECISION} end as days,
                     case when {OVERDUE} then {OVERDUE_DAYS} end as overdue_days,
                     case when {INCOMPLETE} then {INCOMPLETE_DAYS} end as incomplete_days
              from support_request r left join beneficiary b on b.id = r.beneficiary
              where ({RECEIVED}) or ({DECIDED}) or ({OVERDUE}) or ({INCOMPLETE})
              offset 0) y) x
  group by {', '.join(PASS_KEYS)}, channel_label)
select grouping({', '.join(PASS_KEYS)}) as unused_keys, {', '.join(PASS_KEYS)}, max(channel_label) as label,
       {', '.join(f'coalesce(sum({k}), 0)::int as {k}' for k in _PASS_SUMS)},
       max(overdue_oldest) as overdue_oldest, max(incomplete_oldest) as incomplete_oldest
from fine group by grouping sets ((), {', '.join(f'({k})' for k in PASS_KEYS)})
order by unused_keys, n desc, {', '.join(PASS_KEYS)}"""


def _request_pass(rows: Any, firsts: list[dt.date], nexts: list[dt.date]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The totals row, and per facet its groups (largest first, as the one SQL ordered them)."""
    totals: dict[str, Any] = {"received": 0, "decided": 0, "with_window": 0, "within": 0, "overdue": 0,
                              "overdue_oldest": None, "incomplete": 0, "incomplete_oldest": None}
    sets: dict[str, list[Any]] = {k: [] for k in PASS_KEYS}
    everything = (1 << len(PASS_KEYS)) - 1
    for r in rows:
        if r["unused_keys"] == everything:
            totals = {k: r[k] for k in totals}
            continue
        # grouping() sets a bit per key left out of this row's grouping set; the one clear bit is its key
        key = PASS_KEYS[len(PASS_KEYS) - (everything ^ r["unused_keys"]).bit_length()]
        if r[key] is not None:  # NULL: the rows outside this facet
            sets[key].append(r)
    by_day = {r["day"]: r["n"] for r in sets.pop("day")}
    result: dict[str, Any] = {
        "month": [sum(n for day, n in by_day.items() if first <= day < nxt) for first, nxt in zip(firsts, nexts, strict=True)],
        "channel": [Group(r["channel"], r["label"] or "", r["n"]) for r in sets.pop("channel")],
        "days": sorted((r["days"], r["n"]) for r in sets.pop("days")),
    }
    result.update({k: [Group(str(r[k]), "", r["n"]) for r in v] for k, v in sets.items()})
    return totals, result


def _ordered(found: list[Group], order: tuple[str, ...]) -> list[Group]:
    by_key = {g.key: g for g in found}
    return [by_key.get(k, Group(k, "", 0)) for k in order]


def _median(counts: list[tuple[int, int]]) -> float | None:
    """PostgreSQL's percentile_cont(0.5) of values given as (value, how many), sorted by value."""
    total = sum(n for _, n in counts)
    if not total:
        return None
    position = 0.5 * (total - 1)
    lo_row, hi_row = math.floor(position), math.ceil(position)

    def value_at(row: int) -> int:
        seen = 0
        for value, n in counts:
            seen += n
            if row < seen:
                return value
        raise IndexError(row)

    lo, hi = value_at(lo_row), value_at(hi_row)
    return float(lo) if lo_row == hi_row else lo + (hi - lo) * (position - lo_row)


# --- feedback ---------------------------------------------------------------------------------
FB_RECEIVED = "f.created_at >= $1 and f.created_at < $2"
FB_ANSWERED = "f.answered_at >= $1 and f.answered_at < $2"
FB_OPEN = "f.status <> 'closed'"
FB_AGE_DAYS = "floor(extract(epoch from now() - f.created_at) / 86400)::int"
FB_AGE_BUCKET = f"case when {FB_AGE_DAYS} <= 7 then '0_7' when {FB_AGE_DAYS} <= 30 then '8_30' else '31_' end"
FEEDBACK_FACETS: dict[str, tuple[str, str | None]] = {
    "received": (FB_RECEIVED, "f.kind"),
    "answered": (FB_ANSWERED, "f.kind"),
    "open": (FB_OPEN, "f.kind"),
    "open_age": (FB_OPEN, FB_AGE_BUCKET),
}


@dataclasses.dataclass(frozen=True)
class Group:
    key: str
    label: str  # a stored label (a channel's name in the policy) or "" (the page labels the key)
    count: int


@dataclasses.dataclass(frozen=True)
class MonthCount:
    label_month: tuple[int, int]
    count: int


@dataclasses.dataclass(frozen=True)
class Decisions:
    decided: int
    with_window: int
    within: int
    median_days: float | None
    buckets: list[Group]

    @property
    def within_percent(self) -> float | None:
        return None if not self.with_window else round(100 * self.within / self.with_window, 1)


@dataclasses.dataclass(frozen=True)
class Waiting:
    count: int
    oldest_days: int | None
    buckets: list[Group]


@dataclasses.dataclass(frozen=True)
class Research:
    referred: int
    answered: int
    field_visits: int


@dataclasses.dataclass(frozen=True)
class Committee:
    sessions_held: int
    sessions_closed: int
    decisions: list[Group]  # accept / reject


@dataclasses.dataclass(frozen=True)
class Services:
    delivered: int
    beneficiaries: int
    amount: float
    by_type: list[Group]


@dataclasses.dataclass(frozen=True)
class Question:
    key: str
    text_ar: str
    text_en: str
    average: float
    answers: int

    def text(self, lang: str) -> str:
        return (self.text_en if lang == "en" and self.text_en else self.text_ar) or self.key


@dataclasses.dataclass(frozen=True)
class MonthAverage:
    month: tuple[int, int]
    average: float | None
    responses: int


@dataclasses.dataclass(frozen=True)
class Satisfaction:
    responses: int
    average: float | None  # rating answers, 1 to 5
    invited: int
    invited_answered: int
    lowest: list[Question]
    trend: list[MonthAverage]

    @property
    def response_rate(self) -> float | None:
        return None if not self.invited else round(100 * self.invited_answered / self.invited, 1)


@dataclasses.dataclass(frozen=True)
class FeedbackKind:
    kind: str
    received: int
    answered: int
    average_days_to_answer: float | None
    open_now: int


@dataclasses.dataclass(frozen=True)
class Feedback:
    kinds: list[FeedbackKind]
    open_by_age: list[Group]


@dataclasses.dataclass(frozen=True)
class Channel:
    channel: str
    messages: int
    sent: int  # handed to the provider
    failed: int  # given up on, or reported failed by the gateway after sending
    confirmed: int  # the gateway reported it delivered (or read)
    pending: int
    failed_after_send: int = 0

    @property
    def delivery_rate(self) -> float | None:
        """Messages the provider accepted and did not report failed, of those whose sending finished."""
        finished = self.sent + self.failed - self.failed_after_send
        return None if not finished else round(100 * (self.sent - self.failed_after_send) / finished, 1)


@dataclasses.dataclass(frozen=True)
class Dashboard:
    period: Period
    received: int
    received_by_month: list[MonthCount]
    by_channel: list[Group]
    by_category: list[Group]
    by_stage: list[Group]
    decisions: Decisions
    overdue: Waiting
    incomplete: Waiting
    research: Research
    committee: Committee
    services: Services
    satisfaction: Satisfaction
    feedback: Feedback
    messages: list[Channel]


def _groups(rows: Any, order: tuple[str, ...] | None = None) -> list[Group]:
    found = [Group(str(r["key"] or ""), str(r.get("label") or "") if hasattr(r, "get") else "", int(r["n"]))
             for r in rows]
    if order is None:
        return found
    by_key = {g.key: g for g in found}
    return [by_key.get(k, Group(k, "", 0)) for k in order]


def _month_bounds(period: Period) -> tuple[list[dt.date], list[dt.date], list[tuple[int, int]]]:
    months = period.months()
    return [m.first_day for m in months], [m.end_day for m in months], [(m.year, m.month) for m in months]


async def dashboard(tenant_id: Any, period: Period) -> Dashboard:
    """Every indicator for `period`, read in one read-only transaction."""
    s, e = period.start, period.end
    d0, d1 = period.first_day, period.end_day
    firsts, nexts, labels = _month_bounds(period)
    # The tenant is also named in a query where RLS's "this tenant or the platform" cannot use an index.
    tid = parse_uuid(tenant_id)
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        await c.execute("set transaction read only")  # reads only, whatever a fragment might grow into
        # The one pass below is planned as expensive (a CASE per facet per row), and compiling it with
        # JIT took longer than running it.
        await c.execute("set local jit = off")
        req = _request_pass(await c.fetch(REQUEST_PASS, s, e), firsts, nexts)
        research = await c.fetchrow(
            """select count(*) filter (where f.referred_at >= $1 and f.referred_at < $2) as referred,
                      count(*) filter (where f.answered_at >= $1 and f.answered_at < $2) as answered,
                      count(*) filter (where f.visit_date >= $3 and f.visit_date < $4) as visits
               from request_referral f
               where (f.referred_at >= $1 and f.referred_at < $2) or (f.answered_at >= $1 and f.answered_at < $2)
                  or (f.visit_date >= $3 and f.visit_date < $4)""", s, e, d0, d1)
        sessions = await c.fetchrow(
            """select count(*) as held, count(*) filter (where status = 'closed') as closed from committee_session
               where held_at >= $1 and held_at < $2 and held_at <= now()""", s, e)
        decisions = await c.fetch(
            """select decision as key, count(*) as n from committee_item
               where decided_at >= $1 and decided_at < $2 and decision is not null group by 1""", s, e)
        services = await c.fetchrow(
            """select count(*) as n, count(distinct beneficiary) as people, coalesce(sum(amount), 0)::float as amount
               from service_delivery where delivered_on >= $1 and delivered_on < $2""", d0, d1)
        service_types = await c.fetch(
            """select service_type as key, count(*) as n from service_delivery
               where delivered_on >= $1 and delivered_on < $2 group by 1 order by n desc, 1 limit 12""", d0, d1)
        satisfaction = await _satisfaction(c, period, s, e, d0, d1, firsts, nexts)
        feedback = await _feedback(c, s, e)
        messages = await c.fetch(
            """select channel, count(*) as n, count(*) filter (where status = 'sent') as sent,
                      count(*) filter (where status = 'failed' or delivery_status = 'failed') as failed,
                      count(*) filter (where status = 'sent' and delivery_status = 'failed') as failed_after_send,
                      count(*) filter (where delivery_status in ('delivered', 'read')) as confirmed,
                      count(*) filter (where status in ('pending', 'queued')) as pending
               from outbox where tenant = $3 and created_at >= $1 and created_at < $2
               group by channel order by channel""", s, e, tid)
    totals, sets = req
    return Dashboard(
        period=period, received=totals["received"],
        received_by_month=[MonthCount(label, n) for label, n in zip(labels, sets["month"], strict=True)],
        by_channel=sets["channel"], by_category=sets["category"],
        by_stage=sorted(sets["stage"], key=lambda g: _STAGE_ORDER.get(g.key, 99)),
        decisions=Decisions(totals["decided"], totals["with_window"], totals["within"], _median(sets["days"]),
                            # "imported" only for a charity that imported past requests decided in the period
                            [g for g in _ordered(sets["decision"], DECISION_BUCKETS) if g.key != "imported" or g.count]),
        overdue=Waiting(totals["overdue"], totals["overdue_oldest"], _ordered(sets["overdue_age"], AGE_BUCKETS)),
        incomplete=Waiting(totals["incomplete"], totals["incomplete_oldest"],
                           _ordered(sets["incomplete_age"], WAIT_BUCKETS)),
        research=Research(research["referred"], research["answered"], research["visits"]),
        committee=Committee(sessions["held"], sessions["closed"], _groups(decisions, ("accept", "reject"))),
        services=Services(services["n"], services["people"], services["amount"],
                          [Group(r["key"], "", r["n"]) for r in service_types]),
        satisfaction=satisfaction, feedback=feedback,
        messages=[Channel(r["channel"], r["n"], r["sent"], r["failed"], r["confirmed"], r["pending"],
                          r["failed_after_send"]) for r in messages],
    )


_STAGE_ORDER = {s: i for i, s in enumerate(
    ("verify", "incomplete", "refer", "research", "attest", "committee", "register", "deliver", "closed", "rejected"))}


async def _satisfaction(c: Any, period: Period, s: dt.datetime, e: dt.datetime, d0: dt.date, d1: dt.date,
                        firsts: list[dt.date], nexts: list[dt.date]) -> Satisfaction:
    # Answers carry their Riyadh day only (anonymous ones keep no time), so the period is by day.
    totals = await c.fetchrow(
        """select count(distinct r.id) as responses, avg(a.score)::float as average
           from survey_response r left join survey_answer a on a.response = r.id and a.qtype = 'rating'
           where r.submitted_on >= $1 and r.submitted_on < $2""", d0, d1)
    invited = await c.fetchrow(
        """select count(*) as invited, count(*) filter (where answered) as answered from survey_invitation
           where sent_at >= $1 and sent_at < $2""", s, e)
    questions = await c.fetch(
        """select r.survey, a.question, avg(a.score)::float as average, count(*) as n
           from survey_response r join survey_answer a on a.response = r.id and a.qtype = 'rating'
           where r.submitted_on >= $1 and r.submitted_on < $2 and a.score is not null
           group by r.survey, a.question order by average asc, n desc, a.question limit 3""", d0, d1)
    texts: dict[tuple[Any, str], dict[str, str]] = {}
    for survey in {q["survey"] for q in questions}:
        for v in await c.fetch("select questions from survey_version where survey = $1 order by number", survey):
            for q in json.loads(v["questions"]) if isinstance(v["questions"], str) else v["questions"]:
                texts[(survey, q.get("key", ""))] = q.get("text") or {}
    trend = await c.fetch(
        """select m.i, avg(a.score)::float as average, count(distinct r.id) as n
           from unnest($1::date[], $2::date[]) with ordinality as m(first, next, i)
           left join survey_response r on r.submitted_on >= m.first and r.submitted_on < m.next
           left join survey_answer a on a.response = r.id and a.qtype = 'rating'
           group by m.i order by m.i""", firsts, nexts)
    months = [(m.year, m.month) for m in period.months()]
    return Satisfaction(
        responses=totals["responses"], average=totals["average"], invited=invited["invited"],
        invited_answered=invited["answered"],
        lowest=[Question(q["question"], texts.get((q["survey"], q["question"]), {}).get("ar", ""),
                         texts.get((q["survey"], q["question"]), {}).get("en", ""), round(q["average"], 2), q["n"])
                for q in questions],
        trend=[MonthAverage(months[r["i"] - 1], r["average"], r["n"]) for r in trend])


async def _feedback(c: Any, s: dt.datetime, e: dt.datetime) -> Feedback:
    rows = await c.fetch(
        f"""select k.kind,
                   (select count(*) from feedback f where f.kind = k.kind and {FB_RECEIVED}) as received,
                   (select count(*) from feedback f where f.kind = k.kind and {FB_ANSWERED}) as answered,
                   (select avg(extract(epoch from f.answered_at - f.created_at) / 86400)::float from feedback f
                     where f.kind = k.kind and {FB_ANSWERED}) as days,
                   (select count(*) from feedback f where f.kind = k.kind and {FB_OPEN}) as open_now
            from unnest(array['complaint', 'suggestion', 'followup']) as k(kind)""", s, e)
    ages = await c.fetch(f"select {FB_AGE_BUCKET} as key, count(*) as n from feedback f where {FB_OPEN} group by 1")
    return Feedback([FeedbackKind(r["kind"], r["received"], r["answered"],
                                  None if r["days"] is None else round(r["days"], 1), r["open_now"]) for r in rows],
                    _groups(ages, WAIT_BUCKETS))


# --- the lists behind the numbers ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RequestRow:
    id: Any
    reference: str
    channel_label: str
    stage: str
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision: str | None


@dataclasses.dataclass(frozen=True)
class FeedbackRow:
    id: Any
    reference: str
    kind: str
    status: str
    created_at: dt.datetime
    answered_at: dt.datetime | None


LIST_LIMIT = 500


async def request_rows(tenant_id: Any, period: Period, facet: str, value: str = "") -> list[RequestRow]:
    """The requests behind one number of the dashboard (no names: a reference links to the request)."""
    where, expr = REQUEST_FACETS[facet]
    args: list[Any] = [period.start, period.end]
    sql_where = where
    if expr is not None:
        args.append(value)
        sql_where += f" and ({expr}) = $3"
    if "$1" not in where:  # a state "now": the period does not narrow it
        sql_where = sql_where.replace("$3", "$1")
        args = args[2:]
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            f"""select r.id, r.reference, r.channel_label, r.stage, r.submitted_at, r.due_at, r.decided_at, r.decision
                from support_request r left join beneficiary b on b.id = r.beneficiary
                where {sql_where} order by r.submitted_at, r.reference limit {LIST_LIMIT}""", *args)
    return [RequestRow(**dict(r)) for r in rows]


async def feedback_rows(tenant_id: Any, period: Period, facet: str, value: str = "") -> list[FeedbackRow]:
    where, expr = FEEDBACK_FACETS[facet]
    args: list[Any] = [period.start, period.end] if "$1" in where else []
    sql_where = where
    if expr is not None:
        args.append(value)
        sql_where += f" and ({expr}) = ${len(args)}"
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            f"""select f.id, f.reference, f.kind, f.status, f.created_at, f.answered_at from feedback f
                where {sql_where} order by f.created_at limit {LIST_LIMIT}""", *args)
    return [FeedbackRow(**dict(r)) for r in rows]


# --- the audit, readable ------------------------------------------------------------------------

AUDIT_PAGE = 50


@dataclasses.dataclass(frozen=True)
class AuditFilter:
    actor: Any = None  # a staff id
    action: str = ""  # an action code, or a family ending in "." ("export.")
    since: dt.date | None = None
    until: dt.date | None = None  # included


@dataclasses.dataclass(frozen=True)
class AuditRow:
    id: Any
    created_at: dt.datetime
    actor_user: Any
    actor_name: str
    action: str
    target_type: str
    target_id: str
    target_label: str  # a person's name, a request's reference, a document's file name
    target_link: str
    detail: dict[str, Any]
    address: str


@dataclasses.dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int


def _audit_where(f: AuditFilter) -> tuple[str, list[Any]]:
    where, args = ["true"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.actor is not None:
        where.append(f"e.actor_user = {arg(f.actor)}")
    if f.action.endswith("."):
        where.append(f"e.action like {arg(f.action.replace('%', '').replace('_', chr(92) + '_') + '%')}")
    elif f.action:
        where.append(f"e.action = {arg(f.action)}")
    if f.since:
        where.append(f"e.created_at >= ({arg(f.since)}::date::timestamp at time zone 'Asia/Riyadh')")
    if f.until:
        where.append(f"e.created_at < (({arg(f.until)}::date + 1)::timestamp at time zone 'Asia/Riyadh')")
    return " and ".join(where), args


AUDIT_SELECT = """select e.id, e.created_at, e.actor_user, coalesce(nullif(u.name, ''), u.email, e.actor_label, '') as actor_name,
       e.action, e.target_type, e.target_id, e.before, e.after, e.address,
       coalesce(b.name, r.reference, d.filename, '') as target_label,
       case when b.id is not null then '/portal/beneficiaries/' || b.id::text
            when r.id is not null then '/portal/requests/' || r.id::text
            when d.id is not null then '/portal/requests/' || d.request::text else '' end as target_link
  from audit_entry e left join staff_user u on u.id = e.actor_user
  left join beneficiary b on e.target_type = 'beneficiary' and b.id::text = e.target_id
  left join support_request r on e.target_type = 'support_request' and r.id::text = e.target_id
  left join request_document d on e.target_type = 'request_document' and d.id::text = e.target_id"""


def _audit_row(r: Any) -> AuditRow:
    detail: dict[str, Any] = {}
    for side in ("before", "after"):
        value = r[side]
        value = json.loads(value) if isinstance(value, str) else value
        if isinstance(value, dict):
            detail.update(value if side == "after" else {f"before.{k}": v for k, v in value.items()})
    return AuditRow(r["id"], r["created_at"], r["actor_user"], r["actor_name"], r["action"], r["target_type"],
                    r["target_id"], r["target_label"] or "", r["target_link"] or "", detail, r["address"])


async def audit_page(tenant_id: Any, f: AuditFilter, page: int = 1) -> AuditPage:
    where, args = _audit_where(f)
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        total = await c.fetchval(f"select count(*) from audit_entry e where {where}", *args)
        pages = max(1, -(-total // AUDIT_PAGE))
        page = min(max(1, page), pages)
        rows = await c.fetch(f"""{AUDIT_SELECT} where {where} order by e.created_at desc, e.id desc
                                 limit {AUDIT_PAGE} offset {(page - 1) * AUDIT_PAGE}""", *args)
    return AuditPage([_audit_row(r) for r in rows], total, page, pages)


async def audit_all(tenant_id: Any, f: AuditFilter, limit: int = 100_000) -> list[AuditRow]:
    where, args = _audit_where(f)
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            f"{AUDIT_SELECT} where {where} order by e.created_at desc, e.id desc limit {int(limit)}", *args)
    return [_audit_row(r) for r in rows]


async def audit_choices(tenant_id: Any) -> tuple[list[tuple[Any, str]], list[str]]:
    """The people who appear in the audit (staff of this tenant, past or present) and the actions seen."""
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        actors = await c.fetch(
            """select distinct u.id, coalesce(nullif(u.name, ''), u.email) as name from audit_entry e
               join staff_user u on u.id = e.actor_user order by 2""")
        actions = await c.fetch("select distinct action from audit_entry order by 1")
    return [(a["id"], a["name"]) for a in actors], [a["action"] for a in actions]
