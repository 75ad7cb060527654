"""The phone-sized intake page and the recall page, through Django's test client (what the form
posts is what a volunteer's phone posts)."""

import pytest

from foodbank.models import AuditEvent
from inventory import intake
from inventory.lot_models import Recall
from inventory.models import DonationReceipt, StockMovement
from tests.inventory.helpers import in_days

pytestmark = pytest.mark.django_db


def test_a_volunteer_records_an_inspected_donation_on_the_intake_page(client, network, catalogue, volunteer):
    donor = intake.save_donor(food_bank=network.food_bank, kind="retailer", name="スーパー北")
    client.force_login(volunteer)
    page = client.get("/intake/")
    assert page.status_code == 200
    assert "えび" in page.content.decode()  # the allergen checkboxes
    form = {
        "idempotency_key": "k-1",
        "donor": donor.pk,
        "site": network.warehouse.pk,
        "line-0-item": catalogue.rice.pk,
        "line-0-quantity": "24",
        "line-0-date_label": "best_before",
        "line-0-best_before": in_days(100).isoformat(),
        "line-0-storage": "ambient",
        "line-0-allergens_mandatory": ["shrimp", "wheat"],
        "line-0-condition": "good",
        "line-0-accepted": "1",
        "line-1-item": catalogue.water.pk,
        "line-1-quantity": "6",
        "line-1-date_label": "best_before",
        "line-1-storage": "ambient",
        "line-1-condition": "damaged",
        "line-1-accepted": "0",
        "line-1-reject_reason": "damaged",
    }
    for n in (2, 3):
        form.update({f"line-{n}-date_label": "best_before", f"line-{n}-storage": "ambient"})
        form.update({f"line-{n}-condition": "good", f"line-{n}-accepted": "1"})

    response = client.post("/intake/", form)
    again = client.post("/intake/", form)  # a double tap

    assert response.status_code == again.status_code == 302
    receipt = DonationReceipt.objects.get()
    lines = list(receipt.lines.order_by("pk"))
    assert [(x.item.code, x.accepted, x.allergens) for x in lines] == [
        ("rice", True, ["shrimp", "wheat"]),
        ("water", False, []),
    ]
    assert [m.item.code for m in StockMovement.objects.all()] == ["rice"]
    shown = client.get(response["Location"]).content.decode()
    assert lines[0].lot.code in shown


def test_the_recall_page_traces_and_quarantines_for_coordinators_only(
    client, network, donated, coordinator, volunteer, window_staff_a, other_coordinator
):
    for user in (volunteer, window_staff_a, other_coordinator):
        client.force_login(user)
        response = client.get(f"/recall/?lot={donated.rice.code}")
        assert response.status_code in (403, 200)
        assert 'id="lots-heading"' not in response.content.decode()  # no trace shown
    assert not AuditEvent.objects.filter(action__startswith="recall.").exists()

    client.force_login(coordinator)
    page = client.get(f"/recall/?lot={donated.rice.code}")
    assert page.status_code == 200
    assert 'id="lots-heading"' in page.content.decode()
    assert f"<strong>{donated.rice.code}</strong>" in page.content.decode()
    response = client.post(f"/recall/?lot={donated.rice.code}", {"reason": "メーカー回収"})
    assert response.status_code == 302
    recall = Recall.objects.get()
    assert response["Location"] == f"/recalls/{recall.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "回収報告書（PDF）" in detail
    assert AuditEvent.objects.filter(action="recall.trace", actor=coordinator).exists()
