"""What B2 Cloud's own import template accepts beyond the column widths (docs/shipping-b2.md,
"Address parts" and "Ship date"): the address in three parts and the ship date window. A parcel
B2 would refuse is held back with the reason before the file reaches staff, never cut."""

import csv
import io
from datetime import date, timedelta

import pytest

from shipping.carriers.yamato import split_address
from shipping.exceptions import CarrierAccountIncomplete

from .factories import SHIP_DATE, make_account, make_parcel, make_sender


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("cp932"), newline="")))


@pytest.mark.parametrize(
    ("address", "postal_code", "parts"),
    [
        # Japan Post's municipality for the postal code (a designated city's ward)
        ("北海道札幌市中央区北一条西2丁目1-1", "0600001", ("北海道", "札幌市中央区", "北一条西2丁目1-1")),
        # booking's join: prefecture + municipality, a space, the street
        ("北海道小樽市 花園2丁目6-7", "", ("北海道", "小樽市", "花園2丁目6-7")),
        # neither: a county's town
        ("北海道余市郡仁木町西町1丁目", "", ("北海道", "余市郡仁木町", "西町1丁目")),
        # no prefecture: B2 gets it from the postal code, the rest is still split
        ("小樽市 花園2丁目6-7", "", ("", "小樽市", "花園2丁目6-7")),
    ],
)
def test_an_address_is_split_as_b2_cloud_splits_it(address, postal_code, parts):
    assert split_address(address, postal_code) == parts


def test_a_street_over_16_characters_is_held_back_though_the_address_fits_64_bytes(yamato, account):
    # given an address of 58 bytes whose 町・番地 is 20 full-width characters (40 bytes)
    street = "北一条西二丁目一番一号札幌中央ビル別館西"
    parcel = make_parcel(recipient_address="北海道札幌市中央区" + street, recipient_postal_code="0600001")
    ok = make_parcel("FB-OK")

    # when the batch is exported
    result = yamato.export_batch([parcel, ok], account=account, today=SHIP_DATE)

    # then it is not in the file, and the reason names the part and B2's limit
    assert result.exported == ("FB-OK",)
    assert [r[0] for r in rows_of(result.content)[1:]] == ["FB-OK"]
    (held,) = result.held_back
    (problem,) = [p for p in held.problems if p.severity == "error"]
    assert (problem.field, problem.code) == ("recipient_address", "address_part_too_long")
    assert all(text in problem.message for text in ("町・番地", "40", "32"))
    assert street not in problem.message  # the message names the limit, not the person's address


def test_a_municipality_over_12_characters_is_held_back(yamato, account):
    # given a 13-character municipality (as typed, before the space booking puts after it)
    parcel = make_parcel(recipient_address="北海道あいうえおかきくけこさしす市 本町1-1")
    result = yamato.export_batch([parcel], account=account, today=SHIP_DATE)
    assert result.exported == ()
    problems = [(p.field, p.code) for p in result.held_back[0].problems if p.severity == "error"]
    assert problems == [("recipient_address", "address_part_too_long")]
    assert "市区郡町村" in result.held_back[0].problems[-1].message


def test_parts_that_fit_are_written_whole(yamato, account):
    # 16 full-width characters of 町・番地 (32 bytes) is the limit itself
    street = "北一条西二丁目一番一号札幌中央ビ"
    parcel = make_parcel(recipient_address="北海道札幌市中央区" + street, recipient_postal_code="0600001")
    result = yamato.export_batch([parcel], account=account, today=SHIP_DATE)
    assert result.held_back == ()
    assert rows_of(result.content)[1][11] == "北海道札幌市中央区" + street


def test_a_sender_address_b2_cannot_split_refuses_the_export(yamato):
    account = make_account(
        sender=make_sender(address="北海道札幌市東区北十二条東三丁目一番一号物流センター棟")
    )
    with pytest.raises(CarrierAccountIncomplete) as raised:
        yamato.export_batch([make_parcel()], account=account, today=SHIP_DATE)
    assert ("sender.address", "address_part_too_long") in [(p.field, p.code) for p in raised.value.problems]


@pytest.mark.parametrize(
    ("days_ahead", "held"),
    [(-1, True), (0, False), (30, False), (31, True)],
)
def test_the_ship_date_is_taken_from_today_to_30_days_ahead(yamato, account, days_ahead, held):
    today = date(2026, 12, 6)
    ship_date = today + timedelta(days=days_ahead)
    parcel = make_parcel(ship_date=ship_date, delivery_date=ship_date + timedelta(days=1))
    result = yamato.export_batch([parcel], account=account, today=today)
    if held:
        assert result.exported == ()
        (problem,) = result.held_back[0].problems
        assert (problem.field, problem.code) == ("ship_date", "ship_date_out_of_range")
        assert ship_date.strftime("%Y/%m/%d") in problem.message
        assert "2026/12/06" in problem.message
    else:
        assert result.held_back == ()
        assert rows_of(result.content)[1][4] == ship_date.strftime("%Y/%m/%d")
