"""Unit tests of the policy area's pure parts: form parsing (both calendars, Eastern Arabic
digits, the computed-date marker), row moves, upload checks, the reader's view and diffs."""
from __future__ import annotations

import datetime as dt

import pytest

from sila.platform import i18n
from sila.platform.forms import parse_form
from sila.tenants.onboarding.forms import OrganisationForm, ProfileForm, normalise_phone, normalise_website
from sila.tenants.policy import deadlines, forms, services, view
from sila.tenants.policy.rules import ChannelConfig, ToolConfig, default_draft, diff_versions, draft_to_dict
from sila.tenants.policy.seeds import get_seed
from support.data import png_bytes


class Form(dict):
    """What Litestar hands a handler: repeated fields as lists."""


def test_approval_in_either_calendar_with_eastern_digits():
    approval, errors, _ = forms.parse_approval(Form(meeting_number="١٦١", hijri_year="١٤٤٧", hijri_month="3",
                                                 hijri_day="٢٣", decisions=["approve", "apply"]))
    assert not errors and approval.meeting_number == 161 and approval.date_hijri == (1447, 3, 23)
    assert approval.dates().gregorian == dt.date(2025, 9, 15) and approval.decisions == ["approve", "apply"]
    for raw in ("2023-12-05", "5/12/2023", "٥/١٢/٢٠٢٣", "2023/12/05"):
        approval, errors, _ = forms.parse_approval(Form(date_gregorian=raw, decisions="approve"))
        assert not errors and approval.date_gregorian == dt.date(2023, 12, 5), raw
        assert approval.decisions == ["approve"]


def test_approval_parse_errors_name_their_fields():
    _, errors, _ = forms.parse_approval(Form(meeting_number="x1", session_ordinal="first", date_gregorian="tomorrow",
                                          hijri_year="1445", hijri_month="", hijri_day="3"))
    assert set(errors) == {"meeting_number", "session_ordinal", "date_gregorian", "date_hijri"}


def test_a_computed_date_left_unchanged_is_converted_again():
    stored = services.approval_to_dict(*_with_dates(hijri=(1447, 3, 23)))
    form = forms.approval_form(stored)
    assert form["computed"] == "gregorian" and form["date_gregorian"] == "2025-09-15"
    # The admin changes the Hijri day only: the old Gregorian is not taken as entered.
    approval, _, _ = forms.parse_approval(Form({**form, "hijri_day": "24"}))
    dates = approval.dates()
    assert dates.gregorian == dt.date(2025, 9, 16) and dates.warning is None
    # The admin changes the Gregorian date too: both are kept, with the mismatch.
    approval, _, _ = forms.parse_approval(Form({**form, "hijri_day": "24", "date_gregorian": "2025-09-20"}))
    assert approval.dates().day_difference == 4
    # Stored and reloaded, the entered side stays the entered one.
    again = services.approval_from_dict(stored)
    assert again.date_gregorian is None and again.date_hijri == (1447, 3, 23)


def _with_dates(hijri=None, greg=None):
    from sila.tenants.policy.rules import BoardApprovalInput

    approval = BoardApprovalInput(meeting_number=1, date_hijri=hijri, date_gregorian=greg, decisions=["approve"])
    return approval, approval.dates()


def test_conversion_preview():
    with i18n.language("ar"):
        out = forms.conversion_preview(Form(hijri_year="1501", hijri_month="1", hijri_day="1"))
        assert "١٣٤٣" in out["errors"]["date"][0]
    out = forms.conversion_preview(Form(hijri_year="1445", hijri_month="5", hijri_day="3",
                                        date_gregorian="2023-11-16"))
    assert out["dates"].warning and out["dates"].day_difference == -1
    assert forms.conversion_preview(Form()) == {"errors": {}}


def test_window_and_goals_parsing():
    draft = default_draft()
    assert not forms.parse_window(Form(review_window_days="٣٠"), draft)[0] and draft.review_window_days == 30
    assert forms.parse_window(Form(review_window_days="شهر"), draft)[0] and draft.review_window_days is None
    assert not forms.parse_window(Form(review_window_days=""), draft)[0] and draft.review_window_days is None
    errors = forms.parse_texts(Form(detailed_goals_ar="- أ\n\n• ب\n", detailed_goals_en="\n".join(["g"] * 31),
                                    layout="articles"), draft)
    assert draft.detailed_goals_ar == ["أ", "ب"] and "detailed_goals_en" in errors


def test_row_moves_only_remove_the_tenants_own_rows():
    rows = [ChannelConfig("interview"), ChannelConfig("phone"), ChannelConfig(None, label_ar="خاصة")]
    assert forms.apply_move(rows, "up", 2) and rows[1].label_ar == "خاصة"
    assert not forms.apply_move(rows, "up", 0) and not forms.apply_move(rows, "down", 2)
    assert not forms.apply_move(rows, "remove", 0) and len(rows) == 3
    assert forms.apply_move(rows, "remove", 1) and [r.code for r in rows] == ["interview", "phone"]
    assert not forms.apply_move(rows, "up", 9) and forms.parse_action(Form(action="down:3")) == ("down", 3)
    assert forms.parse_action(Form()) == ("save", None)


def test_rows_round_trip_and_unknown_codes_are_caught():
    data = Form({"channels.count": "2", "channels.0.code": "phone", "channels.0.enabled": "1",
                 "channels.0.note": "٩٢٠", "channels.1.code": "fax", "channels.1.label_ar": "فاكس"})
    rows, _ = forms.parse_channels(data)
    assert rows[0].enabled and not rows[1].enabled and rows[1].code == "fax"
    errors = forms.page_errors(services.replace(default_draft(), channels=rows), "channels")
    assert "channels.1.code" in errors
    assert forms.blocking(errors, {"channels"})
    only_remarks = forms.page_errors(services.replace(default_draft(), channels=[ChannelConfig("phone", False)]),
                                     "channels")
    assert set(only_remarks) == {"channels"} and not forms.blocking(only_remarks, {"channels"})
    # The count is capped, so a forged form cannot make us build thousands of rows.
    assert len(forms.parse_channels(Form({"channels.count": "100000"}))[0]) == forms.MAX_ROWS


@pytest.mark.parametrize("purpose, content, error", [
    ("tool", b"%PDF-1.7 ...", None),
    ("tool", b"\x89PNG\r\n\x1a\n...", services.UPLOADS["tool"][2]),
    ("tool", b"", services.MSG_EMPTY_FILE),
    ("tool", b"%PDF-" + b"0" * (10 * services.MB), services.MSG_FILE_TOO_LARGE),
    ("minutes", b"\xff\xd8\xff\xe0 jpeg", None),
    ("logo", b"%PDF-1.4", services.UPLOADS["logo"][2]),
    ("logo", b"<svg onload=alert(1)>", services.UPLOADS["logo"][2]),
])
def test_uploads_are_checked_by_content_and_size(purpose, content, error):
    if error is None:
        assert services.check_upload(purpose, content) == services.sniff(content).content_type
    else:
        with pytest.raises(services.UploadError) as exc:
            services.check_upload(purpose, content)
        assert exc.value.msgid == error


def test_filenames_are_made_safe():
    assert services._safe_filename("../../etc/passwd", services.PDF) == "passwd.pdf"
    assert services._safe_filename("دليل.PDF", services.PDF) == "دليل.PDF"
    assert services._safe_filename("", services.PNG) == "document.png"


def test_tool_document_replacement_shows_in_the_diff():
    a = default_draft()
    b = services.replace(a)
    b.tools[0].document_id = "00000000-0000-0000-0000-000000000001"
    changes = [str(c) for c in diff_versions(draft_to_dict(a), draft_to_dict(b))]
    assert changes == ["Tool document replaced: Bylaws"]
    assert isinstance(b.tools[0], ToolConfig)


def test_reader_view_numbers_articles_and_words_the_window():
    from sila.platform.tenancy import TenantInfo

    seed = get_seed("haramain")
    tenant = TenantInfo(id=None, slug="h", kind="association", name_ar=seed.name_ar, name_en=seed.name_en,
                        status="active", status_reason="")
    with i18n.language("ar"):
        doc = view.build(tenant, {"regulator": "ncnp", "city": "مكة", "region": "makkah"}, seed.draft, None)
        assert [s.heading.split(":")[0] for s in doc.sections] == [
            "المادة الأولى", "المادة الثانية", "المادة الثالثة", "المادة الرابعة", "المادة الخامسة", "المادة السادسة"]
        assert doc.letterhead.region == "منطقة مكة المكرمة" and doc.letterhead.other_name == seed.name_en
        mafatih = get_seed("mafatih").draft
        sentence = view.window_sentence(mafatih, "ar")
        assert "مدة لا تقل عن أسبوعين (١٤ يومًا)" in sentence
        days = [deadlines.days_text(n, "calendar", "ar") for n in (1, 2, 5)]
        assert days == ["يوم واحد", "يومان", "٥ أيام"], days
    with i18n.language("en"):
        own = services.replace(seed.draft, channels=[ChannelConfig(None, label_ar="قناة خاصة")])
        doc = view.build(tenant, None, own, None)
        entry = next(s for s in doc.sections if s.key == "channels").entries[0]
        assert entry.title.value == "قناة خاصة" and entry.title.lang == "ar"  # shown, marked Arabic
        assert doc.sections[0].heading == "Article 1: Introduction"


def test_contacts_are_normalised():
    assert normalise_phone("٠٥٠١٢٣٤٥٦٧") == "+966501234567" and normalise_phone("920012345") == "+966920012345"
    assert normalise_phone("12") is None
    assert normalise_website("noor.org.sa") == "https://noor.org.sa" and normalise_website("not a site") is None
    org = {"kind": "waqf", "name_ar": "وقف", "regulator": "awqaf", "licence_number": "١٢ ٣٤", "region": "riyadh",
           "city": "الرياض"}
    profile = parse_form(ProfileForm, {**org, "website": "", "phone": "٠١١ ٢٣٤ ٥٦٧٨", "email": "Info@Noor.org.sa",
                                       "social_links": "https://www.instagram.com/noor\r\nhttps://wa.me/966501234567"})
    assert profile.value is not None and profile.value.email == "info@noor.org.sa"
    assert profile.value.phone == "+966112345678" and profile.value.licence_number == "١٢ ٣٤"  # as printed
    assert [link["network"] for link in profile.value.social_links] == ["instagram", "whatsapp"]
    assert set(parse_form(ProfileForm, {**org, "website": "not a site", "social_links": "a b"}).errors) == {
        "website", "social_links"}
    signup = parse_form(OrganisationForm, {**org, "slug": "Admin"})
    assert set(signup.errors) == {"slug"} and signup.typed["slug"] == "Admin"  # reserved, and shown as typed
    assert parse_form(OrganisationForm, {**org, "slug": "Noor-Waqf"}).value.slug == "noor-waqf"  # type: ignore[union-attr]


def test_the_pdf_renderer_embeds_data_images_and_fetches_nothing_else(tmp_path):
    import subprocess

    from sila.platform import pdf

    local = tmp_path / "secret.png"
    local.write_bytes(png_bytes((50, 50)))
    inline = pdf.data_uri("image/png", png_bytes((80, 40)))
    out = tmp_path / "out.pdf"
    out.write_bytes(pdf.html_to_pdf(f'<p>x</p><img src="{inline}"><img src="file://{local}">'
                                   '<img src="http://127.0.0.1:9/x.png">'))
    listing = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    sizes = [line.split()[3:5] for line in listing.splitlines()[2:]]
    assert sizes == [["80", "40"]]  # the inlined image only: no file or network access


def test_every_real_regulator_and_social_networks_from_links():
    from sila.tenants.policy import catalogue

    org = {"kind": "association", "name_ar": "جمعية", "licence_number": "١٢/٣٤٥", "region": "riyadh", "city": "الرياض"}
    assert "وزارة الموارد البشرية والتنمية الاجتماعية" in [r.ar for r in catalogue.REGULATORS.values()]
    for code in ("ncnp", "awqaf", "mhrsd"):
        parsed = parse_form(OrganisationForm, {**org, "slug": "noor-x", "regulator": code, "regulator_other": "x"})
        assert parsed.value is not None and parsed.value.regulator_other == ""  # only "other" is named
    other = parse_form(OrganisationForm, {**org, "slug": "noor-x", "regulator": "other", "regulator_other": ""})
    assert set(other.errors) == {"regulator_other"}
    named = parse_form(ProfileForm, {**org, "regulator": "other", "regulator_other": "إمارة منطقة الرياض"})
    assert named.value is not None and named.value.regulator_other == "إمارة منطقة الرياض"
    assert named.value.licence_number == "١٢/٣٤٥"
    assert set(parse_form(ProfileForm, {**org, "regulator": "ncnp", "licence_number": "12ab"}).errors) == {
        "licence_number"}
    for url, network in (("https://www.facebook.com/noor", "facebook"), ("https://m.facebook.com/noor", "facebook"),
                         ("https://fb.me/noor", "facebook"), ("https://twitter.com/noor", "x"),
                         ("https://x.com/noor", "x"), ("https://www.instagram.com/noor/", "instagram"),
                         ("https://sa.linkedin.com/company/noor", "linkedin"), ("https://youtu.be/abc", "youtube"),
                         ("https://www.youtube.com/@noor", "youtube"), ("https://www.snapchat.com/add/noor", "snapchat"),
                         ("https://www.tiktok.com/@noor", "tiktok"), ("https://wa.me/966501234567", "whatsapp"),
                         ("https://t.me/noor", "telegram"), ("https://notfacebook.com/x", None),
                         ("https://facebook.com.evil.example/x", None)):
        assert catalogue.network_of(url) == network, url
    # The profile before links were lists: account names become links.
    assert catalogue.social_links({"x": "@noor", "instagram": "noor"}) == [
        {"network": "x", "url": "https://x.com/noor"}, {"network": "instagram", "url": "https://www.instagram.com/noor"}]
