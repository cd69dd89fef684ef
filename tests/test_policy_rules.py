"""Policy draft rules, publishing requirements, due dates and version diffs."""
import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from sila.platform import dates
from sila.tenants.policy import catalogue, rules
from sila.tenants.policy.rules import (
    BoardApprovalInput,
    ChannelConfig,
    PolicyDraft,
    StepConfig,
    ToolConfig,
    default_draft,
    diff_versions,
    draft_from_dict,
    draft_to_dict,
    due_date,
    validate_approval,
    validate_draft,
    validate_publish,
)

UTC = dt.UTC


def valid_draft(**changes) -> PolicyDraft:
    d = default_draft()
    d.channels[0].enabled = True
    for k, v in changes.items():
        setattr(d, k, v)
    return d


def approval(**changes) -> BoardApprovalInput:
    a = BoardApprovalInput(meeting_number=12, date_gregorian=dt.date(2024, 3, 3),
                           chair_title="رئيس مجلس الإدارة", chair_name="فلان الفلاني",
                           decisions=["approve", "publish_website"])
    for k, v in changes.items():
        setattr(a, k, v)
    return a


def _marked_msgids() -> set[str]:
    """Every string wrapped in N_(...) in the modules that produce messages."""
    root = Path(rules.__file__).resolve().parents[3]
    found = set()
    for rel in ("sila/tenants/policy/rules.py", "sila/platform/dates.py"):
        src = (root / rel).read_text(encoding="utf-8")
        for m in re.finditer(r'N_\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)', src):
            found.add("".join(ast.literal_eval(p) for p in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(1))))
    return found


MARKED = _marked_msgids()


def assert_marked(errors):
    for msgs in errors.values():
        for m in msgs:
            assert m in MARKED, f"not wrapped in N_: {m!r}"


# ---------------------------------------------------------------- drafts

def test_catalogue_shape():
    assert list(catalogue.STEPS) == ["receive", "verify", "refer", "attest", "committee",
                                     "register", "deliver"]
    assert {c for c, ch in catalogue.CHANNELS.items() if ch.public_form} == {
        "website", "assistance_request"}
    assert len(catalogue.CHANNELS) == 10 and len(catalogue.TOOLS) == 4
    assert catalogue.TOOLS["support_request_form"].intake_form
    assert set(catalogue.REGULATORS) == {"ncnp", "awqaf", "mhrsd", "other"}
    assert len(catalogue.DEFAULT_TEXTS["detailed_goals"]["ar"]) == len(
        catalogue.DEFAULT_TEXTS["detailed_goals"]["en"])
    assert catalogue.article_heading(1) == "المادة الأولى"
    assert catalogue.ordinal_ar(7) == "السابعة"


def test_valid_draft_has_no_errors():
    assert validate_draft(valid_draft()) == {}


def test_default_draft_needs_a_channel():
    errors = validate_draft(default_draft())
    assert errors == {"channels": [rules.MSG_NO_CHANNEL]}
    assert_marked(errors)


def test_disabled_channels_do_not_count():
    d = default_draft()
    d.channels = [ChannelConfig("phone", enabled=False)]
    assert "channels" in validate_draft(d)


def test_custom_channel_needs_a_name():
    d = valid_draft()
    d.channels.append(ChannelConfig(None, label_ar="   "))
    assert validate_draft(d) == {f"channels.{len(d.channels) - 1}.label_ar":
                                 [rules.MSG_CHANNEL_NAME_REQUIRED]}


def test_custom_channel_ok_and_english_optional():
    d = valid_draft()
    d.channels.append(ChannelConfig(None, label_ar="واتساب الجمعية", note="0550000000"))
    d.channels.append(ChannelConfig(None, label_ar="الزيارات المنزلية", label_en="Home visits"))
    assert validate_draft(d) == {}
    assert d.channels[-2].label("en") == "واتساب الجمعية"  # falls back to Arabic


def test_channel_names_unique_after_normalising():
    d = valid_draft()
    i = len(d.channels)
    # the standard website channel is «الموقع الإلكتروني»; hamza and spacing differ here
    d.channels.append(ChannelConfig(None, label_ar="  الموقع  الالكتروني "))
    errors = validate_draft(d)
    assert errors == {f"channels.{i}.label_ar": [rules.MSG_CHANNEL_NAME_TAKEN]}
    assert_marked(errors)


def test_english_names_unique_too():
    d = valid_draft()
    d.channels.append(ChannelConfig(None, label_ar="قناة جديدة", label_en="phone CALLS"))
    assert f"channels.{len(d.channels) - 1}.label_en" in validate_draft(d)


def test_standard_channel_once_and_known():
    d = valid_draft()
    d.channels.append(ChannelConfig("phone"))
    d.channels.append(ChannelConfig("fax"))
    errors = validate_draft(d)
    assert rules.MSG_DUPLICATE_STD_CHANNEL in errors["channels"]
    assert errors[f"channels.{len(d.channels) - 1}.code"] == [rules.MSG_UNKNOWN_CHANNEL]


def test_name_and_note_length():
    d = valid_draft()
    d.channels[0].label_ar = "ا" * 121
    d.channels[0].note = "x" * 501
    errors = validate_draft(d)
    assert errors == {"channels.0.label_ar": [rules.MSG_NAME_TOO_LONG],
                      "channels.0.note": [rules.MSG_NOTE_TOO_LONG]}


def test_tools_names_required_and_unique():
    d = valid_draft()
    d.tools.append(ToolConfig(None, label_ar=""))
    d.tools.append(ToolConfig(None, label_ar="دليل خدمات  البحث الاجتماعي"))
    d.tools.append(ToolConfig(None, label_ar="دليل المتطوعين", label_en="Volunteer guide"))
    errors = validate_draft(d)
    assert errors == {"tools.4.label_ar": [rules.MSG_TOOL_NAME_REQUIRED],
                      "tools.5.label_ar": [rules.MSG_TOOL_NAME_TAKEN]}
    assert_marked(errors)


def test_tool_own_wording_of_standard_tool():
    d = valid_draft()
    d.tools[0].label_ar = "اللائحة الأساسية للجمعية"
    assert validate_draft(d) == {}
    assert d.tools[0].label("ar") == "اللائحة الأساسية للجمعية"
    assert d.tools[0].label("en") == "Bylaws"


def test_unknown_tool():
    d = valid_draft(tools=[ToolConfig("manual")])
    assert validate_draft(d) == {"tools.0.code": [rules.MSG_UNKNOWN_TOOL]}


@pytest.mark.parametrize("steps, message", [
    (["verify", "receive", "committee", "deliver"], rules.MSG_FIRST_STEP),
    (["receive", "committee", "deliver", "register"], rules.MSG_LAST_STEP),
    ([], rules.MSG_FIRST_STEP),
])
def test_step_order(steps, message):
    d = valid_draft(steps=[StepConfig(s) for s in steps])
    assert message in validate_draft(d)["steps"]


def test_middle_order_is_the_tenants_and_disabled_steps_ignored():
    d = valid_draft(steps=[StepConfig("verify", enabled=False), StepConfig("receive"),
                           StepConfig("committee"), StepConfig("attest"),
                           StepConfig("deliver"), StepConfig("register", enabled=False)])
    assert validate_draft(d) == {}


def test_step_unknown_and_duplicate():
    d = valid_draft(steps=[StepConfig("receive"), StepConfig("pray"), StepConfig("receive"),
                           StepConfig("committee"), StepConfig("deliver")])
    errors = validate_draft(d)
    assert errors["steps.1.code"] == [rules.MSG_UNKNOWN_STEP]
    assert rules.MSG_DUPLICATE_STEP in errors["steps"]


def test_step_wording_defaults_and_overrides():
    s = StepConfig("attest")
    assert s.text("ar") == catalogue.STEPS["attest"].text_ar
    s.text_en = "Our own words."
    assert s.text("en") == "Our own words." and s.label("en") == "Attest that the information is true"


@pytest.mark.parametrize("window, ok", [
    (1, True), (14, True), (30, True), (365, True),
    (0, False), (-5, False), (366, False), (10_000, False),
])
def test_review_window_range(window, ok):
    errors = validate_draft(valid_draft(review_window_days=window))
    assert errors == ({} if ok else {"review_window_days": [rules.MSG_WINDOW_RANGE]})


@pytest.mark.parametrize("window", ["14", 14.0, True])
def test_review_window_must_be_int(window):
    errors = validate_draft(valid_draft(review_window_days=window))
    assert errors == {"review_window_days": [rules.MSG_WINDOW_NOT_INT]}


def test_review_window_required_with_committee():
    errors = validate_draft(valid_draft(review_window_days=None))
    assert errors == {"review_window_days": [rules.MSG_WINDOW_REQUIRED]}
    assert_marked(errors)


def test_review_window_refused_without_committee():
    d = valid_draft()
    d.steps = [s for s in d.steps if s.code != "committee"]
    assert validate_draft(d) == {"review_window_days": [rules.MSG_WINDOW_WITHOUT_COMMITTEE]}
    d.review_window_days = None
    assert validate_draft(d) == {}
    # a disabled committee step is no committee either
    d.steps.insert(1, StepConfig("committee", enabled=False))
    assert validate_draft(d) == {}


def test_layout():
    assert validate_draft(valid_draft(layout="articles", table_of_contents=True)) == {}
    assert validate_draft(valid_draft(layout="poem")) == {"layout": [rules.MSG_UNKNOWN_LAYOUT]}


def test_dict_round_trip_and_tolerance():
    d = valid_draft(layout="articles")
    d.channels.append(ChannelConfig(None, label_ar="قناة", note="ملاحظة"))
    data = draft_to_dict(d)
    assert draft_from_dict(data) == d
    data["future_field"] = 1
    data["channels"][0]["future_field"] = 2
    del data["table_of_contents"]
    assert draft_from_dict(data).channels == d.channels


# ---------------------------------------------------------------- approval / publish

def test_publish_requires_approval():
    errors = validate_publish(valid_draft(), None)
    assert errors == {"approval": [rules.MSG_APPROVAL_REQUIRED]}
    assert_marked(errors)


def test_valid_approval():
    assert validate_publish(valid_draft(), approval()) == {}
    assert validate_approval(approval(meeting_number=None, session_ordinal=7)) == {}
    # either calendar is enough
    assert validate_approval(approval(date_gregorian=None, date_hijri=(1445, 5, 21))) == {}


def test_chair_not_required_but_title_needs_a_name():
    # two seed approvals record no chair: they must still be publishable
    assert validate_approval(approval(chair_title="", chair_name="")) == {}
    assert validate_approval(approval(chair_name=" ")) == {
        "chair_name": [rules.MSG_CHAIR_NAME_REQUIRED]}


@pytest.mark.parametrize("changes, key, message", [
    (dict(meeting_number=None, session_ordinal=None), "meeting_number",
     rules.MSG_MEETING_REQUIRED),
    (dict(meeting_number=0), "meeting_number", rules.MSG_MEETING_INVALID),
    (dict(meeting_number="12"), "meeting_number", rules.MSG_MEETING_INVALID),
    (dict(session_ordinal=-1), "session_ordinal", rules.MSG_SESSION_INVALID),
    (dict(date_gregorian=None), "date", rules.MSG_DATE_REQUIRED),
    (dict(date_gregorian=None, date_hijri=(1300, 1, 1)), "date_hijri",
     dates.MSG_HIJRI_OUT_OF_RANGE),
    (dict(date_gregorian=None, date_hijri=(1445, 5, 30)), "date_hijri",
     dates.MSG_HIJRI_NO_SUCH_DAY),
    (dict(date_gregorian=None, date_hijri=(1445, 5)), "date_hijri", dates.MSG_HIJRI_INVALID),
    (dict(date_gregorian=dt.date(1900, 1, 1)), "date_gregorian",
     dates.MSG_GREGORIAN_OUT_OF_RANGE),
    (dict(decisions=[]), "decisions", rules.MSG_DECISION_REQUIRED),
    (dict(decisions=["approve", "celebrate"]), "decisions", rules.MSG_UNKNOWN_DECISION),
])
def test_bad_approval(changes, key, message):
    errors = validate_approval(approval(**changes))
    assert errors == {key: [message]}
    assert_marked(errors)
    assert validate_publish(valid_draft(), approval(**changes)) == {f"approval.{key}": [message]}


def test_disagreeing_dates_are_not_an_error():
    a = approval(date_gregorian=dt.date(2023, 11, 16), date_hijri=(1445, 5, 3))
    assert validate_approval(a) == {}
    assert a.dates().warning == dates.MSG_DATES_DISAGREE


def test_publish_collects_draft_and_approval_errors():
    errors = validate_publish(default_draft(), approval(decisions=[]))
    assert set(errors) == {"channels", "approval.decisions"}


# ---------------------------------------------------------------- due dates

def test_due_date_end_of_riyadh_day():
    # 10:00 Riyadh on 1 Sep 2025 + 14 days -> 15 Sep 23:59:59 Riyadh = 20:59:59 UTC
    submitted = dt.datetime(2025, 9, 1, 7, 0, tzinfo=UTC)
    due = due_date(submitted, 14)
    assert due == dt.datetime(2025, 9, 15, 20, 59, 59, tzinfo=UTC)
    assert due.utcoffset() == dt.timedelta(0)
    assert dates.to_riyadh(due).date() == dt.date(2025, 9, 15)


def test_due_date_counts_from_the_riyadh_day():
    # 22:30 UTC on 1 Sep is already 2 Sep in Riyadh
    due = due_date(dt.datetime(2025, 9, 1, 22, 30, tzinfo=UTC), 1)
    assert dates.to_riyadh(due) == dt.datetime(2025, 9, 3, 23, 59, 59, tzinfo=dates.RIYADH)


def test_due_date_same_evening_same_due():
    a = due_date(dt.datetime(2025, 9, 1, 19, 0, tzinfo=dates.RIYADH), 30)
    b = due_date(dt.datetime(2025, 9, 1, 23, 0, tzinfo=dates.RIYADH), 30)
    assert a == b == dt.datetime(2025, 10, 1, 20, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("submitted, days", [
    (dt.datetime(2025, 9, 1, 7, 0), 14),                    # naive
    (dt.datetime(2025, 9, 1, 7, 0, tzinfo=UTC), 0),
    (dt.datetime(2025, 9, 1, 7, 0, tzinfo=UTC), "14"),
])
def test_due_date_rejects(submitted, days):
    with pytest.raises(ValueError):
        due_date(submitted, days)


# ---------------------------------------------------------------- diffs

def _snap(d):
    return draft_to_dict(d)


def test_diff_identical_is_empty():
    assert diff_versions(_snap(valid_draft()), _snap(valid_draft())) == []


def test_diff_channels():
    a = valid_draft()
    b = valid_draft()
    b.channels[0].enabled = False                                   # interview removed
    b.channels[2].enabled = True                                    # phone added
    b.channels.append(ChannelConfig(None, label_ar="واتساب", label_en="WhatsApp"))
    changes = [str(c) for c in diff_versions(_snap(a), _snap(b))]
    assert changes == ["Channel removed: In-person interview", "Channel added: Phone calls",
                       "Channel added: WhatsApp"]


def test_diff_rename_note_order():
    a = valid_draft()
    a.channels[2].enabled = True
    b = draft_from_dict(_snap(a))
    b.channels[2].label_ar = "الهاتف الموحد"
    b.channels[0].note = "من الأحد إلى الخميس"
    b.channels.reverse()
    en = [str(c) for c in diff_versions(_snap(a), _snap(b))]
    # only the Arabic name changed, so the English diff shows the Arabic names
    assert "Channel renamed: الاتصالات الهاتفية → الهاتف الموحد" in en
    assert "Channel note changed: In-person interview" in en
    assert "Channel order changed." in en
    ar = [str(c) for c in diff_versions(_snap(a), _snap(b), lang="ar")]
    assert "Channel note changed: المقابلة" in ar


def test_diff_tools_steps_window_texts():
    a = valid_draft()
    b = valid_draft(review_window_days=30, layout="articles", table_of_contents=True,
                    introduction_ar="مقدمة أخرى")
    b.tools[0].label_ar = "اللائحة الأساسية للجمعية"
    b.steps[2].enabled = False
    b.steps[3].text_en = "Sign here."
    changes = [str(c) for c in diff_versions(_snap(a), _snap(b))]
    assert changes == [
        "Tool renamed: اللائحة الأساسية → اللائحة الأساسية للجمعية",
        "Step removed: Refer to the social researcher",
        "Step wording changed: Attest that the information is true",
        "Review window changed from 14 to 30 days.",
        "Introduction changed.",
        "Layout changed to: Numbered articles",
        "Table of contents added.",
    ]


def test_diff_window_set_and_removed():
    with_committee = valid_draft()
    without = valid_draft(review_window_days=None)
    without.steps = [s for s in without.steps if s.code != "committee"]
    assert [str(c) for c in diff_versions(_snap(with_committee), _snap(without))] == [
        "Step removed: Research committee review", "Review window removed."]
    back = [str(c) for c in diff_versions(_snap(without), _snap(with_committee))]
    assert back == ["Step added: Research committee review", "Review window set to 14 days."]


def test_diff_changes_are_translatable():
    b = valid_draft(general_goal_en="Other.")
    [change] = diff_versions(_snap(valid_draft()), _snap(b))
    assert change.msgid == rules.MSG_GOAL and change.msgid in MARKED
    assert change.text(lambda s: {"General goal changed.": "تغيّر الهدف العام."}[s]) == \
        "تغيّر الهدف العام."


def test_every_diff_msgid_is_marked():
    for msgs in rules._ITEM_MSGS.values():
        assert set(msgs) <= MARKED


def test_diff_days_are_babel_plurals_in_arabic_and_english():
    """The diff's day counts are plural pairs: one, two, a few, many days read right in Arabic's six
    forms, and in English; turning appeals on or off says so rather than "from 0 days"."""
    from sila.platform import i18n

    def diff(a: dict, b: dict, lang: str) -> list[str]:
        with i18n.language(lang):
            return [c.text(i18n.gettext, i18n.ngettext) for c in diff_versions(_snap(valid_draft(**a)),
                                                                             _snap(valid_draft(**b)))]

    assert diff({"review_window_days": 14}, {"review_window_days": 1}, "en") == [
        "Review window changed from 14 to 1 day."]
    assert diff({"review_window_days": 1}, {"review_window_days": 30}, "en") == [
        "Review window changed from 1 to 30 days."]
    for days, words in [(1, "إلى يوم واحد."), (2, "إلى يومين."), (5, "إلى 5 أيام."), (30, "إلى 30 يومًا."),
                        (365 - 265, "إلى 100 يوم.")]:
        assert diff({"review_window_days": 14}, {"review_window_days": days}, "ar") == [
            f"تغيّرت مدة الرد من 14 {words}"], days
    assert diff({"appeal_days": 15}, {"appeal_days": 2}, "ar") == ["تغيّرت مدة التظلم من 15 إلى يومين."]
    assert diff({"appeal_days": 15}, {"appeal_days": 1}, "en") == ["Appeal period changed from 15 to 1 day."]
    assert diff({"appeal_days": 0}, {"appeal_days": 10}, "ar") == ["أصبح بإمكان المتقدمين التظلم من الرفض خلال 10 أيام."]
    assert diff({"appeal_days": 10}, {"appeal_days": 0}, "en") == ["Applicants can no longer appeal a decline."]
