"""A living demo: each demo charity's staff, and cases at every stage of its own procedure.

`load_demo_cases(tenant, passwords)` is what `sila.platform.demo` calls after publishing a demo
tenant's policy. It adds a relations officer, a social researcher and two committee members
(when the policy has those steps), then — only if the charity has no request yet — requests
taken through the real services to every stage the policy has: some waiting, one incomplete
for ten days (its clock paused) and one completed by the applicant after ten days (its date moved),
some overdue, two declined (one of them appealed), some served and closed; a committee session held
with votes, decisions and minutes, and today's under way with its agenda; suggestions and
complaints, one answered. The committee's rule (members, chair and deputy) is in the first
published version: `demo_committee_rule` makes the members' accounts before it is published. The survey invitations and applicants' messages are the ones those
services queue themselves (the worker of `sila dev` delivers them to the development inbox).

Deterministic: names, ID numbers and mobiles come from a generator seeded by the tenant's slug,
so every fresh database gets the same people. Idempotent: a second run finds the requests and
adds nothing. Clearly demo data: every need and note says «(بيانات تجريبية)», the mobiles are
in 0555 000 xxx, and the emails end in .demo.

Time is the one thing the services cannot fake: requests are received now, so the demo
moves a few of them back (submitted, due and last changed earlier) with one UPDATE each, to
show what an overdue or long-incomplete request looks like.
"""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable
from typing import Any

from sila.platform.accounts.services import add_member
from sila.platform.actors import Actor
from sila.platform.db import tenant_scope
from sila.platform.identity import valid_test_id
from sila.platform.roles import Role
from sila.tenants.beneficiaries.forms import ApplicantInput
from sila.tenants.feedback import services as feedback
from sila.tenants.surveys import queries as survey_queries
from sila.tenants.surveys import services as surveys
from sila.tenants.surveys.forms import read_answers
from sila.tenants.committee import services as committee
from sila.tenants.committee.rule import CommitteeRule
from sila.tenants.requests import services as requests
from sila.tenants.requests.services import applicant
from sila.tenants.requests.terms import terms_in_force
from sila.tenants.requests.uploads import Upload

DEMO = "(بيانات تجريبية)"
FIRST = ["أحمد", "محمد", "عبدالله", "فهد", "سعد", "خالد", "فاطمة", "نورة", "مريم", "هيا", "سارة", "منيرة",
         "إبراهيم", "يوسف", "لطيفة", "عائشة", "مصطفى", "هدى"]
FAMILY = ["القحطاني", "العتيبي", "الدوسري", "الشهري", "الغامدي", "الزهراني", "الحربي", "المطيري", "السبيعي",
          "العنزي", "الشمري", "البلوي"]
NEEDS = ["سلة غذائية شهرية", "دعم إيجار السكن لثلاثة أشهر", "علاج أسنان لطفلين في الأسرة", "رسوم دراسية لطالب جامعي",
         "جهاز تكييف للمنزل", "سداد فاتورة كهرباء متأخرة"]
CITIES = ["الرياض", "جدة", "مكة المكرمة", "المدينة المنورة", "بريدة", "الدمام"]
PDF = Upload("اقرار-موقع.pdf", "application/pdf", b"%PDF-1.4\n% demo attestation\n")
STAFF = [  # (local part, role, name)
    ("officer", Role.relations_officer, "نورة العتيبي"),
    ("researcher", Role.social_researcher, "خالد الشهري"),
    ("committee1", Role.committee_member, "د. سيرين الشواف"),
    ("committee2", Role.committee_member, "عبدالرحمن الحربي"),
]
# Where each request is left: (target stage, how many, days ago it arrived — None: today).
PLAN = [("verify", 2, None), ("incomplete", 2, 10), ("refer", 1, None), ("research", 2, 3), ("attest", 1, None),
        ("committee", 3, 5), ("register", 1, None), ("deliver", 1, 4), ("closed", 2, 20), ("rejected", 2, 12),
        ("verify", 1, 40)]  # the last one is far past its decision date


def staff_email(local: str, slug: str) -> str:
    return f"{local}@{slug}.demo"


def _person(slug: str, i: int) -> ApplicantInput:
    """The demo's i-th applicant of this tenant: the same person on every fresh database."""
    rng = random.Random(f"sila-demo:{slug}:{i}")  # noqa: S311 -- demo data, the same on every run: no secret
    name = f"{rng.choice(FIRST)} {rng.choice(FIRST)} {rng.choice(FAMILY)}"
    number = valid_test_id("1" + "".join(rng.choice("0123456789") for _ in range(8)))
    return ApplicantInput(id_number=number, name=name, mobile=f"+966555000{i:03d}", email="",
                          preferred_channel="sms", preferred_language="ar", city=rng.choice(CITIES),
                          category="family", household_size=rng.randint(2, 9))


def _step_data(code: str, researcher_id: Any, today: dt.date) -> dict[str, Any]:
    steps: dict[str, dict[str, Any]] = {
        "verify": {f"check_{k}": "on" for k in requests.CHECKLIST},
        "mark_incomplete": {"missing": "صورة صك الإعالة\nتعريف بالراتب"},
        "refer": {"researcher": str(researcher_id), "question": f"هل تسكن الأسرة بالإيجار؟ {DEMO}"},
        "skip_referral": {"note": f"الملف مكتمل ولا حاجة إلى بحث {DEMO}"},
        "report": {"notes": f"زرنا الأسرة وتبيّن استحقاقها {DEMO}", "visit_date": (today - dt.timedelta(days=1)).isoformat(),
                   "visit_report": f"زيارة ميدانية للمنزل {DEMO}"},
        "attest": {"signer_name": "المتقدم نفسه", "scan": PDF},
        "register": {},
        "record_service": {"service_type": "سلة غذائية", "amount": "350", "delivered_on": today.isoformat()},
        "close": {},
        "reject": {"reason": f"الطلب خارج نطاق خدمات الجمعية {DEMO}"},
    }
    return steps[code]


async def _ensure_staff(tenant: Any, passwords: dict[str, str], new_password: Callable[[], str],
                        ensure_password: Callable[[str, str], Awaitable[None]], wanted: set[str]) -> dict[str, Actor]:
    out: dict[str, Actor] = {}
    for local, role, name in STAFF:
        if role not in wanted:
            continue
        email = staff_email(local, tenant.slug)
        password = passwords.setdefault(email, new_password())
        uid = await add_member(tenant, email=email, name=name, role=role, password=password)
        await ensure_password(email, password)  # the credentials file was lost: its new password
        out[local] = Actor(uid, name, frozenset({role}))
    return out


async def load_demo_cases(tenant: Any, passwords: dict[str, str], new_password: Callable[[], str],
                          ensure_password: Callable[[str, str], Awaitable[None]]) -> dict[str, str]:
    """Staff logins {email: role} of this demo tenant; cases are added once (see the module)."""
    terms = await terms_in_force(tenant.id)
    if terms is None:
        return {}
    wf = terms.workflow
    stages = set(wf.stages())
    wanted: set[str] = {Role.relations_officer}
    if "research" in stages:
        wanted.add(Role.social_researcher)
    if wf.has_committee:
        wanted.add(Role.committee_member)
    staff = await _ensure_staff(tenant, passwords, new_password, ensure_password, wanted)
    logins = {staff_email(local, tenant.slug): str(role) for local, role, _ in STAFF if local in staff}
    async with tenant_scope(tenant.id) as tx:
        if await tx.connection.fetchval("select count(*) from support_request"):
            return logins  # the cases are there already: a second run adds nothing

    rng = random.Random(f"sila-demo:{tenant.slug}")  # noqa: S311 -- as in _person
    officer = staff["officer"]
    today = dt.date.today()
    channel = terms.staff_channels()[0] if terms.staff_channels() else terms.channels[0]
    made: list[tuple[Any, str, int | None]] = []
    n = 0
    for target, count, days_ago in PLAN:
        if target not in stages and target not in ("closed", "rejected"):
            continue
        for _ in range(count):
            n += 1
            person = _person(tenant.slug, n)
            rid = await requests.record_by_staff(tenant, terms, requests.StaffIntake(
                applicant=person, channel=channel, need=f"{rng.choice(NEEDS)} {DEMO}",
                consent_text="وافق المتقدم على معالجة بياناته لغرض طلب الدعم"), officer)
            await _walk(tenant, rid, target, staff, today, wf)
            made.append((rid, target, days_ago))
    if wf.has_committee:
        # Held last week: every request meant to be past the committee is decided there.
        decided = [(rid, t) for rid, t, _ in made if t in ("rejected", "register", "deliver", "closed")]
        await _session(tenant, staff, decided, ago=dt.timedelta(days=6), close=True)
        for rid, target in decided:
            await _walk(tenant, rid, target, staff, today, wf)
        # Today's, begun an hour ago: the requests waiting for the committee are on its agenda.
        await _session(tenant, staff, [(rid, t) for rid, t, _ in made if t == "committee"], ago=dt.timedelta(hours=1),
                       close=False)
    for rid, _, days_ago in made:
        if days_ago:
            await _move_back(tenant.id, rid, days_ago)
    await _paused_and_appealed(tenant, [(rid, t) for rid, t, _ in made], terms, officer)
    await _feedback(tenant, officer, rng)
    await _surveys(tenant, rng)
    return logins


async def _walk(tenant: Any, rid: Any, target: str, staff: dict[str, Actor], today: dt.date, wf: Any) -> str:
    """Take the request forward, as its staff would, until it waits at `target` (or at the
    committee, which decides only in a session)."""
    officer, researcher = staff["officer"], staff.get("researcher")
    for _ in range(12):
        async with tenant_scope(tenant.id) as tx:
            stage = await tx.connection.fetchval("select stage from support_request where id = $1", rid)
        if stage == target or stage in ("closed", "rejected", "committee"):
            return stage
        if target == "rejected" and stage == wf.decision_stage and not wf.has_committee:
            code = "reject"
        elif stage in ("verify", "incomplete"):
            code = "mark_incomplete" if target == "incomplete" else "verify"
        elif stage == "refer":
            code = "refer" if researcher else "skip_referral"
        elif stage == "research":
            code = "report"
        elif stage == "deliver":
            async with tenant_scope(tenant.id) as tx:
                served = await tx.connection.fetchval("select count(*) from service_delivery where request = $1", rid)
            code = "close" if served else "record_service"
        else:
            code = stage  # attest, register
        actor = researcher if code == "report" and researcher else officer
        await requests.act(tenant, rid, code, actor, _step_data(code, researcher.id if researcher else None, today))
    return stage


async def _move_back(tenant_id: Any, rid: Any, days: int) -> None:
    async with tenant_scope(tenant_id) as tx:
        await tx.connection.execute(
            """update support_request set submitted_at = submitted_at - make_interval(days => $2),
                 due_at = due_at - make_interval(days => $2), updated_at = updated_at - make_interval(days => $2),
                 base_due_at = base_due_at - make_interval(days => $2),
                 stage_since = stage_since - make_interval(days => $2),
                 created_at = created_at - make_interval(days => $2) where id = $1""", rid, days)
        await tx.connection.execute(  # its clock's pauses moved with it
            """update request_pause set started_at = started_at - make_interval(days => $2),
                 ended_at = ended_at - make_interval(days => $2) where request = $1""", rid, days)


async def _paused_and_appealed(tenant: Any, made: list[tuple[Any, str]], terms: Any, officer: Actor) -> None:
    """Of the two requests left incomplete ten days ago, the applicant completes one from the
    tracking page (its decision date moves ten days later; the other is still paused); and one of
    the two declined applicants appeals, putting the request before the committee again (on the
    next session's agenda, with the decision appealed); the other stays declined."""
    waiting = [rid for rid, t in made if t == "incomplete"]
    async with tenant_scope(tenant.id) as tx:
        refs = {r["id"]: r["reference"] for r in await tx.connection.fetch(
            "select id, reference from support_request where id = any($1::uuid[])", [rid for rid, _ in made])}
    if len(waiting) > 1 and terms.online_completion:
        await applicant.complete(tenant, refs[waiting[1]], f"أرفقت صك الإعالة، والتعريف بالراتب في الطريق {DEMO}",
                                 [PDF], "demo")
    declined = next((rid for rid, t in made if t == "rejected"), None)
    if declined is None or not terms.appeal_days:
        return
    await applicant.appeal(tenant, refs[declined], f"تغيّر دخل الأسرة بعد وفاة العائل، وأرفقت ما يثبت ذلك {DEMO}", "demo")
    async with tenant_scope(tenant.id) as tx:
        row = await tx.connection.fetchrow(
            "select stage from support_request where id = $1", declined)
        session = await tx.connection.fetchval(
            "select id from committee_session where status = 'open' order by held_at limit 1")
    if row["stage"] == "committee" and session is not None:
        await committee.add_to_agenda(tenant, session, [declined], officer)


async def demo_committee_rule(tenant: Any, passwords: dict[str, str], new_password: Callable[[], str],
                              ensure_password: Callable[[str, str], Awaitable[None]], draft: Any) -> dict[str, Any]:
    """The demo committee's rule for the policy about to be published (`draft`): the two committee
    members, the first chairing and the second deputy, majority quorum, simple majority, a casting
    vote. Their accounts are made now, so the first version already names them; {} without a
    committee step."""
    if "committee" not in draft.enabled_steps():
        return {}
    staff = await _ensure_staff(tenant, passwords, new_password, ensure_password, {Role.committee_member})
    chair, deputy = staff["committee1"], staff["committee2"]
    return CommitteeRule(members=(str(chair.id), str(deputy.id)), member_names=(chair.name, deputy.name),
                         chair=str(chair.id), deputy=str(deputy.id)).to_dict()


async def _session(tenant: Any, staff: dict[str, Actor], items: list[tuple[Any, str]], *, ago: dt.timedelta,
                   close: bool) -> None:
    """A committee session held `ago` with `items` on its agenda, each step at a time the session's
    hours allow (opened the day before, then attendance, votes, decisions). When `close`: both members
    attend, each item is voted on by both and confirmed by the chair (declined for the target
    "rejected"), the session is closed and both members sign its minutes. Otherwise the
    session is under way: attendance recorded, the deputy has declared a conflict of interest on
    the first request and the chair has voted on it, so its tally shows the quorum is not met."""
    members = [staff[k] for k in ("committee1", "committee2") if k in staff]
    officer = staff["officer"]
    if not members or not items:
        return
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    chair = members[0]  # members open and close sessions; the relations officer sets the agenda
    held = now - ago
    at = held + dt.timedelta(minutes=10)  # the session's business, a few minutes after it began
    sid = await committee.create_session(tenant, held, f"مقر الجمعية {DEMO}", chair, now=held - dt.timedelta(days=1))
    await committee.add_to_agenda(tenant, sid, [rid for rid, _ in items], officer, now=held - dt.timedelta(hours=2))
    await committee.record_attendance(tenant, sid, [str(m.id) for m in members], chair, now=at)
    detail = await committee.session_detail(tenant.id, sid)
    if not close:
        first = detail.items[0]
        if len(members) > 1:
            await committee.declare_conflict(tenant, sid, first.id, f"قرابة مع المتقدم {DEMO}", members[1], now=at)
        await committee.cast_vote(tenant, sid, first.id, "accept", f"رأي العضو {DEMO}", chair, now=at)
        return
    for item in detail.items:
        target = next(t for rid, t in items if str(rid) == str(item.request))
        vote = "reject" if target == "rejected" else "accept"
        for m in members:
            await committee.cast_vote(tenant, sid, item.id, vote, f"رأي العضو {DEMO}", m, now=at)
        reason = f"لا تنطبق شروط الدعم على الحالة {DEMO}" if vote == "reject" else ""
        await committee.decide(tenant, sid, item.id, vote, reason, chair, now=at)
    await committee.close_session(tenant, sid, chair, now=at)
    for m in members:
        await committee.sign_minutes(tenant, sid, m)


async def _feedback(tenant: Any, officer: Actor, rng: random.Random) -> None:
    items = [("complaint", "تأخر الرد على طلبي أكثر من أسبوعين", True),
             ("suggestion", "أقترح إتاحة تتبع الطلب عبر واتساب", False),
             ("complaint", "لم يصلني رمز التحقق على جوالي", False)]
    for i, (kind, body, answered) in enumerate(items, start=1):
        ref = await feedback.submit(tenant, feedback.FeedbackInput(
            kind=kind, body=f"{body} {DEMO}", name=f"{rng.choice(FIRST)} {rng.choice(FAMILY)}",
            mobile=f"+966555001{i:03d}", email="", contact_channel="sms", language="ar",
            token=f"demo-feedback-{tenant.slug}-{i}"))
        if answered:
            async with tenant_scope(tenant.id) as tx:
                fid = await tx.connection.fetchval("select id from feedback where reference = $1", ref)
            await feedback.answer(tenant, fid, f"نعتذر عن التأخر، وقد عُرض طلبك على اللجنة هذا الأسبوع. {DEMO}", officer)


COMMENTS = ["الخدمة ممتازة وسريعة، جزاكم الله خيرًا", "أتمنى تقصير مدة الانتظار", "",
            "التواصل عبر الجوال كان واضحًا", ""]


async def _surveys(tenant: Any, rng: random.Random) -> None:
    """Everyone served is invited to the charity's survey, as a campaign would (the invitation
    messages go out as usual), and three in four answer it through the answer page's own reader
    and submission; the others' links stay open."""
    async with tenant_scope(tenant.id):
        sid = await surveys.ensure_default_in_scope(tenant.id)
        served = await survey_queries.due_services(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), 0, 0)
        invited = await surveys.invite_many_in_scope(tenant, sid, [sd.person(delivery=True) for sd in served])
        questions = (await surveys.get_survey_in_scope(sid)).questions
    for n, invitation in enumerate(invited):
        if n % 4 == 3:
            continue
        data: dict[str, str] = {}
        for q in questions:
            if q["type"] == "rating":
                data[q["key"]] = str(rng.choice([5, 5, 4, 4, 3, 2]))
            elif q["type"] == "nps":
                data[q["key"]] = str(rng.choice([10, 9, 9, 8, 7, 5]))
            elif q["type"] == "choice" and q.get("options"):
                data[q["key"]] = str(rng.randrange(len(q["options"])))
            elif q["type"] == "text" and (comment := rng.choice(COMMENTS)):
                data[q["key"]] = f"{comment} {DEMO}"
        answers, _, errors = read_answers(questions, data)
        assert not errors, errors  # the demo answers as the page would accept
        await surveys.submit_answers(tenant, surveys.token_for(tenant.id, invitation), answers, anonymous=False)
