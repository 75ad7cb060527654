"""JIS X 0208 level 1/2 only: map the known variants, report everything else, never drop silently."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipping.carriers.jis import VARIANTS, cp932_length, fit_kana, fit_text, is_accepted

from .factories import make_parcel


@pytest.mark.parametrize("char", ["高", "崎", "ア", "ｱ", "A", "1", "〜", "－", "漢", "龍", "　"])
def test_jis_x0208_and_ascii_are_accepted(char):
    assert is_accepted(char)


@pytest.mark.parametrize(
    "char",
    [
        "①",  # NEC special characters (row 13)
        "㈱",
        "Ⅰ",
        "髙",  # NEC-selected IBM extension
        "\ufa11",  # 﨑, IBM extension
        "ⅰ",
        "纊",
        "彅",  # IBM extension without a JIS X 0208 form
        "\U00020bb7",  # 𠮷, not in cp932
        "😀",
        "é",
        "\n",
        "\x07",
    ],
)
def test_extensions_and_characters_outside_cp932_are_refused(char):
    assert not is_accepted(char)


def test_every_mapping_goes_from_a_refused_character_to_accepted_ones():
    for source, target in VARIANTS.items():
        assert not is_accepted(source), source
        assert all(is_accepted(c) for c in target), (source, target)


def test_kanji_variants_and_nec_characters_are_mapped_and_reported():
    fitted = fit_text("髙﨑①㈱㍻")
    assert fitted.text == "高崎1(株)平成"
    assert fitted.mapped == (("髙", "高"), ("\ufa11", "崎"), ("①", "1"), ("㈱", "(株)"), ("㍻", "平成"))
    assert fitted.unmappable == ()


def test_compatibility_ideographs_become_their_unified_form():
    fitted = fit_text("\ufa10")  # 塚 (compatibility) → 塚
    assert fitted.text == "塚"
    assert fitted.mapped == (("\ufa10", "塚"),)


def test_half_width_kana_is_widened_and_reported():
    fitted = fit_text("ｻｯﾎﾟﾛ市")
    assert fitted.text == "サッポロ市"
    assert fitted.mapped == (("ｻｯﾎﾟﾛ", "サッポロ"),)


def test_line_breaks_become_spaces_and_are_reported():
    fitted = fit_text("札幌市\r\n中央区")
    assert fitted.text == "札幌市  中央区"
    assert fitted.mapped == (("\r", " "), ("\n", " "))


def test_unmappable_characters_are_reported_and_kept():
    fitted = fit_text("草彅 😀")
    assert fitted.unmappable == ("彅", "😀")
    assert fitted.text == "草彅 😀"  # nothing dropped: the caller holds the parcel back
    assert not fitted.ok


def test_text_b2_accepts_is_returned_unchanged():
    fitted = fit_text("北海道札幌市中央区北1条西2丁目 〜 ＡＢＣ")
    assert fitted.text == "北海道札幌市中央区北1条西2丁目 〜 ＡＢＣ"
    assert fitted.mapped == ()
    assert fitted.unmappable == ()


@given(st.text(max_size=30))
def test_nothing_is_ever_changed_or_lost_silently(text):
    fitted = fit_text(text)
    if fitted.unmappable:
        assert all(c in text for c in fitted.unmappable)
    else:
        assert all(is_accepted(c) for c in fitted.text)
        cp932_length(fitted.text)  # encodable
    if not fitted.mapped and not fitted.unmappable:
        assert fitted.text == text


def test_kana_column_is_narrowed_to_half_width_katakana():
    assert fit_kana("ヤマダ ハナコ").text == "ﾔﾏﾀﾞ ﾊﾅｺ"
    assert fit_kana("やまだ　はなこ").text == "ﾔﾏﾀﾞ ﾊﾅｺ"
    assert fit_kana("パン・ガス").text == "ﾊﾟﾝ･ｶﾞｽ"
    assert fit_kana("ＡＢＣ１").text == "ABC1"
    assert fit_kana("山田").unmappable == ("山", "田")


def test_a_parcel_with_an_unmappable_name_is_held_back(yamato, account):
    # given 草彅 (彅 is an IBM extension without a JIS X 0208 form)
    parcel = make_parcel("FB-NAGI", recipient_name="草彅 剛")
    # when exported
    result = yamato.export_batch([parcel, make_parcel("FB-OK")], account=account)
    # then it is held back with the character and its code point, and not written
    assert result.exported == ("FB-OK",)
    (problem,) = result.held_back[0].problems
    assert (problem.field, problem.code, problem.severity) == (
        "recipient_name",
        "unmappable_character",
        "error",
    )
    assert "「彅」" in problem.message
    assert "U+5F45" in problem.message
    assert "草" not in result.content.decode("cp932")


def test_an_emoji_in_the_address_is_held_back(yamato, account):
    result = yamato.export_batch([make_parcel(recipient_building="コーポ🏠")], account=account)
    assert [(p.field, p.code) for p in result.held_back[0].problems] == [
        ("recipient_building", "unmappable_character")
    ]
