"""Donors and intake inspection (docs/traceability.md): every donation line is checked at the door;
accepted lines become lots, rejected lines never enter stock; window sets keep use-by and cold food out."""

import pytest

from inventory.models import Assembly, Balance, DonationReceipt, Donor, Lot, MovementKind, StockMovement
from inventory.selectors import ledger_differences

from .helpers import in_days

pytestmark = pytest.mark.django_db


def _donor(api, coordinator, **body):
    response = api(coordinator).post("/api/v1/donors/", {"kind": "company", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _line(**overrides):
    return {"item": "rice", "quantity": 10, "best_before": in_days(120).isoformat(), **overrides}


def test_coordinator_registers_donors_and_volunteers_see_only_who_they_are(
    api, network, coordinator, volunteer
):
    # Given a company with its agreement on file, and an anonymous individual
    company = _donor(
        api,
        coordinator,
        name="北海道食品株式会社",
        contact_name="山田 花子",
        phone="011-000-0000",
        agreement_on="2026-04-01",
        resale_forbidden_accepted=True,
        handling_terms_accepted=True,
    )
    anonymous = _donor(api, coordinator, kind="individual", name="")

    # Then the coordinator sees contact and agreement, the volunteer only who they are
    assert company["agreement_complete"] is True
    assert company["phone"] == "011-000-0000"
    assert anonymous["anonymous"] is True
    seen = api(volunteer).get("/api/v1/donors/").json()["results"]
    assert {d["name"] for d in seen} == {"北海道食品株式会社", ""}
    assert all("phone" not in d and "contact_name" not in d for d in seen)
    # A company needs a name; only an individual stays anonymous
    response = api(coordinator).post("/api/v1/donors/", {"kind": "farm", "name": ""}, format="json")
    assert response.status_code == 400
    assert Donor.objects.count() == 2


def test_donor_registry_is_refused_to_window_staff_case_workers_and_volunteers_writing(
    api, network, coordinator, volunteer, window_staff_a, case_worker_a, other_coordinator
):
    donor = _donor(api, coordinator, name="石狩ファーム", kind="farm")

    assert api(window_staff_a).get("/api/v1/donors/").status_code == 403
    assert api(case_worker_a).get("/api/v1/donors/").status_code == 403
    assert (
        api(volunteer).post("/api/v1/donors/", {"kind": "farm", "name": "x"}, format="json").status_code
        == 403
    )
    assert api(volunteer).get(f"/api/v1/donors/{donor['id']}/").status_code == 403
    assert api(other_coordinator).get(f"/api/v1/donors/{donor['id']}/").status_code == 404
    assert Donor.objects.count() == 1


def test_an_inspected_donation_books_accepted_lines_as_lots_and_rejected_lines_write_no_stock(
    api, network, catalogue, coordinator, volunteer
):
    donor = _donor(api, coordinator, name="北海道食品株式会社")
    body = {
        "site": network.warehouse.pk,
        "donor": donor["id"],
        "lines": [
            _line(item="noodles", quantity=24, allergens=["shrimp", "wheat"], jan_code="4901234567894"),
            _line(quantity=10, weight_kg="2.000", allergens=[]),
            _line(
                quantity=5, accepted=False, reject_reason="damaged", condition="damaged", reject_note="水濡れ"
            ),
        ],
    }

    # When a volunteer records it at the warehouse (and the phone retries)
    response = api(volunteer).post("/api/v1/donations/", body, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    replay = api(volunteer).post("/api/v1/donations/", body, format="json", HTTP_IDEMPOTENCY_KEY="d-1")

    # Then two lots come into stock, the rejected line is kept with its reason and writes nothing
    assert response.status_code == replay.status_code == 201, response.content
    data = response.json()
    assert [(x["item"], x["accepted"], x["reject_reason"], x["lot"] is not None) for x in data["lines"]] == [
        ("noodles", True, "", True),
        ("rice", True, "", True),
        ("rice", False, "damaged", False),
    ]
    assert data["lines"][0]["allergens"] == ["shrimp", "wheat"]
    # weight in: 24 × 0.080 + 2.000 (the rejected line is not taken in)
    assert data["weight_kg"] == "3.92"
    assert DonationReceipt.objects.get().donor_type == "company"
    movements = StockMovement.objects.filter(kind=MovementKind.RECEIPT).order_by("item__code")
    assert [(m.item.code, m.quantity, m.lot.donor.name) for m in movements] == [
        ("noodles", 24, "北海道食品株式会社"),
        ("rice", 10, "北海道食品株式会社"),
    ]
    assert Lot.objects.get(item=catalogue.noodles).allergens == ["shrimp", "wheat"]
    assert sum(Balance.objects.filter(item=catalogue.rice).values_list("on_hand", flat=True)) == 10
    assert ledger_differences() == []


def test_a_rejected_line_writes_no_stock(api, network, catalogue, coordinator, volunteer):
    donor = _donor(api, coordinator, name="スーパー北", kind="retailer")
    body = {
        "site": network.warehouse.pk,
        "donor": donor["id"],
        "lines": [_line(accepted=False, reject_reason="temperature")],
    }

    response = api(volunteer).post("/api/v1/donations/", body, format="json")

    assert response.status_code == 201
    assert response.json()["weight_kg"] == "0.00"
    assert not StockMovement.objects.exists()
    assert not Balance.objects.filter(on_hand__gt=0).exists()
    assert not Lot.objects.exists()


def test_inspection_contradictions_are_400_and_write_nothing(api, network, catalogue, coordinator, volunteer):
    donor = _donor(api, coordinator, name="スーパー北", kind="retailer")
    body = {
        "site": network.warehouse.pk,
        "donor": donor["id"],
        "lines": [
            _line(best_before=in_days(-1).isoformat()),  # accepted although its date has passed
            _line(accepted=False),  # rejected without a reason
            _line(allergens=["caviar"]),  # not an allergen code
        ],
    }

    response = api(volunteer).post("/api/v1/donations/", body, format="json")

    assert response.status_code == 400
    errors = response.json()["lines"]
    assert "allergens" in errors["2"]
    body["lines"] = body["lines"][:2]
    errors = api(volunteer).post("/api/v1/donations/", body, format="json").json()["lines"]
    assert list(errors["0"]) == ["best_before"]
    assert list(errors["1"]) == ["reject_reason"]
    assert not DonationReceipt.objects.exists()
    assert not StockMovement.objects.exists()


def test_donations_are_refused_to_window_staff_and_other_food_banks(
    api, network, catalogue, coordinator, volunteer, window_staff_a, case_worker_a, other_coordinator
):
    donor = _donor(api, coordinator, name="スーパー北", kind="retailer")
    body = {"site": network.warehouse.pk, "donor": donor["id"], "lines": [_line()]}

    assert api(window_staff_a).post("/api/v1/donations/", body, format="json").status_code == 403
    assert api(case_worker_a).post("/api/v1/donations/", body, format="json").status_code == 403
    assert api(other_coordinator).post("/api/v1/donations/", body, format="json").status_code == 404
    assert not DonationReceipt.objects.exists()
    assert not StockMovement.objects.exists()


def test_a_use_by_item_is_refused_for_a_window_set_naming_it(api, network, catalogue, coordinator, volunteer):
    # Given the only rice in the warehouse is a chilled lot with a use-by date (消費期限)
    donor = _donor(api, coordinator, name="弁当の北", kind="retailer")
    body = {
        "site": network.warehouse.pk,
        "donor": donor["id"],
        "lines": [
            _line(item="noodles", quantity=50),
            _line(item="water", quantity=50),
            _line(quantity=100, date_label="use_by", storage="chilled", best_before=in_days(3).isoformat()),
        ],
    }
    assert api(volunteer).post("/api/v1/donations/", body, format="json").status_code == 201
    before = StockMovement.objects.count()

    # When a volunteer assembles 1-day sets for windows
    response = api(volunteer).post(
        "/api/v1/assemblies/",
        {"site": network.warehouse.pk, "pack_type": "day1", "quantity": 2},
        format="json",
    )

    # Then it is refused, naming the item, and nothing is written
    assert response.status_code == 409
    assert response.json()["code"] == "unsuitable_for_window_set"
    assert response.json()["items"] == ["パックご飯"]
    assert "パックご飯" in response.json()["detail"]
    assert StockMovement.objects.count() == before
    assert not Assembly.objects.exists()
    # A home parcel (delivered within days, not kept at a window) may use it
    response = api(volunteer).post(
        "/api/v1/assemblies/",
        {"site": network.warehouse.pk, "pack_type": "home", "quantity": 1},
        format="json",
    )
    assert response.status_code == 201
    home = Lot.objects.get(kind=Lot.Kind.PACK)
    assert (home.date_label, home.storage) == ("use_by", "chilled")
