"""Several boxes for one household in B2 Cloud (docs/shipping-b2.md, "Several boxes"): one row per
box, 送り状種類 6 (発払い（複数口）) under one 複数口くくりキー, each box under its own お客様管理番号 so
that the number B2 issues for each box comes back to that box."""

import csv
import io

from shipping.carriers import box_reference
from shipping.carriers.yamato import COLUMNS

from .factories import SHIP_DATE, make_parcel


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("cp932"), newline="")))


def number(first_eleven: int) -> str:
    return f"{first_eleven:011d}{first_eleven % 7}"


def test_a_parcel_of_two_boxes_is_two_rows_under_one_bundle_key(yamato, account):
    # given a household's parcel of two boxes and a one-box parcel
    two = make_parcel("B12-20250401-R34", count=2)
    one = make_parcel("B12-20250401-R35")

    # when the batch is exported
    result = yamato.export_batch([two, one], account=account, today=SHIP_DATE)

    # then the two boxes are two rows of 発払い（複数口） sharing one key, the single box is as before
    _header, *rows = rows_of(result.content)
    col = {c.header: c.number - 1 for c in COLUMNS if c.header != "予備"}
    assert [
        (r[0], r[1], r[col["発行枚数"]], r[col["個数口表示フラグ"]], r[col["複数口くくりキー"]]) for r in rows
    ] == [
        ("B12-20250401-R34-1of2", "6", "1", "3", "B1220250401R34"),
        ("B12-20250401-R34-2of2", "6", "1", "3", "B1220250401R34"),
        ("B12-20250401-R35", "0", "1", "", ""),
    ]
    # and the boxes go to the same address on the same day (B2 joins only such rows)
    assert rows[0][4:] == rows[1][4:]
    assert result.exported == ("B12-20250401-R34", "B12-20250401-R35")
    assert result.held_back == ()


def test_bundle_keys_are_half_width_letters_and_digits_of_20_at_most_and_never_shared(yamato, account):
    long_a = make_parcel("FOODBANK-OTARU-WAREHOUSE-20250401-R1", count=2)
    long_b = make_parcel("FOODBANK-OTARU-WAREHOUSE-20250401-R2", count=3)
    rows = rows_of(yamato.export_batch([long_a, long_b], account=account, today=SHIP_DATE).content)[1:]
    keys = [r[73] for r in rows]
    assert len(rows) == 5
    assert all(k.isascii() and k.isalnum() and len(k) <= 20 for k in keys)
    assert keys[0] == keys[1]
    assert keys[2] == keys[3] == keys[4]
    assert keys[0] != keys[2]


def test_a_parcel_whose_box_references_would_pass_50_characters_is_held_back(yamato, account):
    parcel = make_parcel("R" * 45, count=2)  # R…-2of2 is 50: fits
    too_long = make_parcel("S" * 46, count=2)
    result = yamato.export_batch([parcel, too_long], account=account, today=SHIP_DATE)
    assert result.exported == ("R" * 45,)
    assert [(p.field, p.code) for p in result.held_back[0].problems] == [("reference", "invalid_reference")]


def test_each_boxs_number_comes_back_under_its_own_reference(yamato, account):
    # given B2's issued data for a parcel of two boxes: one number per box row
    content = yamato.export_batch([make_parcel("FB-001", count=2)], account=account, today=SHIP_DATE).content
    header, *rows = rows_of(content)
    numbers = [number(39045998308), number(39045998309)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row, n in zip(rows, numbers, strict=True):
        row[3] = n
        writer.writerow(row)

    # when imported with the box references as the batch knows them
    known = {box_reference("FB-001", box, 2) for box in (1, 2)}
    result = yamato.import_tracking(
        out.getvalue().encode("cp932"), known_references=known, assigned_numbers={}
    )

    # then both boxes are matched, none rejected
    assert result.matched == (("FB-001-1of2", numbers[0]), ("FB-001-2of2", numbers[1]))
    assert result.rejected == ()
