"""Reference data, donations, assembly, stock-takes, adjustments and the ledger check."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from inventory import services
from inventory.models import (
    Assembly,
    Balance,
    DonationReceipt,
    MovementKind,
    PackRecipe,
    StockMovement,
    StockTake,
)
from inventory.selectors import ledger_differences

from .helpers import in_days, put_stock

pytestmark = pytest.mark.django_db


def test_pack_types_are_listed_with_their_current_recipe(api, catalogue, window_staff_a, other_coordinator):
    response = api(window_staff_a).get("/api/v1/pack-types/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["code"], r["name"], r["days"]) for r in rows] == [
        ("day1", "1日分セット", 1),
        ("day3", "3日分セット", 3),
        ("home", "家庭向けパック", 7),
    ]
    assert rows[0]["recipe"]["version"] == 1
    assert rows[0]["recipe"]["lines"] == [
        {"item": "noodles", "item_name": "カップ麺", "quantity": 1},
        {"item": "rice", "item_name": "パックご飯", "quantity": 2},
        {"item": "water", "item_name": "飲料水", "quantity": 1},
    ]
    # Another food bank's coordinator sees none of them
    assert api(other_coordinator).get("/api/v1/pack-types/").json()["results"] == []


def test_pack_types_list_their_allergen_free_alternatives_read_only(
    api, network, catalogue, coordinator, window_staff_a, django_assert_max_num_queries
):
    from inventory import services as inventory_services

    # Given 家庭向けパック with two allergen-free alternatives (named on the console)
    no_ebi = inventory_services.upsert_pack_type(
        food_bank=network.food_bank,
        code="home-noebi",
        name="家庭向けパック（えび不使用）",
        days=7,
        sort_order=4,
    )
    no_wheat = inventory_services.upsert_pack_type(
        food_bank=network.food_bank,
        code="home-nowheat",
        name="家庭向けパック（小麦不使用）",
        days=7,
        sort_order=5,
    )
    inventory_services.set_pack_type_alternatives(pack_type=catalogue.home, alternatives=[no_wheat, no_ebi])

    # When the pack types are listed (the alternatives prefetched: no query per pack type)
    with django_assert_max_num_queries(12):
        rows = api(window_staff_a).get("/api/v1/pack-types/").json()["results"]

    # Then each lists its alternatives' codes, in the food bank's order
    assert {r["code"]: r["alternatives"] for r in rows} == {
        "day1": [],
        "day3": [],
        "home": ["home-noebi", "home-nowheat"],
        "home-noebi": [],
        "home-nowheat": [],
    }
    detail = api(window_staff_a).get(f"/api/v1/pack-types/{catalogue.home.pk}/").json()
    assert detail["alternatives"] == ["home-noebi", "home-nowheat"]
    # and they are read-only: saving a pack type through the API leaves them as they are
    saved = api(coordinator).post(
        "/api/v1/pack-types/",
        {"code": "home", "name": "家庭向けパック", "days": 7, "sort_order": 3, "alternatives": []},
        format="json",
    )
    assert saved.status_code == 201, saved.content
    assert saved.json()["alternatives"] == ["home-noebi", "home-nowheat"]
    assert list(catalogue.home.alternatives.order_by("code").values_list("code", flat=True)) == [
        "home-noebi",
        "home-nowheat",
    ]


def test_a_recipe_change_is_a_new_version_and_assembled_packs_keep_theirs(
    api, network, catalogue, coordinator
):
    wh = network.warehouse
    put_stock(wh, item=catalogue.noodles, quantity=10, best_before=in_days(40))
    put_stock(wh, item=catalogue.noodles, quantity=10, best_before=in_days(200))
    put_stock(wh, item=catalogue.rice, quantity=30, best_before=in_days(100))
    put_stock(wh, item=catalogue.water, quantity=10, best_before=None)
    client = api(coordinator)

    # Given 4 one-day sets assembled to version 1 (1 noodles, 2 rice, 1 water)
    first = client.post(
        "/api/v1/assemblies/", {"site": wh.pk, "pack_type": "day1", "quantity": 4}, format="json"
    )
    assert first.status_code == 201
    assert first.json()["recipe_version"] == 1
    # the earliest noodles went first, and the packs take the earliest best-before used
    assert first.json()["best_before"] == in_days(40).isoformat()

    # When the recipe changes (2 noodles, 2 rice, no water)
    response = client.post(
        f"/api/v1/pack-types/{catalogue.day1.pk}/recipes/",
        {
            "lines": [{"item": "noodles", "quantity": 2}, {"item": "rice", "quantity": 2}],
            "note": "水は別配布",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["recipe"]["version"] == 2

    # Then new packs use version 2 and the earlier assembly still says version 1
    second = client.post(
        "/api/v1/assemblies/", {"site": wh.pk, "pack_type": "day1", "quantity": 3}, format="json"
    )
    assert second.json()["recipe_version"] == 2
    assert [a.recipe.version for a in Assembly.objects.order_by("pk")] == [1, 2]
    assert PackRecipe.objects.get(pack_type=catalogue.day1, version=1).lines.count() == 3
    lots = dict(Balance.objects.filter(site=wh, item=catalogue.noodles).values_list("best_before", "on_hand"))
    assert lots == {in_days(40): 0, in_days(200): 10}  # 4 + 6 used, earliest first
    # each assembly is a pack lot of its own (docs/traceability.md)
    packs = Balance.objects.filter(site=wh, pack_type=catalogue.day1).order_by("pk")
    assert [(b.lot.assembly.recipe.version, b.on_hand) for b in packs] == [(1, 4), (2, 3)]
    assert ledger_differences() == []


def test_assembly_short_of_an_item_is_409_and_writes_nothing(api, network, catalogue, volunteer):
    put_stock(network.warehouse, item=catalogue.noodles, quantity=10)
    before = StockMovement.objects.count()

    response = api(volunteer).post(
        "/api/v1/assemblies/",
        {"site": network.warehouse.pk, "pack_type": "day1", "quantity": 2},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["shortages"] == [
        {"sku": "rice", "requested": 4, "available": 0},
        {"sku": "water", "requested": 2, "available": 0},
    ]
    assert StockMovement.objects.count() == before
    assert not Assembly.objects.exists()


def test_donation_receipt_books_each_line_with_its_best_before(api, network, catalogue, volunteer):
    body = {
        "site": network.warehouse.pk,
        "donor_type": "farm",
        "donor_name": "石狩ファーム",
        "weight_kg": "152.50",
        "lines": [
            {"item": "rice", "quantity": 300, "best_before": in_days(180).isoformat()},
            {"item": "diapers-m", "quantity": 40},
        ],
    }

    response = api(volunteer).post(
        "/api/v1/donation-receipts/", body, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    replay = api(volunteer).post(
        "/api/v1/donation-receipts/", body, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )

    assert response.status_code == replay.status_code == 201
    assert response.json()["weight_kg"] == "152.50"
    assert DonationReceipt.objects.get().weight_kg == Decimal("152.50")
    movements = StockMovement.objects.filter(kind=MovementKind.RECEIPT).order_by("item__code")
    assert [(m.item.code, m.quantity, m.best_before) for m in movements] == [
        ("diapers-m", 40, None),
        ("rice", 300, in_days(180)),
    ]
    stock = api(volunteer).get(f"/api/v1/sites/{network.warehouse.pk}/item-stock/").json()
    assert sorted((r["item"], r["quantity"], r["earliest_best_before"]) for r in stock) == [
        ("diapers-m", 40, None),
        ("rice", 300, in_days(180).isoformat()),
    ]


def test_receipts_reject_unknown_items_and_window_staff(api, network, catalogue, volunteer, window_staff_a):
    body = {
        "site": network.warehouse.pk,
        "donor_type": "company",
        "weight_kg": "1",
        "lines": [{"item": "rice", "quantity": 1}, {"item": "caviar", "quantity": 1}],
    }

    response = api(volunteer).post("/api/v1/donation-receipts/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"lines": {"1": {"item": ["不明なコードです。"]}}}
    # Window staff do not see the warehouse
    assert api(window_staff_a).post("/api/v1/donation-receipts/", body, format="json").status_code == 404
    assert not StockMovement.objects.exists()


def test_stock_is_visible_to_staff_of_that_site_and_coordinators_only(
    api,
    network,
    catalogue,
    window_staff_a,
    window_staff_b,
    coordinator,
    volunteer,
    case_worker_a,
    other_coordinator,
):
    url = f"/api/v1/sites/{network.window_a.pk}/stock/"

    assert api(window_staff_a).get(url).status_code == 200
    assert api(coordinator).get(url).status_code == 200
    for outsider in (window_staff_b, volunteer, case_worker_a, other_coordinator):
        assert api(outsider).get(url).status_code == 404
    assert api(volunteer).get(f"/api/v1/sites/{network.warehouse.pk}/stock/").status_code == 200


def test_stock_take_needs_a_second_person_and_books_the_differences(
    api, network, catalogue, coordinator, volunteer
):
    wh = network.warehouse
    put_stock(wh, item=catalogue.rice, quantity=50, best_before=in_days(60))
    put_stock(wh, pack_type=catalogue.day3, quantity=10, best_before=in_days(90))
    body = {
        "site": wh.pk,
        "lines": [
            {"item": "rice", "best_before": in_days(60).isoformat(), "counted": 47, "reason": "damaged"},
            {"pack_type": "day3", "best_before": in_days(90).isoformat(), "counted": 10},
        ],
    }

    # Counted by the volunteer
    response = api(volunteer).post("/api/v1/stock-takes/", body, format="json")
    assert response.status_code == 201
    take = response.json()
    assert [(x["expected"], x["counted"], x["difference"]) for x in take["lines"]] == [
        (50, 47, -3),
        (10, 10, 0),
    ]

    # The counter cannot confirm their own count
    refused = api(volunteer).post(f"/api/v1/stock-takes/{take['id']}/confirm/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "same_person"
    assert not StockMovement.objects.filter(kind=MovementKind.ADJUSTMENT, stock_take__isnull=False).exists()

    # The coordinator confirms: one adjustment with the line's reason
    confirmed = api(coordinator).post(f"/api/v1/stock-takes/{take['id']}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_by"] == "coordinator"
    adjustment = StockMovement.objects.get(stock_take_id=take["id"])
    assert (adjustment.quantity, adjustment.reason, adjustment.item, adjustment.kind) == (
        -3,
        "damaged",
        catalogue.rice,
        "adjustment",
    )
    assert Balance.objects.get(site=wh, item=catalogue.rice).on_hand == 47
    # and a confirmed count is not confirmed twice
    assert api(coordinator).post(f"/api/v1/stock-takes/{take['id']}/confirm/").status_code == 409
    assert StockTake.objects.get().status == "confirmed"


def test_write_off_and_its_reversal(api, network, catalogue, window_staff_a, coordinator):
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=5, best_before=in_days(-2))
    body = {
        "site": network.window_a.pk,
        "pack_type": "day1",
        "best_before": in_days(-2).isoformat(),
        "quantity": -5,
        "kind": "write_off",
        "reason": "expired",
    }

    # Window staff write off their expired sets
    response = api(window_staff_a).post("/api/v1/stock-adjustments/", body, format="json")
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["quantity"], response.json()["reason"]) == (
        "write_off",
        -5,
        "expired",
    )
    # Writing off more than there is is refused
    assert api(window_staff_a).post("/api/v1/stock-adjustments/", body, format="json").status_code == 409

    # The coordinator reverses the write-off (a mistake): the sets are back, by a new movement
    reversal = api(coordinator).post(
        f"/api/v1/stock-movements/{response.json()['id']}/reverse/", {}, format="json"
    )
    assert reversal.status_code == 201
    assert (reversal.json()["quantity"], reversal.json()["reverses"]) == (5, response.json()["id"])
    assert Balance.objects.get(site=network.window_a).on_hand == 5
    again = api(coordinator).post(
        f"/api/v1/stock-movements/{response.json()['id']}/reverse/", {}, format="json"
    )
    assert again.status_code == 409
    ledger = api(window_staff_a).get("/api/v1/stock-movements/", {"site": network.window_a.pk}).json()
    assert [row["kind"] for row in ledger["results"]] == ["correction", "write_off", "adjustment"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 0, "reason": "found"}, "quantity"),
        ({"quantity": 1, "reason": ""}, "reason"),
        ({"quantity": 1, "reason": "found", "item": "rice"}, "non_field_errors"),
    ],
)
def test_adjustments_need_a_reason_and_one_lot(body, field, api, network, catalogue, coordinator):
    payload = {"site": network.warehouse.pk, "pack_type": "day1", **body}

    response = api(coordinator).post("/api/v1/stock-adjustments/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_verify_stock_ledger_reports_a_balance_that_drifted(network, catalogue):
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=5)
    out = StringIO()
    call_command("verify_stock_ledger", stdout=out)
    assert "Every balance equals its ledger sum." in out.getvalue()

    # When a balance is changed behind the ledger's back
    Balance.objects.filter(site=network.window_a).update(on_hand=7)

    # Then the command lists it and fails
    err = StringIO()
    with pytest.raises(CommandError, match="1 balance"):
        call_command("verify_stock_ledger", stderr=err)
    assert "balance 7, ledger 5" in err.getvalue()


def test_a_receipt_added_in_the_admin_is_booked_once(admin_client, network, catalogue):
    response = admin_client.post(
        "/admin/inventory/donationreceipt/add/",
        {
            "site": network.warehouse.pk,
            "donor_type": "individual",
            "donor_name": "",
            "weight_kg": "3.20",
            "reference": "",
            "note": "",
            "received_at_0": in_days(0).isoformat(),
            "received_at_1": "10:00:00",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-item": catalogue.rice.pk,
            "lines-0-quantity": "12",
            "lines-0-best_before": in_days(30).isoformat(),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    receipt = DonationReceipt.objects.get()
    assert receipt.booked_at is not None
    assert Balance.objects.get(item=catalogue.rice).on_hand == 12
    services.book_receipt(receipt=receipt)
    assert StockMovement.objects.filter(receipt=receipt).count() == 1
