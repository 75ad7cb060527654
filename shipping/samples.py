"""Synthetic parcels for benchmarks and demos: deterministic, valid for every carrier, no real people."""

from datetime import date, timedelta

from .carriers.base import CarrierAccount, ContentLine, PackingNotes, ParcelData, SenderData

__all__ = ["sample_account", "sample_parcels"]

_SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
]
_GIVEN = [
    "花子",
    "太郎",
    "陽菜",
    "蓮",
    "結衣",
    "大翔",
    "美咲",
    "悠真",
    "さくら",
    "翔太",
    "愛",
    "健一",
    "由美",
    "誠",
    "恵子",
    "浩",
    "明美",
    "拓也",
    "智子",
    "翼",
]
_AREAS = [
    ("0600001", "北海道札幌市中央区北一条西"),
    ("0650012", "北海道札幌市東区北十二条東"),
    ("0470032", "北海道小樽市稲穂"),
    ("0700031", "北海道旭川市一条通"),
    ("0400011", "北海道函館市本町"),
    ("0850016", "北海道釧路市錦町"),
    ("0800010", "北海道帯広市大通南"),
    ("0900024", "北海道北見市北四条東"),
]
_HOME = ContentLine("1週間分セット", 1, "home", "home", "箱")
_DAY3 = ContentLine("3日分セット", 1, "day3", "day3", "袋")
_EXTRAS = [
    ContentLine("おむつ M", 1, "", "diapers-m", "袋"),
    ContentLine("粉ミルク", 1, "", "formula", "缶"),
    ContentLine("カセットボンベ", 3, "", "gas-canister", "本"),
    ContentLine("衛生用品", 1, "", "hygiene", "袋"),
]
_SLOTS = ["", "0812", "1416", "1618", "1820", "1921"]


def sample_account() -> CarrierAccount:
    return CarrierAccount(
        carrier="yamato",
        sender=SenderData(
            name="SK物流センター",  # neutral on purpose: neighbours read it on the box
            phone="011-555-0100",
            postal_code="0650012",
            address="北海道札幌市東区北十二条東3丁目1-1",
            name_kana="ｴｽｹｲﾌﾞﾂﾘｭｳｾﾝﾀｰ",
        ),
        billing_customer_code="011234567801",
        billing_class_code="",
        freight_number="01",
    )


def sample_parcels(n: int, *, ship_date: date | None = None, prefix: str = "FB") -> list[ParcelData]:
    """``n`` different parcels; parcel i is the same on every call."""
    ship = ship_date or date(2025, 4, 1)
    parcels = []
    for i in range(n):
        postal_code, area = _AREAS[i % len(_AREAS)]
        surname, given = _SURNAMES[i % 20], _GIVEN[(i // 20) % 20]
        extras = (_EXTRAS[i % 4],) if i % 3 == 0 else ()
        parcels.append(
            ParcelData(
                reference=f"{prefix}{ship:%y%m%d}-{i:06d}",
                ship_date=ship,
                delivery_date=ship + timedelta(days=1),
                time_slot=_SLOTS[i % 6],
                recipient_name=f"{surname} {given}",
                recipient_phone=f"090-{i % 10000:04d}-{(i * 7) % 10000:04d}",
                recipient_postal_code=postal_code,
                recipient_address=f"{area}{i % 20 + 1}丁目{i % 30 + 1}-{i % 9 + 1}",
                recipient_building=f"第{i % 5 + 1}コーポ {i % 400 + 101}号室" if i % 2 else "",
                notes=PackingNotes(
                    contents=(_HOME, _DAY3) if i % 5 == 0 else (_HOME,),
                    extras=extras,
                    allergies="卵・小麦" if i % 7 == 0 else "",
                    no_cook=i % 4 == 0,
                    notes=("たんぱく質多め",) if i % 6 == 0 else (),
                ),
            )
        )
    return parcels
