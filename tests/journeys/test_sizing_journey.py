"""Contents sized to the household: a family of five asking for 14 days gets more food than a
person living alone asking for 7, reserved at the warehouse and printed for the packer."""

import pytest

from tests.helpers import api_client_for

from .steps import approve, document, file_request, ok, page_as, parcels_of, pdf_text, run_batch


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_family_of_five_for_14_days_gets_more_food_than_one_person_for_7(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given a person living alone asking for 7 days and a family of five asking for 14
    alone = file_request(
        case_worker_a,
        household={"adults": 1, "children": 0, "infants": 0, "type": "single"},
        days_needed=7,
        extras=[],
    )
    family = file_request(
        case_worker_a,
        recipient__name="鈴木 一家",
        household={"adults": 2, "children": 3, "children_ages": [3, 7, 10], "infants": 0, "type": "family"},
        days_needed=14,
        extras=[],
    )
    for filed in (alone, family):
        approve(coordinator, filed["id"])

    # when the batch is built
    batch = run_batch(coordinator)

    # then one home pack for the one person, ten (70 person-days) in five boxes for the family
    parcels = {p["recipient_name"]: p for p in parcels_of(volunteer, batch["id"])}
    assert [(c["code"], c["quantity"]) for c in parcels["山田 花子"]["contents"]] == [("home", 1)]
    assert [(c["code"], c["quantity"]) for c in parcels["鈴木 一家"]["contents"]] == [("home", 10)]
    assert "5箱に分けて梱包" in parcels["鈴木 一家"]["notes"]
    # (the family avoids えび・かに and the home packs' lots record no allergens: the packer checks)
    assert "家庭向けパックはアレルゲン未記録：えび・かにの表示を確認" in parcels["鈴木 一家"]["notes"]
    # and the warehouse reserved eleven home packs for them
    rows = ok(api_client_for(coordinator).get(f"/api/v1/sites/{network.warehouse.pk}/stock/"))
    assert sum(r["quantity"] for r in rows if r["pack_type"] == "home") == 50 - 11
    # and the pick list totals them for the packers
    assert "11" in pdf_text(document(volunteer, batch["id"], "pick_list"))


@pytest.mark.django_db
def test_the_triage_page_shows_what_the_rule_gives_each_household(
    network, catalogue, case_worker_a, coordinator
):
    # given a family of five asking for 14 days, waiting for triage
    file_request(
        case_worker_a,
        household={"adults": 2, "children": 3, "infants": 0, "type": "family"},
        days_needed=14,
    )

    # when the coordinator opens the triage
    html = page_as(coordinator, "/triage/")

    # then it says what the parcel will hold under the food bank's rule
    assert "食品の量（配分ルールによる）: 家庭向けパック × 10（5箱）" in html
    assert "5人 × 14日分" in html
