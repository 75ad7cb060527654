"""Donation receipts (寄附受領書) and recall reports as documents: their text, and who may have them."""

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from inventory import intake
from tests.inventory.helpers import in_days

from .helpers import receive

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_donation_receipt_pdf_lists_what_was_received_and_what_was_not(
    api, network, catalogue, coordinator, volunteer
):
    # Given a donation of rice (accepted, 12 kg) and water (rejected, damaged)
    donor = intake.save_donor(food_bank=network.food_bank, kind="retailer", name="スーパー北")
    receipt = receive(
        network.warehouse,
        donor,
        volunteer,
        intake.InspectedLine(
            item=catalogue.rice,
            quantity=60,
            best_before=in_days(90),
            weight_kg="12.000",
            product_name="北海道米パック",
        ),
        intake.InspectedLine(
            item=catalogue.water, quantity=24, accepted=False, reject_reason="damaged", condition="damaged"
        ),
    )

    # When the coordinator prints the receipt for the donor
    response = api(coordinator).get(f"/api/v1/donations/{receipt.pk}/receipt.pdf")

    # Then it names the donor, the product with quantity, weight and date, and resale is forbidden
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "寄附受領書" in text
    assert "スーパー北 様" in text
    assert "北海道米パック" in text
    assert "60個" in text
    assert f"賞味期限 {in_days(90):%Y/%m/%d}" in text
    assert "合計重量: 12.000 kg" in text
    assert "転売禁止" in text
    assert "お受けできなかったもの" in text
    assert "飲料水" in text
    assert "Package damaged" in text or "破損" in text or "包装" in text


def test_a_monthly_receipt_gathers_the_donors_donations_of_the_month(
    api, network, catalogue, coordinator, volunteer
):
    donor = intake.save_donor(food_bank=network.food_bank, kind="farm", name="石狩ファーム")
    for quantity in (10, 20):
        receive(
            network.warehouse, donor, volunteer, intake.InspectedLine(item=catalogue.rice, quantity=quantity)
        )
    month = timezone.localdate().strftime("%Y-%m")

    response = api(coordinator).get(f"/api/v1/donors/{donor.pk}/receipt.pdf?month={month}")

    assert response.status_code == 200
    text = _text(response.content)
    assert "10個" in text
    assert "20個" in text
    assert "合計重量: 6.000 kg" in text  # 30 × 0.200 kg


def test_receipts_are_for_coordinators_of_the_food_bank_only(
    api, network, catalogue, coordinator, volunteer, window_staff_a, other_coordinator
):
    donor = intake.save_donor(food_bank=network.food_bank, kind="farm", name="石狩ファーム")
    receipt = receive(
        network.warehouse, donor, volunteer, intake.InspectedLine(item=catalogue.rice, quantity=1)
    )

    assert api(volunteer).get(f"/api/v1/donations/{receipt.pk}/receipt.pdf").status_code == 403
    assert api(window_staff_a).get(f"/api/v1/donations/{receipt.pk}/receipt.pdf").status_code == 403
    assert api(other_coordinator).get(f"/api/v1/donations/{receipt.pk}/receipt.pdf").status_code == 404
    assert (
        api(other_coordinator).get(f"/api/v1/donors/{donor.pk}/receipt.pdf?month=2026-01").status_code == 404
    )
