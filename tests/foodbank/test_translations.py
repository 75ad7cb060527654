"""Every app's Japanese catalogue parses, holds each message once, and its committed .mo is the
compiled form of the .po: a merge that leaves conflict markers, or a .po edited without running
msgfmt, would otherwise show English (or nothing) to the people using the system."""

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("*/locale/ja/LC_MESSAGES/django.po"))


def test_every_app_has_a_japanese_catalogue():
    assert len(CATALOGUES) >= 5


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_catalogue_parses_and_its_mo_is_compiled_from_it(po_path: Path):
    text = po_path.read_text(encoding="utf-8")
    assert not [line for line in text.splitlines() if line.startswith(("<<<<<<<", ">>>>>>>", "======="))]
    po = polib.pofile(str(po_path))  # raises on a syntax error
    keys = [(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete]
    assert len(keys) == len(set(keys)), "a message is defined twice"

    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo}
    expected = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in po.translated_entries()
    }
    assert compiled.items() >= expected.items(), "the .mo is older than the .po: run msgfmt"
