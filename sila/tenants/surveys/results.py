"""Survey results: by month, service, channel and question, free-text answers, CSV; results per
staff member only in aggregate and only for those with enough answers that no one answer can be
told apart (the tenant's minimum)."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from typing import Any

from babel.dates import format_date

from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.tenants.surveys.services import settings_in_scope

RIYADH_MONTH = "date_trunc('month', r.submitted_on)::date"


@dataclasses.dataclass
class Filters:
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    service: str = ""
    channel: str = ""


def _where(survey_id: Any, f: Filters) -> tuple[str, list[Any]]:
    where, args = ["r.survey = $1"], [survey_id]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.period_from:
        where.append(f"r.submitted_on >= {arg(f.period_from)}::date")
    if f.period_to:
        where.append(f"r.submitted_on <= {arg(f.period_to)}::date")
    if f.service:
        where.append(f"r.service_type = {arg(f.service)}")
    if f.channel:
        where.append(f"r.intake_channel = {arg(f.channel)}")
    return " and ".join(where), args


async def questions_of(conn: Any, survey_id: Any) -> dict[str, dict[str, Any]]:
    """Every question ever asked in this survey, by key; the latest wording wins."""
    out: dict[str, dict[str, Any]] = {}
    for v in await conn.fetch("select questions from survey_version where survey = $1 order by number", survey_id):
        for q in json.loads(v["questions"]) if isinstance(v["questions"], str) else v["questions"]:
            out.pop(q["key"], None)
            out[q["key"]] = q
    return out


def nps(scores: dict[int, int]) -> float | None:
    n = sum(scores.values())
    if not n:
        return None
    promoters = sum(c for s, c in scores.items() if s >= 9)
    detractors = sum(c for s, c in scores.items() if s <= 6)
    return round(100 * (promoters - detractors) / n)


async def results(tenant_id: Any, survey_id: Any, f: Filters, lang: str) -> dict[str, Any]:
    sid = parse_uuid(survey_id)
    if sid is None:
        raise NotFound(survey_id)
    async with tenant_scope(tenant_id) as tx:
        conn = tx.connection
        survey = await conn.fetchrow("select * from survey where id = $1", sid)
        if survey is None:
            raise NotFound(survey_id)
        where, args = _where(sid, f)
        questions = await questions_of(conn, sid)
        settings = await settings_in_scope()
        rating = f"""select {{group}}, avg(a.score)::float as value, count(distinct r.id) as n
                     from survey_response r join survey_answer a on a.response = r.id and a.qtype = 'rating'
                     where {where} group by 1 order by 1"""
        total = await conn.fetchval(f"select count(*) from survey_response r where {where}", *args)
        overall = await conn.fetchval(
            f"""select avg(a.score)::float from survey_response r join survey_answer a on a.response = r.id
                and a.qtype = 'rating' where {where}""", *args)
        by_month = {r["g"]: r for r in await conn.fetch(rating.format(group=f"{RIYADH_MONTH} as g"), *args)}
        by_service = await conn.fetch(rating.format(group="r.service_type as g"), *args)
        by_channel = await conn.fetch(rating.format(group="r.intake_channel as g"), *args)
        dist = {}
        for row in await conn.fetch(
                f"""select a.question, a.score, count(*) as n from survey_response r join survey_answer a
                    on a.response = r.id where {where} and a.score is not null group by 1, 2""", *args):
            dist.setdefault(row["question"], {})[row["score"]] = row["n"]
        texts = [dict(r) for r in await conn.fetch(
            f"""select a.question, a.text, r.submitted_on, r.service_type from survey_response r
                join survey_answer a on a.response = r.id
                where {where} and a.qtype = 'text' and a.text <> '' order by r.submitted_on desc limit 100""", *args)]
        staff_rows = await conn.fetch(
            f"""select r.staff, u.name, avg(a.score)::float as value, count(distinct r.id) as n
                from survey_response r join survey_answer a on a.response = r.id and a.qtype = 'rating'
                left join staff_user u on u.id = r.staff
                where {where} and r.staff is not null group by 1, 2""", *args)
        services = [r["service_type"] for r in await conn.fetch(
            "select distinct service_type from survey_response where survey = $1 and service_type <> '' order by 1",
            sid)]
        channels = [r["intake_channel"] for r in await conn.fetch(
            "select distinct intake_channel from survey_response where survey = $1 and intake_channel <> '' order by 1",
            sid)]
    minimum = settings.min_staff_answers
    shown = sorted((r for r in staff_rows if r["n"] >= minimum), key=lambda r: -r["n"])
    # Twelve months ending with the filter's last month (or this month), empty months included.
    end = f.period_to or dt.date.today()
    months, y, m = [], end.year, end.month
    for _ in range(12):
        months.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    months.reverse()
    month_points = [(format_date(mo, "MMM", locale=lang) + ("|" + str(mo.year) if i == 0 or mo.month == 1 else ""),
                     by_month[mo]["value"] if mo in by_month else None, by_month[mo]["n"] if mo in by_month else 0)
                    for i, mo in enumerate(months)]
    per_question = []
    for key, q in questions.items():
        d = dist.get(key, {})
        item: dict[str, Any] = {"key": key, "type": q["type"], "text": q["text"].get(lang) or q["text"]["ar"],
                                "count": sum(d.values())}
        if q["type"] == "rating":
            item["points"] = [(str(s), float(d.get(s, 0)), d.get(s, 0)) for s in range(1, 6)]
            item["average"] = (sum(s * c for s, c in d.items()) / item["count"]) if item["count"] else None
        elif q["type"] == "nps":
            item["points"] = [(str(s), float(d.get(s, 0)), d.get(s, 0)) for s in range(0, 11)]
            item["nps"] = nps(d)
        elif q["type"] == "choice":
            item["points"] = [((o.get(lang) or o["ar"]), float(d.get(i, 0)), d.get(i, 0))
                              for i, o in enumerate(q.get("options", []))]
        else:
            item["answers"] = [t for t in texts if t["question"] == key]
            item["count"] = len(item["answers"])
        per_question.append(item)
    nps_scores = {}
    for key, q in questions.items():
        if q["type"] == "nps":
            for s, c in dist.get(key, {}).items():
                nps_scores[s] = nps_scores.get(s, 0) + c
    return {
        "survey": dict(survey), "total": total, "overall": overall, "nps": nps(nps_scores),
        "months": month_points,
        "services": [(r["g"] or "—", r["value"], r["n"]) for r in by_service],
        "channels": [(r["g"] or "—", r["value"], r["n"]) for r in by_channel],
        "questions": per_question,
        "staff": [((r["name"] or "—"), r["value"], r["n"]) for r in shown],
        "staff_hidden": len(staff_rows) - len(shown), "minimum": minimum,
        "service_options": services, "channel_options": channels,
    }


def _cell(value: Any) -> Any:
    """Free text that a spreadsheet would run as a formula is kept as text."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def csv_export(tenant_id: Any, survey_id: Any, f: Filters, lang: str) -> str:
    """One row per response, one column per question; no names, contacts or staff."""
    sid = parse_uuid(survey_id)
    if sid is None:
        raise NotFound(survey_id)
    async with tenant_scope(tenant_id) as tx:
        conn = tx.connection
        if not await conn.fetchval("select 1 from survey where id = $1", sid):
            raise NotFound(survey_id)
        where, args = _where(sid, f)
        questions = await questions_of(conn, sid)
        responses = await conn.fetch(
            f"""select r.id, r.submitted_on, r.version, r.service_type, r.intake_channel, r.anonymous
                from survey_response r where {where} order by r.submitted_on""", *args)
        answers: dict[Any, dict[str, Any]] = {}
        for a in await conn.fetch(
                f"""select a.response, a.question, a.qtype, a.score, a.text from survey_response r
                    join survey_answer a on a.response = r.id where {where}""", *args):
            answers.setdefault(a["response"], {})[a["question"]] = a
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the Arabic as UTF-8
    writer = csv.writer(out)
    writer.writerow(["submitted", "version", "service", "channel", "anonymous",
                     *[q["text"].get(lang) or q["text"]["ar"] for q in questions.values()]])
    for r in responses:
        row = [r["submitted_on"].isoformat(),
               r["version"], r["service_type"], r["intake_channel"], "yes" if r["anonymous"] else "no"]
        for key, q in questions.items():
            a = answers.get(r["id"], {}).get(key)
            if a is None:
                row.append("")
            elif q["type"] == "choice":
                options = q.get("options", [])
                row.append((options[a["score"]].get(lang) or options[a["score"]]["ar"])
                           if a["score"] is not None and a["score"] < len(options) else "")
            elif q["type"] == "text":
                row.append(a["text"])
            else:
                row.append("" if a["score"] is None else a["score"])
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
