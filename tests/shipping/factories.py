"""Plain-data builders for shipping tests (the carrier layer takes dataclasses, not models)."""

from dataclasses import replace
from datetime import date

from shipping.carriers import CarrierAccount, ContentLine, PackingNotes, ParcelData, SenderData

SHIP_DATE = date(2025, 4, 1)


def make_sender(**overrides) -> SenderData:
    values = {
        "name": "SK物流センター",
        "phone": "011-555-0100",
        "postal_code": "0650012",
        "address": "北海道札幌市東区北十二条東3丁目1-1",
        "name_kana": "ｴｽｹｲﾌﾞﾂﾘｭｳｾﾝﾀｰ",
    }
    values.update(overrides)
    return SenderData(**values)


def make_account(**overrides) -> CarrierAccount:
    values = {
        "carrier": "yamato",
        "sender": make_sender(),
        "billing_customer_code": "011234567801",
        "billing_class_code": "",
        "freight_number": "01",
    }
    values.update(overrides)
    return CarrierAccount(**values)


def make_parcel(reference: str = "FB250401-000001", **overrides) -> ParcelData:
    values = {
        "reference": reference,
        "ship_date": SHIP_DATE,
        "delivery_date": date(2025, 4, 2),
        "time_slot": "0812",
        "recipient_name": "佐藤 花子",
        "recipient_name_kana": "サトウ ハナコ",
        "recipient_phone": "090-1234-5678",
        "recipient_postal_code": "0600001",
        "recipient_address": "北海道札幌市中央区北一条西2丁目1-1",
        "recipient_building": "第1コーポ 101号室",
        "notes": PackingNotes(
            contents=(ContentLine("1週間分セット", 1, "home", "home", "箱"),),
            extras=(ContentLine("おむつ M", 1, "", "diapers-m", "袋"),),
            allergies="卵",
            no_cook=True,
        ),
    }
    values.update(overrides)
    return ParcelData(**values)


def with_(parcel: ParcelData, **changes) -> ParcelData:
    return replace(parcel, **changes)
