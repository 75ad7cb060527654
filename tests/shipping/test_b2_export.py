"""The B2 Cloud import CSV (基本レイアウト): bytes, layout, codes, limits, refusals."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from shipping.carriers import ContentLine, PackingNotes
from shipping.carriers.jis import cp932_length
from shipping.carriers.yamato import COLUMNS
from shipping.exceptions import CarrierAccountIncomplete

from .factories import make_account, make_parcel, make_sender, with_

GOLDEN = Path(__file__).parent / "golden" / "b2_basic_layout.csv"


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("cp932"), newline="")))


def golden_parcels():
    return [
        make_parcel("FB250401-000001"),
        make_parcel(
            "FB250401-000002",
            delivery_date=None,
            time_slot="",
            recipient_name="髙橋 ①子",
            recipient_name_kana="たかはし いちこ",
            recipient_phone="0166-12-3456",
            recipient_postal_code="０７０－００３１",
            recipient_address="北海道旭川市一条通8丁目",
            recipient_building="",
            recipient_company="旭川市自立サポート",
            honorific="御中",
            item_names=("食品", "日用品"),
            handling=("ナマモノ",),
            notes=PackingNotes(),
        ),
    ]


def test_export_matches_the_golden_file_byte_for_byte(yamato, account):
    # given two parcels (one with 髙 and ① in the name, a full-width postal code, no time slot)
    # when the batch is exported
    result = yamato.export_batch(golden_parcels(), account=account)
    # then the bytes are exactly the reviewed golden file
    assert result.content == GOLDEN.read_bytes()
    assert result.exported == ("FB250401-000001", "FB250401-000002")
    assert result.held_back == ()
    assert result.media_type == "text/csv; charset=Shift_JIS"


def test_golden_file_is_cp932_crlf_with_a_header_and_95_fields_per_row():
    content = GOLDEN.read_bytes()
    # cp932, CRLF on every line, nothing else ends a line
    text = content.decode("cp932")
    assert content.endswith(b"\r\n")
    assert content.count(b"\n") == content.count(b"\r\n") == 3
    rows = rows_of(content)
    assert rows[0] == [c.header for c in COLUMNS]
    assert [len(r) for r in rows] == [95, 95, 95]
    assert "お客様管理番号" in text.splitlines()[0]


def test_golden_rows_carry_the_codes_b2_expects():
    _header, first, second = rows_of(GOLDEN.read_bytes())
    col = {c.number: c for c in COLUMNS}
    assert col[1].header == "お客様管理番号"
    assert col[4].header == "伝票番号"
    assert col[42].header == "運賃管理番号"
    expected_first = {
        1: "FB250401-000001",
        2: "0",  # 送り状種類 0 = 発払い
        3: "0",
        4: "",  # 伝票番号 blank on export
        5: "2025/04/01",
        6: "2025/04/02",
        7: "0812",
        9: "090-1234-5678",
        11: "060-0001",  # text, Hokkaido's leading 0 kept
        12: "北海道札幌市中央区北一条西2丁目1-1",
        13: "第1コーポ 101号室",
        16: "佐藤 花子",
        17: "ｻﾄｳ ﾊﾅｺ",
        18: "様",
        20: "011-555-0100",
        22: "065-0012",
        23: "北海道札幌市東区北十二条東3丁目1-1",
        25: "SK物流センター",
        26: "ｴｽｹｲﾌﾞﾂﾘｭｳｾﾝﾀｰ",
        28: "食品",  # 品名 filled from the account default
        36: "0",
        38: "1",
        40: "011234567801",
        41: "",
        42: "01",
        43: "0",
        48: "0",
        52: "0",
        55: "0",
        87: "0",
        90: "0",
        93: "0",
    }
    assert {n: first[n - 1] for n in expected_first} == expected_first
    written = set(expected_first) | {8, 10, 14, 15, 19, 21, 24, 27, 29, 30, 31, 32}
    assert all(first[n - 1] == "" for n in range(1, 96) if n not in written)
    assert second[5] == ""
    assert second[6] == ""
    assert second[10] == "070-0031"
    assert second[13] == "旭川市自立サポート"
    assert second[15] == "高橋 1子"  # 髙 → 高, ① → 1
    assert second[16] == "ﾀｶﾊｼ ｲﾁｺ"
    assert second[17] == "御中"
    assert (second[27], second[29], second[30]) == ("食品", "日用品", "ナマモノ")


def test_every_written_cell_is_within_its_column_limit(yamato, account):
    result = yamato.export_batch(golden_parcels(), account=account)
    for row in rows_of(result.content)[1:]:
        for column, value in zip(COLUMNS, row, strict=True):
            if column.limit is not None:
                assert cp932_length(value) <= column.limit, column.header


def test_mapping_of_髙_and_丸1_is_reported_as_warnings(yamato, account):
    result = yamato.export_batch(golden_parcels(), account=account)
    (warned,) = result.warnings
    assert warned.reference == "FB250401-000002"
    mapped = [(p.field, p.code, p.severity) for p in warned.problems]
    assert mapped == [
        ("recipient_name", "mapped_character", "warning"),
        ("recipient_name", "mapped_character", "warning"),
    ]
    assert "「髙」" in warned.problems[0].message
    assert "「高」" in warned.problems[0].message
    assert "「①」" in warned.problems[1].message


@pytest.mark.parametrize(
    ("field", "limit", "unit"),
    [
        ("recipient_name", 32, "名"),
        ("recipient_address", 64, "北"),
        ("recipient_building", 32, "棟"),
        ("recipient_company", 50, "社"),
    ],
)
def test_too_long_text_is_held_back_never_truncated(yamato, account, field, limit, unit):
    # given a value of exactly the limit (full-width: 2 bytes each) and one of a byte more
    prefix = "北海道" if field == "recipient_address" else ""
    fits = prefix + unit * (limit // 2 - len(prefix))
    if field == "recipient_address":
        # 64 bytes whose parts B2 can split (prefecture 4, municipality 12, street 16 characters):
        # the space booking writes after the municipality is the 64th byte
        fits = "神奈川県" + unit * 11 + "市 " + unit * 15 + "1"
    too_long = fits + "1"
    ok = with_(make_parcel("FB-OK"), **{field: fits})
    long = with_(make_parcel("FB-LONG"), **{field: too_long})
    # when exported
    result = yamato.export_batch([ok, long], account=account)
    # then the one that fits is written whole, the other is held back naming the field
    assert result.exported == ("FB-OK",)
    (held,) = result.held_back
    assert held.reference == "FB-LONG"
    assert [(p.field, p.code) for p in held.problems] == [(field, "too_long")]
    assert f"{limit + 1}" in held.problems[0].message  # the length, in either language
    text = result.content.decode("cp932")
    assert fits in text
    assert "FB-LONG" not in text


@pytest.mark.parametrize(("names", "too_long"), [(("食" * 25,), False), (("食" * 25 + "a",), True)])
def test_item_name_limit_is_50_bytes(yamato, account, names, too_long):
    problems = yamato.validate(make_parcel(item_names=names), account=account)
    assert [(p.field, p.code) for p in problems] == ([("item_names", "too_long")] if too_long else [])


def test_kana_limit_is_50_half_width_bytes(yamato, account):
    fits = make_parcel(recipient_name_kana="ア" * 50)  # narrowed to 50 half-width bytes
    over = make_parcel(recipient_name_kana="ア" * 51)
    assert yamato.validate(fits, account=account) == []
    assert [(p.field, p.code) for p in yamato.validate(over, account=account)] == [
        ("recipient_name_kana", "too_long")
    ]


@pytest.mark.parametrize("slot", ["", "0812", "1416", "1618", "1820", "1921"])
def test_each_time_slot_code_is_written_as_is(yamato, account, slot):
    result = yamato.export_batch([make_parcel(time_slot=slot)], account=account)
    assert rows_of(result.content)[1][6] == slot


@pytest.mark.parametrize("slot", ["1214", "2021", "午前中", "8"])
def test_other_time_slots_are_held_back(yamato, account, slot):
    result = yamato.export_batch([make_parcel(time_slot=slot)], account=account)
    assert result.exported == ()
    assert [(p.field, p.code) for p in result.held_back[0].problems] == [("time_slot", "invalid_time_slot")]


@pytest.mark.parametrize("raw", ["0600001", "060-0001", "〒060-0001", "０６０－０００１"])
def test_postal_code_is_written_as_text_with_its_leading_zero(yamato, account, raw):
    result = yamato.export_batch([make_parcel(recipient_postal_code=raw)], account=account)
    assert rows_of(result.content)[1][10] == "060-0001"
    assert b",060-0001," in result.content


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"recipient_postal_code": "06000"}, "recipient_postal_code", "invalid_postal_code"),
        ({"recipient_phone": "12345"}, "recipient_phone", "invalid_phone"),
        ({"recipient_phone": ""}, "recipient_phone", "required"),
        ({"recipient_name": " "}, "recipient_name", "required"),
        ({"recipient_address": ""}, "recipient_address", "required"),
        ({"delivery_date": date(2025, 4, 1)}, "delivery_date", "delivery_before_ship"),
        ({"count": 100}, "count", "invalid_box_count"),
        ({"reference": "FB 0001"}, "reference", "invalid_reference"),
        ({"honorific": "さん"}, "honorific", "invalid_honorific"),
        ({"item_names": ("a", "b", "c")}, "item_names", "too_many_items"),
        ({"recipient_name_kana": "佐藤"}, "recipient_name_kana", "not_kana"),
    ],
)
def test_invalid_parcels_are_held_back_with_the_reason(yamato, account, changes, field, code):
    # given one valid parcel and one with a problem
    bad = with_(make_parcel("FB-BAD"), **changes)
    # when exported
    result = yamato.export_batch([make_parcel("FB-GOOD"), bad], account=account)
    # then only the valid one is written; the other is listed with its reason
    assert result.exported == ("FB-GOOD",)
    assert [(p.field, p.code) for p in result.held_back[0].problems if p.severity == "error"] == [
        (field, code)
    ]
    assert len(rows_of(result.content)) == 2


def test_a_reference_twice_in_one_batch_is_held_back_the_second_time(yamato, account):
    result = yamato.export_batch([make_parcel("FB-1"), make_parcel("FB-1")], account=account)
    assert result.exported == ("FB-1",)
    assert [(p.field, p.code) for p in result.held_back[0].problems] == [("reference", "duplicate_reference")]


def test_unknown_postal_code_and_missing_prefecture_are_warnings_only(yamato, account):
    parcel = make_parcel(recipient_postal_code="0009999", recipient_address="札幌市中央区北一条西2丁目")
    problems = yamato.validate(parcel, account=account)
    assert [(p.field, p.code, p.severity) for p in problems] == [
        ("recipient_postal_code", "unknown_postal_code", "warning"),
        ("recipient_address", "address_without_prefecture", "warning"),
    ]
    assert yamato.export_batch([parcel], account=account).exported == (parcel.reference,)


def test_an_incomplete_account_refuses_the_whole_export(yamato):
    # given an account without 請求先顧客コード and with a one-digit 運賃管理番号
    account = make_account(billing_customer_code="", freight_number="1")
    # when exporting, then nothing is produced and the fields are named
    with pytest.raises(CarrierAccountIncomplete) as refusal:
        yamato.export_batch([make_parcel()], account=account)
    assert refusal.value.code == "carrier_account_incomplete"
    assert [(p.field, p.code) for p in refusal.value.problems] == [
        ("billing_customer_code", "invalid"),
        ("freight_number", "invalid"),
    ]


def test_sender_with_food_bank_in_its_name_gets_a_warning(yamato):
    account = make_account(sender=make_sender(name="フードバンクさっぽろ"))
    assert [(p.field, p.code, p.severity) for p in yamato.validate_account(account)] == [
        ("sender.name", "sender_name_not_neutral", "warning")
    ]
    assert yamato.validate_account(make_account()) == []


def test_packing_notes_never_reach_the_carrier_file(yamato, account):
    parcel = make_parcel(
        notes=PackingNotes(
            contents=(ContentLine("1週間分セット"),), allergies="そば", notes=("生活保護申請中",)
        )
    )
    result = yamato.export_batch([parcel], account=account)
    text = result.content.decode("cp932")
    assert "そば" not in text
    assert "生活保護" not in text
    assert "1週間分" not in text
