"""A household whose food fills two boxes: one parcel, two labels 「1/2」「2/2」, two B2 rows of
発払い（複数口） under one 複数口くくりキー, and each box's tracking number imported back
(docs/shipping-b2.md, "Several boxes"; docs/journeys.md)."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from tests.helpers import api_client_for
from tests.shipping.integration import make_local_account

from .steps import (
    approve,
    b2_issued_data,
    csv_rows,
    document,
    file_request,
    ok,
    page_as,
    parcels_of,
    pdf_text,
    request_as,
    run_batch,
    tracking_number,
)

# Two adults and two children for 7 days: 28 person-days = four home packs, two to a box.
FOUR_PEOPLE = {"adults": 2, "children": 2, "children_ages": [5, 8], "infants": 0, "type": "family"}


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_household_of_two_boxes_gets_two_b2_rows_and_each_boxs_number_back(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given a family of four asking for 7 days, and a person living alone
    family = file_request(case_worker_a, recipient__name="鈴木 一家", household=FOUR_PEOPLE, extras=[])
    alone = file_request(
        case_worker_a,
        recipient__name="佐藤 次郎",
        household={"adults": 1, "children": 0, "infants": 0, "type": "single"},
        extras=[],
    )
    for filed in (family, alone):
        approve(coordinator, filed["id"])

    # when the batch is built
    batch = run_batch(coordinator)

    # then the family's parcel has two boxes, the other one
    parcels = {p["recipient_name"]: p for p in parcels_of(volunteer, batch["id"])}
    two, one = parcels["鈴木 一家"], parcels["佐藤 次郎"]
    assert (two["boxes"], one["boxes"]) == (2, 1)
    assert [(c["code"], c["quantity"]) for c in two["contents"]] == [("home", 4)]
    # and B2 Cloud gets two rows of 発払い（複数口） for it, under one key, and one row of 発払い
    _header, *rows = csv_rows(document(coordinator, batch["id"], "carrier_csv"))
    by_reference = {r[0]: r for r in rows}
    first, second = by_reference[f"{two['reference']}-1of2"], by_reference[f"{two['reference']}-2of2"]
    assert len(rows) == 3
    assert batch["held_back"] == []
    assert (first[1], second[1], by_reference[one["reference"]][1]) == ("6", "6", "0")
    assert first[73] == second[73] != ""
    assert first[73].isalnum()
    assert len(first[73]) <= 20
    assert (first[37], second[37]) == ("1", "1")  # 発行枚数: one label per box row
    assert (first[11], first[4]) == (second[11], second[4])  # same address, same day

    # when the boxes are packed and B2's issued data comes back with a number per box
    for parcel in (two, one):
        ok(api_client_for(volunteer).post(f"/api/v1/parcels/{parcel['id']}/packed/"))
    numbers = {
        f"{two['reference']}-1of2": tracking_number(40000000011),
        f"{two['reference']}-2of2": tracking_number(40000000012),
        one["reference"]: tracking_number(40000000013),
    }
    issued = b2_issued_data(document(coordinator, batch["id"], "carrier_csv"), numbers)
    imported = ok(
        api_client_for(coordinator).post(
            f"/api/v1/dispatch-batches/{batch['id']}/tracking-import/",
            {"file": SimpleUploadedFile("issued.csv", issued, content_type="text/csv")},
            format="multipart",
        )
    )

    # then every box's number is taken, none refused
    assert sorted(m["reference"] for m in imported["matched"]) == sorted(numbers)
    assert imported["rejected_count"] == 0
    parcel = ok(api_client_for(coordinator).get(f"/api/v1/parcels/{two['id']}/"))
    assert parcel["status"] == "label_issued"
    assert parcel["box_numbers"] == [numbers[f"{two['reference']}-1of2"], numbers[f"{two['reference']}-2of2"]]
    assert parcel["tracking_number"] == numbers[f"{two['reference']}-1of2"]
    # and the case worker sees the family's request shipped with the first box's number
    seen = request_as(case_worker_a, family["id"])
    assert (seen["status"], seen["tracking_number"]) == ("shipped", numbers[f"{two['reference']}-1of2"])


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_our_own_labels_number_the_boxes_one_of_two_and_two_of_two(
    celery_worker, network, stocked, case_worker_a, coordinator, volunteer
):
    # given a food bank delivering requests itself, and a family whose food fills two boxes
    make_local_account(network.food_bank, takes_requests=True)
    filed = file_request(case_worker_a, recipient__name="鈴木 一家", household=FOUR_PEOPLE, extras=[])
    approve(coordinator, filed["id"])

    # when the batch is built
    batch = run_batch(coordinator)

    # then there are two labels for the one parcel, numbered 1/2 and 2/2
    (parcel,) = parcels_of(volunteer, batch["id"])
    labels = pdf_text(document(coordinator, batch["id"], "labels"))
    assert parcel["boxes"] == 2
    assert labels.count(parcel["reference"]) == 2
    assert "1/2" in labels
    assert "2/2" in labels


def _quantities(page: str, names: list[str]) -> dict[str, int]:
    """What one slip page lists to tick: name → quantity (「家庭向けパック × 2箱」)."""
    found = {}
    for name in names:
        match = re.search(rf"^{re.escape(name)} × (\d+)", page, re.MULTILINE)
        if match:
            found[name] = int(match[1])
    return found


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_each_box_has_its_own_slip_and_the_slips_together_hold_the_parcel(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given a family of three asking for 7 days with diapers, and a person living alone
    family = file_request(
        case_worker_a,
        recipient__name="鈴木 一家",
        household={"adults": 2, "children": 1, "children_ages": [1], "infants": 0, "type": "family"},
        extras=[{"item": "diapers", "size": "M", "quantity": 2}],
    )
    alone = file_request(
        case_worker_a,
        recipient__name="佐藤 次郎",
        household={"adults": 1, "children": 0, "infants": 0, "type": "single"},
        extras=[],
    )
    for filed in (family, alone):
        approve(coordinator, filed["id"])

    # when the batch is built
    batch = run_batch(coordinator)

    # then the family's food (three home packs, two to a box) fills two boxes
    parcels = {p["recipient_name"]: p for p in parcels_of(volunteer, batch["id"])}
    two, one = parcels["鈴木 一家"], parcels["佐藤 次郎"]
    assert (two["boxes"], one["boxes"]) == (2, 1)
    wanted = {c["name"]: c["quantity"] for c in two["contents"] + two["extras"]}
    assert wanted == {"家庭向けパック": 3, "紙おむつ M": 2}

    # and the volunteer's packing slips have a page per box: 「箱 1/2」 and 「箱 2/2」 for the family,
    # each naming the parcel, and between them exactly the parcel's contents; extras in the last box
    pages = [
        p.extract_text()
        for p in PdfReader(io.BytesIO(document(volunteer, batch["id"], "packing_slips"))).pages
    ]
    assert len(pages) == 3
    family_pages = [p for p in pages if two["reference"] in p]
    (alone_page,) = [p for p in pages if one["reference"] in p]
    assert len(family_pages) == 2
    first, second = sorted(family_pages, key=lambda p: "箱 2/2" in p)
    assert "箱 1/2" in first
    assert "箱 2/2" in second
    in_first, in_second = _quantities(first, list(wanted)), _quantities(second, list(wanted))
    assert in_first == {"家庭向けパック": 2}
    assert in_second == {"家庭向けパック": 1, "紙おむつ M": 2}
    assert {name: in_first.get(name, 0) + in_second.get(name, 0) for name in wanted} == wanted
    assert all("転売禁止" in p and "鈴木 一家" in p for p in family_pages)
    # and the one-box parcel's slip is as before, without a box number
    assert "箱 1/" not in alone_page
    assert _quantities(alone_page, ["家庭向けパック"]) == {"家庭向けパック": 1}

    # when the volunteer scans a slip's QR code (the parcel's reference) at the packing station
    station = page_as(volunteer, f"/shipping/batches/{batch['id']}/pack/?ref={two['reference']}")
    # then it shows what goes into each box, as the slips say
    box_one, box_two = station.split("箱 1/2", 1)[1].split("箱 2/2", 1)
    assert "家庭向けパック × 2" in box_one
    assert "紙おむつ" not in box_one
    assert "家庭向けパック × 1" in box_two
    assert "紙おむつ M × 2" in box_two
    # and a box's carrier reference typed from its label finds the same parcel
    typed = page_as(volunteer, f"/shipping/batches/{batch['id']}/pack/?ref={two['reference']}-2of2")
    assert f'<h2 id="parcel-heading">{two["reference"]} ' in typed
    assert "箱 2/2" in typed
    # and so does the parcel in the API
    parcel = ok(api_client_for(volunteer).get(f"/api/v1/parcels/{two['id']}/"))
    assert [
        (b["box"], b["of"], [(c["name"], c["quantity"]) for c in b["contents"] + b["extras"]])
        for b in parcel["box_contents"]
    ] == [(1, 2, [("家庭向けパック", 2)]), (2, 2, [("家庭向けパック", 1), ("紙おむつ M", 2)])]

    # when the volunteer packs both boxes, the parcel is packed once
    ok(api_client_for(volunteer).post(f"/api/v1/parcels/{two['id']}/packed/"))
    assert ok(api_client_for(volunteer).get(f"/api/v1/parcels/{two['id']}/"))["status"] == "packed"
