"""Fitting text into what B2 Cloud accepts: cp932 bytes that are JIS X 0208 level 1/2 (or ASCII).

B2 Cloud reads its import CSV as cp932 (Windows-31J) but rejects the parts of cp932 that are not
JIS X 0208: the NEC special characters (row 13: ①, Ⅰ, ㈱, ㍻ …), the NEC-selected and IBM
extensions (髙, 﨑, 德, ⅰ …) and the user-defined area. Characters that cp932 cannot encode at all
(𠮷, emoji, accented Latin) are refused too.

``fit_text`` maps the well-known variants to their JIS X 0208 form (the table below, documented in
docs/shipping-b2.md) and REPORTS every mapping and every character it could not map. It never drops
a character: a caller holds the parcel back when ``unmappable`` is not empty.

A character is accepted when cp932 encodes it and the bytes are valid Shift_JIS, i.e. JIS X 0201
(ASCII and half-width katakana) or JIS X 0208 rows 1–8 and 16–84. Python's ``shift_jis`` codec
knows exactly JIS X 0208, so decoding the cp932 bytes with it tells the extensions apart.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "VARIANTS",
    "FittedText",
    "cp932_length",
    "fit_kana",
    "fit_text",
    "is_accepted",
]

# Known variants outside JIS X 0208 and what is written instead. Keys are single characters.
VARIANTS: dict[str, str] = {
    # NEC special characters (cp932 row 13): circled numbers
    **{chr(0x2460 + i): str(i + 1) for i in range(20)},  # ①–⑳ → 1–20
    # NEC row 13: Roman numerals; IBM extensions: small Roman numerals
    **dict(zip("ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ", ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"], strict=True)),
    **dict(zip("ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ", ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"], strict=True)),
    # NEC row 13: squared katakana units
    "㍉": "ミリ",
    "㌔": "キロ",
    "㌢": "センチ",
    "㍍": "メートル",
    "㌘": "グラム",
    "㌧": "トン",
    "㌃": "アール",
    "㌶": "ヘクタール",
    "㍑": "リットル",
    "㍗": "ワット",
    "㌍": "カロリー",
    "㌦": "ドル",
    "㌣": "セント",
    "㌫": "パーセント",
    "㍊": "ミリバール",
    "㌻": "ページ",
    # NEC row 13: squared Latin units
    "㎜": "mm",
    "㎝": "cm",
    "㎞": "km",
    "㎎": "mg",
    "㎏": "kg",
    "㏄": "cc",
    "㎡": "m2",
    # NEC row 13: era names, abbreviations, parenthesised ideographs
    "㍻": "平成",
    "㍼": "昭和",
    "㍽": "大正",
    "㍾": "明治",
    "\u32ff": "令和",  # ㋿ (not in cp932 at all)
    "№": "No.",
    "㏍": "K.K.",
    "℡": "TEL",
    "㈱": "(株)",
    "㈲": "(有)",
    "㈹": "(代)",
    "㊤": "(上)",
    "㊥": "(中)",
    "㊦": "(下)",
    "㊧": "(左)",
    "㊨": "(右)",
    "〝": "“",
    "〟": "”",
    # IBM extensions: full-width apostrophe and quotation mark
    "＇": "'",
    "＂": '"',
    # Kanji variants (IBM / NEC-selected extensions, or outside cp932) → the JIS X 0208 form
    "髙": "高",
    "\ufa11": "崎",  # 﨑 (tatsu-saki)
    "德": "徳",
    "濵": "濱",
    "昻": "昂",
    "瀨": "瀬",
    "黑": "黒",
    "增": "増",
    "槗": "橋",
    "鷗": "鴎",
    "橫": "横",
    "凞": "熙",
    "栁": "柳",
    "桒": "桑",
    "冝": "宜",
    "淸": "清",
    "敎": "教",
    "寬": "寛",
    "\U00020bb7": "吉",  # 𠮷 (tsuchi-yoshi)
    "\U0002123d": "土",  # 𡈽 (tsuchi with a dot)
    # Punctuation that cp932 cannot encode → its JIS X 0208 look-alike
    "\u2014": "―",  # EM DASH → HORIZONTAL BAR (cp932 0x815C)
    "\u2013": "－",  # EN DASH
    "\u2011": "‐",  # NON-BREAKING HYPHEN
    "\u00a5": "￥",  # YEN SIGN
    "\u2022": "・",  # BULLET
    "\u00b7": "・",  # MIDDLE DOT
    "\u00a0": " ",  # NO-BREAK SPACE
    "\u3099": "゛",  # combining voiced mark left alone after widening half-width kana
    "\u309a": "゜",
}

_LINE_BREAKS = "\r\n\t\u2028\u2029\x0b\x0c"
_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@lru_cache(maxsize=8192)
def is_accepted(char: str) -> bool:
    """True when B2 Cloud accepts ``char``: printable ASCII, half-width katakana or JIS X 0208."""
    if _CONTROL.match(char):
        return False
    try:
        char.encode("cp932").decode("shift_jis")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def cp932_length(text: str) -> int:
    """Length in cp932 bytes: what B2 Cloud's limits count (ASCII and half-width kana 1, others 2)."""
    return len(text.encode("cp932"))


@dataclass(frozen=True, slots=True)
class FittedText:
    text: str  # what will be written (only accepted characters if ``unmappable`` is empty)
    mapped: tuple[tuple[str, str], ...] = ()  # (original, written instead), in order, once each
    unmappable: tuple[str, ...] = ()  # characters with no accepted form, in order, once each

    @property
    def ok(self) -> bool:
        return not self.unmappable


def _fast_accept(text: str) -> bool:
    """Whole-string check at C speed for the common case (nothing to map)."""
    if _CONTROL.search(text) or _HALFWIDTH_KANA.search(text):
        return False
    try:
        text.encode("cp932").decode("shift_jis")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def _remember(seen: list, item) -> None:
    if item not in seen:
        seen.append(item)


def fit_text(text: str, *, widen_kana: bool = True) -> FittedText:
    """Map ``text`` onto characters B2 Cloud accepts, reporting every change and every failure.

    Steps for each character, first match wins: line breaks and tabs become a space; half-width
    katakana becomes full-width (``widen_kana``; labels are printed from kanji fields and sorting
    staff read full-width); accepted characters stay; ``VARIANTS`` maps known variants; a CJK
    compatibility ideograph becomes its unified ideograph (Unicode canonical equivalence, NFC) when
    that is accepted; anything else is unmappable and kept as is in ``text``.
    """
    if not text or _fast_accept(text):
        return FittedText(text)
    mapped: list[tuple[str, str]] = []
    unmappable: list[str] = []
    if widen_kana:

        def widen(match: re.Match) -> str:
            run = match.group(0)
            wide = unicodedata.normalize("NFKC", run)
            _remember(mapped, (run, wide))
            return wide

        text = _HALFWIDTH_KANA.sub(widen, text)
    out: list[str] = []
    for char in text:
        if char in _LINE_BREAKS:
            _remember(mapped, (char, " "))
            out.append(" ")
        elif is_accepted(char):
            out.append(char)
        elif char in VARIANTS:
            _remember(mapped, (char, VARIANTS[char]))
            out.append(VARIANTS[char])
        else:
            canonical = unicodedata.normalize("NFC", char)
            if canonical != char and all(is_accepted(c) for c in canonical):
                _remember(mapped, (char, canonical))
                out.append(canonical)
            else:
                _remember(unmappable, char)
                out.append(char)
    return FittedText("".join(out), tuple(mapped), tuple(unmappable))


def _build_halfwidth_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code in range(0xFF61, 0xFFA0):
        half = chr(code)
        wide = unicodedata.normalize("NFKC", half)
        if len(wide) == 1 and wide not in table:
            table[wide] = half
    voiced = {"\u3099": "ﾞ", "\u309a": "ﾟ"}
    for code in range(0x30A1, 0x30FB):  # katakana ァ…ヺ
        wide = chr(code)
        parts = unicodedata.normalize("NFD", wide)
        if len(parts) == 2 and parts[0] in table and parts[1] in voiced:
            table[wide] = table[parts[0]] + voiced[parts[1]]
    for code in range(0x3041, 0x3097):  # hiragana → the katakana's half-width form
        kata = chr(code + 0x60)
        if kata in table:
            table[chr(code)] = table[kata]
    table["　"] = " "
    table["゛"] = "ﾞ"
    table["゜"] = "ﾟ"
    return table


_HALFWIDTH = _build_halfwidth_table()


def fit_kana(text: str) -> FittedText:
    """Half-width katakana for B2's kana columns (お届け先名(ｶﾅ)): hiragana and full-width katakana are
    narrowed, full-width Latin letters and digits become ASCII; anything else (kanji) is unmappable."""
    mapped: list[tuple[str, str]] = []
    unmappable: list[str] = []
    out: list[str] = []
    for char in text:
        if " " <= char <= "~" or "\uff61" <= char <= "\uff9f":
            out.append(char)
        elif char in _HALFWIDTH:
            out.append(_HALFWIDTH[char])
        else:
            narrow = unicodedata.normalize("NFKC", char)
            if narrow.isascii() and narrow.isprintable():
                out.append(narrow)
            else:
                _remember(unmappable, char)
                out.append(char)
    # Narrowing is what the column requires, not a change of meaning: it is not reported.
    return FittedText("".join(out), tuple(mapped), tuple(unmappable))
