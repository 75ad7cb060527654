"""Addresses as B2 Cloud splits them: 都道府県, 市区郡町村, 町・番地 (docs/shipping-b2.md)."""

import re
from functools import lru_cache

from foodbank import postal

PREFECTURES = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
]

# お届け先住所 and ご依頼主住所 (64 bytes) are split by B2 Cloud into three parts; its template's
# header notes give each a length in full-width characters: 都道府県 4, 市区郡町村 12, 町・番地 16
# (4 + 12 + 16 = 32 characters = the 64 bytes). Checked here in cp932 bytes like every other limit.
ADDRESS_PARTS = (("都道府県", 8), ("市区郡町村", 24), ("町・番地", 32))
# A municipality when Japan Post's data does not name one: a county's town or village, a
# designated city's ward, or a city, ward, town or village (shortest first).
_MUNICIPALITY = re.compile(r"^(.+?郡.+?[町村]|.+?市.+?区|.+?[市区町村])")


def split_address(address: str, postal_code: str = "") -> tuple[str, str, str]:
    """(都道府県, 市区郡町村, 町・番地) of an address as B2 Cloud splits it (docs/shipping-b2.md).

    The prefecture is the leading one of the 47; the municipality is Japan Post's for the postal
    code when the address continues with it, else what comes before the first space (booking joins
    prefecture + municipality and the street with a space), else a 市/区/郡…町/村 ending; the rest
    is the town and block number.
    """
    text = address.strip()
    prefecture = next((p for p in PREFECTURES if text.startswith(p)), "")
    rest = text[len(prefecture) :].lstrip(" \u3000")
    municipality = ""
    known = _postal_municipality(postal_code)
    if known and rest.startswith(known):
        municipality = known
    elif re.search(r"[ \u3000]", rest):
        municipality = re.split(r"[ \u3000]", rest, maxsplit=1)[0]
    elif match := _MUNICIPALITY.match(rest):
        municipality = match.group(1)
    return prefecture, municipality, rest[len(municipality) :].strip(" \u3000")


@lru_cache(maxsize=8192)
def _postal_municipality(raw: str) -> str:
    try:
        area = postal.lookup(raw) if raw.strip() else None
    except ValueError:
        return ""
    return area.municipality if area else ""
