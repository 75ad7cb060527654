"""Allergens of Japan's food labelling standard (食品表示基準), as stable codes.

The 8 特定原材料 whose labelling is mandatory (くるみ since 2025-04) and the 20 特定原材料に準ずるもの
whose labelling is recommended (マカダミアナッツ added and まつたけ removed in 2024). Donation lines,
lots, pack recipes and delivery requests carry lists of these codes; pages show the Japanese names.
"""

import re
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

# code → (Japanese label as printed on packages, English/translatable label)
MANDATORY = {
    "shrimp": ("えび", _("shrimp")),
    "crab": ("かに", _("crab")),
    "walnut": ("くるみ", _("walnut")),
    "wheat": ("小麦", _("wheat")),
    "buckwheat": ("そば", _("buckwheat")),
    "egg": ("卵", _("egg")),
    "milk": ("乳", _("milk")),
    "peanut": ("落花生", _("peanut")),
}
RECOMMENDED = {
    "almond": ("アーモンド", _("almond")),
    "abalone": ("あわび", _("abalone")),
    "squid": ("いか", _("squid")),
    "salmon_roe": ("いくら", _("salmon roe")),
    "orange": ("オレンジ", _("orange")),
    "cashew": ("カシューナッツ", _("cashew nut")),
    "kiwi": ("キウイフルーツ", _("kiwi fruit")),
    "beef": ("牛肉", _("beef")),
    "sesame": ("ごま", _("sesame")),
    "salmon": ("さけ", _("salmon")),
    "mackerel": ("さば", _("mackerel")),
    "soybean": ("大豆", _("soybean")),
    "chicken": ("鶏肉", _("chicken")),
    "banana": ("バナナ", _("banana")),
    "pork": ("豚肉", _("pork")),
    "macadamia": ("マカダミアナッツ", _("macadamia nut")),
    "peach": ("もも", _("peach")),
    "yam": ("やまいも", _("yam")),
    "apple": ("りんご", _("apple")),
    "gelatin": ("ゼラチン", _("gelatin")),
}
ALL = {**MANDATORY, **RECOMMENDED}
CODES = tuple(ALL)
CHOICES = [(code, label) for code, (_ja, label) in ALL.items()]

# Other ways people write them in free text (a case worker's 「エビ」, 「たまご」, 「ピーナッツ」).
_SYNONYMS = {
    "shrimp": ("えび", "エビ", "海老", "shrimp", "prawn"),
    "crab": ("かに", "カニ", "蟹", "crab"),
    "walnut": ("くるみ", "クルミ", "胡桃", "walnut"),
    "wheat": ("小麦", "こむぎ", "コムギ", "wheat", "gluten"),
    "buckwheat": ("そば", "ソバ", "蕎麦", "buckwheat"),
    "egg": ("卵", "玉子", "たまご", "タマゴ", "鶏卵", "egg"),
    "milk": ("乳", "牛乳", "乳製品", "ミルク", "milk", "dairy"),
    "peanut": ("落花生", "ピーナッツ", "ピーナツ", "peanut"),
    "almond": ("アーモンド", "almond"),
    "abalone": ("あわび", "アワビ", "鮑", "abalone"),
    "squid": ("いか", "イカ", "烏賊", "squid"),
    "salmon_roe": ("いくら", "イクラ", "salmon roe"),
    "orange": ("オレンジ", "orange"),
    "cashew": ("カシューナッツ", "cashew"),
    "kiwi": ("キウイ", "kiwi"),
    "beef": ("牛肉", "beef"),
    "sesame": ("ごま", "ゴマ", "胡麻", "sesame"),
    "salmon": ("さけ", "サケ", "鮭", "しゃけ", "サーモン", "salmon"),
    "mackerel": ("さば", "サバ", "鯖", "mackerel"),
    "soybean": ("大豆", "だいず", "soy"),
    "chicken": ("鶏肉", "とり肉", "チキン", "chicken"),
    "banana": ("バナナ", "banana"),
    "pork": ("豚肉", "ぶた肉", "ポーク", "pork"),
    "macadamia": ("マカダミア", "マカデミア", "macadamia"),
    "peach": ("もも", "モモ", "桃", "peach"),
    "yam": ("やまいも", "山芋", "長芋", "ながいも", "yam"),
    "apple": ("りんご", "リンゴ", "林檎", "apple"),
    "gelatin": ("ゼラチン", "gelatin"),
}

# from_text's spellings, lowered once (a batch's packing slips read 10,000 notes), with 「乳」 apart:
# it names milk only as a word of its own.
_LOWERED = [
    (code, tuple(s.lower() for s in spellings if (code, s) != ("milk", "乳")))
    for code, spellings in _SYNONYMS.items()
]
_MILK_WORD = re.compile(r"(?:^|[\s、,・/／])乳(?:$|[\s、,・/／製])")


def label(code: str) -> str:
    """The Japanese name printed on packages (えび, 小麦 …); the code itself when unknown."""
    return ALL[code][0] if code in ALL else code


def labels(codes: Iterable[str]) -> str:
    return "・".join(label(code) for code in sorted(set(codes), key=_order))


def _order(code: str) -> int:
    return CODES.index(code) if code in ALL else len(CODES)


def normalise(codes: Iterable[str]) -> list[str]:
    """Known codes, each once, in the standard's order. Raises ValueError naming unknown ones."""
    codes = list(codes)
    unknown = sorted({c for c in codes if c not in ALL})
    if unknown:
        raise ValueError(", ".join(unknown))
    return sorted(set(codes), key=_order)


def from_text(text: str) -> list[str]:
    """The codes a free-text allergy note names (「エビ・卵」 → ["shrimp", "egg"]). Text that names
    none stays free text; nothing is guessed beyond the listed spellings. 「乳」 alone is matched
    only as a word of its own, so that 「乳児」 (infant) is not read as milk."""
    if not text:
        return []
    lowered = text.lower()
    found = [code for code, spellings in _LOWERED if any(spelling in lowered for spelling in spellings)]
    if "milk" not in found and _MILK_WORD.search(text):
        found.append("milk")
    return normalise(found)


def avoided(codes: Iterable[str] | None, text: str | None) -> list[str]:
    """What packing avoids for a household: the codes given (unknown ones ignored) together with
    those its free-text note names, in the standard's order. A request filed before codes were
    asked for, or a parcel booked then, has only the text (docs/traceability.md)."""
    return normalise({*(c for c in codes or () if c in ALL), *from_text(text or "")})


def for_packer(codes: Iterable[str] | None, text: str | None) -> str:
    """What the slip and the packing station print about a household's allergies: everything
    packing avoids, by name (えび・卵), then the free text as written. A code ticked with no text
    still warns the packer, who adds extras and substitutes by hand."""
    named = labels(avoided(codes, text))
    text = (text or "").strip()
    if named and text:
        return f"{named}（{text}）"
    return named or text
