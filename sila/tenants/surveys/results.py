"""Survey results: by month, service, channel and question, free-text answers, CSV; results per
staff member only in aggregate and only for those with enough answers that no one answer can be
told apart (the tenant's minimum)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from babel.dates import format_date

from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.tenants.surveys import queries
from sila.tenants.surveys.queries import Filters
from sila.tenants.surveys.services import settings_in_scope

__all__ = ["Filters", "csv_export", "nps", "results"]


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
    async with tenant_scope(tenant_id):
        survey = await queries.survey(sid)
        if survey is None:
            raise NotFound(survey_id)
        questions = await queries.questions_of(sid)
        settings = await settings_in_scope()
        total = await queries.response_count(sid, f)
        overall = await queries.overall_rating(sid, f)
        by_month = {r.g: r for r in await queries.ratings_by(sid, f, "month")}
        by_service = await queries.ratings_by(sid, f, "service")
        by_channel = await queries.ratings_by(sid, f, "channel")
        dist: dict[str, dict[int, int]] = {}
        for row in await queries.score_counts(sid, f):
            dist.setdefault(row.question, {})[row.score] = row.n
        texts = await queries.text_answers(sid, f)
        staff_rows = await queries.staff_ratings(sid, f)
        services = await queries.answered_service_types(sid)
        channels = await queries.answered_channels(sid)
    minimum = settings.min_staff_answers
    shown = sorted((r for r in staff_rows if r.n >= minimum), key=lambda r: -r.n)
    # Twelve months ending with the filter's last month (or this month), empty months included.
    end = f.period_to or dt.date.today()
    months, y, m = [], end.year, end.month
    for _ in range(12):
        months.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    months.reverse()
    month_points = [(format_date(mo, "MMM", locale=lang) + ("|" + str(mo.year) if i == 0 or mo.month == 1 else ""),
                     by_month[mo].value if mo in by_month else None, by_month[mo].n if mo in by_month else 0)
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
            item["answers"] = [t for t in texts if t.question == key]
            item["count"] = len(item["answers"])
        per_question.append(item)
    nps_scores: dict[int, int] = {}
    for key, q in questions.items():
        if q["type"] == "nps":
            for s, c in dist.get(key, {}).items():
                nps_scores[s] = nps_scores.get(s, 0) + c
    return {
        "survey": survey, "total": total, "overall": overall, "nps": nps(nps_scores),
        "months": month_points,
        "services": [(r.g or "—", r.value, r.n) for r in by_service],
        "channels": [(r.g or "—", r.value, r.n) for r in by_channel],
        "questions": per_question,
        "staff": [((r.name or "—"), r.value, r.n) for r in shown],
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
    async with tenant_scope(tenant_id):
        if not await queries.survey_exists(sid):
            raise NotFound(survey_id)
        questions = await queries.questions_of(sid)
        responses = await queries.responses(sid, f)
        answers: dict[Any, dict[str, queries.AnswerRow]] = {}
        for one in await queries.answers(sid, f):
            answers.setdefault(one.response, {})[one.question] = one
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the Arabic as UTF-8
    writer = csv.writer(out)
    writer.writerow(["submitted", "version", "service", "channel", "anonymous",
                     *[q["text"].get(lang) or q["text"]["ar"] for q in questions.values()]])
    for r in responses:
        row = [r.submitted_on.isoformat(), r.version, r.service_type, r.intake_channel, "yes" if r.anonymous else "no"]
        for key, q in questions.items():
            a = answers.get(r.id, {}).get(key)
            if a is None:
                row.append("")
            elif q["type"] == "choice":
                options = q.get("options", [])
                row.append((options[a.score].get(lang) or options[a.score]["ar"])
                           if a.score is not None and a.score < len(options) else "")
            elif q["type"] == "text":
                row.append(a.text)
            else:
                row.append("" if a.score is None else a.score)
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
