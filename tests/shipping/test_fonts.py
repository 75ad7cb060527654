"""Where the embedded font comes from, and the refusals when there is none."""

import pytest

from shipping import fonts
from shipping.exceptions import FontNotFound


@pytest.fixture(autouse=True)
def fresh_resolution():
    fonts._resolve.cache_clear()
    yield
    fonts._resolve.cache_clear()


def test_the_default_font_is_a_truetype_file(settings):
    settings.PDF_FONT_PATH = ""
    path = fonts.font_path()
    assert path.name == "ipaexg.ttf"
    assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"


def test_a_configured_path_wins(settings, tmp_path):
    copy = tmp_path / "mine.ttf"
    copy.write_bytes(fonts.font_path().read_bytes())
    settings.PDF_FONT_PATH = str(copy)
    assert fonts.font_path() == copy


def test_a_configured_path_that_does_not_exist_is_an_error_not_a_fallback(settings, tmp_path):
    settings.PDF_FONT_PATH = str(tmp_path / "missing.ttf")
    with pytest.raises(FontNotFound, match=r"missing\.ttf"):
        fonts.font_path()


def test_cff_opentype_is_refused_with_a_clear_message(settings, tmp_path):
    otf = tmp_path / "NotoSansCJK.otf"
    otf.write_bytes(b"OTTO" + b"\x00" * 64)
    settings.PDF_FONT_PATH = str(otf)
    with pytest.raises(FontNotFound, match="CFF"):
        fonts.font_path()


def test_no_font_anywhere_names_what_was_tried(settings, monkeypatch):
    settings.PDF_FONT_PATH = ""
    monkeypatch.setattr(fonts, "_package_font", lambda: None)
    monkeypatch.setattr(fonts, "DEBIAN_FONT_PATHS", ())
    with pytest.raises(FontNotFound) as refusal:
        fonts.font_path()
    assert "PDF_FONT_PATH" in str(refusal.value)
    assert "fonts-ipaexfont-gothic" in str(refusal.value)


def test_missing_glyphs_are_found():
    assert fonts.missing_glyphs("佐藤 花子 髙 ①") == []
    assert fonts.missing_glyphs("🍙") == ["🍙"]
