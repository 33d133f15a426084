"""locale/ja: the Japanese for library messages left in English; the compiled catalogue matches its source."""

import gettext
import pathlib
import re

LOCALE = pathlib.Path(__file__).resolve().parents[1] / "locale" / "ja" / "LC_MESSAGES"


def _po_entries() -> dict[str, str]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "((?:[^"\\]|\\.)+)"\nmsgstr "((?:[^"\\]|\\.)*)"', text, re.MULTILINE)
    return {a.replace('\\"', '"'): b.replace('\\"', '"') for a, b in pairs}


def test_the_compiled_catalogue_matches_its_source():
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    entries = _po_entries()
    assert len(entries) >= 10
    for msgid, msgstr in entries.items():
        assert msgstr and compiled.gettext(msgid) == msgstr, msgid
