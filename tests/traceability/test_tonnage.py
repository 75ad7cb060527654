"""Tonnage (docs/traceability.md): kilograms received per month and fiscal year by donor kind, on the
report page and in the exports, with the year's total against the certification threshold."""

import pytest
from django.utils import timezone

from inventory import intake
from reports.selectors import current_fiscal_year

from .helpers import receive

pytestmark = pytest.mark.django_db


def test_kilograms_in_by_donor_kind_per_month_and_year_against_the_threshold(
    api, client, network, catalogue, coordinator, volunteer
):
    # Given this month a company gave 120 kg and a farm 30 kg (a rejected line does not count)
    company = intake.save_donor(food_bank=network.food_bank, kind="company", name="北海道食品株式会社")
    farm = intake.save_donor(food_bank=network.food_bank, kind="farm", name="石狩ファーム")
    receive(network.warehouse, company, volunteer, intake.InspectedLine(item=catalogue.rice, quantity=600))
    receive(
        network.warehouse,
        farm,
        volunteer,
        intake.InspectedLine(item=catalogue.water, quantity=60),
        intake.InspectedLine(item=catalogue.water, quantity=10, accepted=False, reject_reason="damaged"),
    )
    year, month = current_fiscal_year(), timezone.localdate().strftime("%Y-%m")

    # When the coordinator reads the report
    data = api(coordinator).get(f"/api/v1/reports/breakdowns/?fiscal_year={year}").json()["tonnage"]
    csv = api(coordinator).get(f"/api/v1/reports/export/csv/?fiscal_year={year}&table=tonnage")
    client.force_login(coordinator)
    page = client.get(f"/reports/?fiscal_year={year}").content.decode()

    # Then the month and the year show each kind, and the total stands beside the 100 t threshold
    this_month = next(m for m in data["months"] if m["month"] == month)
    assert this_month["by_kind"]["company"] == "120.00"
    assert this_month["by_kind"]["farm"] == "30.00"
    assert this_month["total_kg"] == "150.00"
    assert data["total_kg"] == "150.00"
    assert data["threshold_kg"] == "100000.00"
    assert data["over_threshold"] is False
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert f"{month},120.0,30.0,0.0,0.0,0.0,0.0,150.0" in body.replace("\r", "")
    assert "100000" in body
    assert 'id="tonnage"' in page
