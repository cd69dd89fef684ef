"""Every user-facing string is translated into Arabic, with the same placeholders."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_message_has_an_arabic_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-k", "N_", "-k", "Nn_:1,2", "-k", "pgettext:1c,2", "-k", "add:2",
         "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as fh:
        template = read_po(fh)
    with (ROOT / "sila/locale/ar/LC_MESSAGES/messages.po").open("rb") as fh:
        arabic = read_po(fh, locale="ar")
    missing, broken = [], []
    for message in template:
        if not message.id:
            continue
        translated = arabic.get(message.id)
        strings = () if translated is None else (
            translated.string if isinstance(translated.string, tuple) else (translated.string,))
        if not strings or not all(strings) or (translated and translated.fuzzy):
            missing.append(message.id)
            continue
        source = message.id if isinstance(message.id, str) else message.id[1]
        wanted = set(PLACEHOLDER.findall(source))
        for s in strings:
            if not set(PLACEHOLDER.findall(s)) <= wanted | {"num"}:
                broken.append((message.id, s))
    assert not missing, "untranslated (run scripts/i18n-extract, then translate):\n" + "\n".join(map(str, missing))
    assert not broken, broken


def test_arabic_pages_are_right_to_left_and_english_left_to_right():
    from sila.platform import i18n
    from sila.platform.templating import environment

    template = environment().from_string('{{ _("Sign in") }}|{{ text_direction() }}')
    with i18n.language("ar"):
        assert template.render() == "تسجيل الدخول|rtl"
    with i18n.language("en"):
        assert template.render() == "Sign in|ltr"


def test_arabic_plural_forms_sit_where_the_catalogue_header_counts_them():
    """The header (Babel's rule for Arabic) puts 100-102 in form [4] and 11-99 in [5]. The 11-99
    form is the tamyiz: a singular noun with tanween fath («١٥ يومًا»), the 100-102 one has none
    («١٠٠ يوم»). Half the catalogue once had the two swapped, so «١٥ يوم» read wrong."""
    from sila.platform import i18n

    with (ROOT / "sila/locale/ar/LC_MESSAGES/messages.po").open("rb") as fh:
        arabic = read_po(fh, locale="ar")
    tanween = "\u064b"
    swapped = [m.id for m in arabic if isinstance(m.string, tuple) and len(m.string) == 6
               and m.string[4].count(tanween) > m.string[5].count(tanween)]
    assert not swapped, swapped
    catalogue = i18n.translations("ar")
    assert catalogue.ngettext("%(num)s day", "%(num)s days", 15) % {"num": 15} == "15 يومًا"
    assert catalogue.ngettext("%(num)s day", "%(num)s days", 100) % {"num": 100} == "100 يوم"
